"""The offline provider: real cards (Pillow) and real MP4s made here, with a delay and chosen failures.

Tasks live as small JSON files in the storage, so the worker that creates a task and the poller that
reads it may be different processes, as they are with KIE.
"""

import json
import random
import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations import formats, media, video_models
from generations.providers.base import USER, Provider, ProviderError, TaskState

ROOT = "local-provider"
FAILURE_MESSAGES = {
    USER: "Your request was flagged by the content policy",
    "temporary": "Internal error, please try again later",
    "rate_limit": "Too many requests",
    "billing": "Insufficient credits on the account",
    "configuration": "Access denied: invalid key",
}
# Which failures surface when the task is created, as KIE's create call answers them.
AT_CREATE = {"rate_limit": 429, "billing": 402, "configuration": 401}


class LocalProvider(Provider):
    name = "local"

    def __init__(self, *, delay=None, failures=None, seed=None):
        self.delay = settings.LOCAL_PROVIDER_DELAY_SECONDS if delay is None else delay
        self.failures = settings.LOCAL_PROVIDER_FAILURES if failures is None else failures
        self.random = random.Random(seed)

    def max_prompt_length(self, kind, model=None):
        return 10000 if kind == "video" else 5000

    def upload_reference(self, *, content, filename):
        name = default_storage.save(f"{ROOT}/uploads/{uuid.uuid4().hex}-{filename}", ContentFile(content))
        return f"local:{name}"

    def create_task(self, *, kind, prompt, image_url, callback_url, title="", aspect=None, seconds=None, model=None):
        outcome = self._draw(model)
        if outcome in AT_CREATE:
            raise ProviderError(outcome, FAILURE_MESSAGES[outcome], code=AT_CREATE[outcome])
        task_id = f"local-{uuid.uuid4().hex}"
        task = {
            "kind": kind,
            "title": title,
            "aspect": aspect,
            "seconds": seconds,
            "model": model,
            "image": image_url,
            "ready_at": time.time() + self.delay,
            "outcome": outcome,
        }
        default_storage.save(_task_name(task_id), ContentFile(json.dumps(task).encode()))
        return task_id

    def get_task(self, task_id, *, key=None, model=None):
        try:
            with default_storage.open(_task_name(task_id)) as file:
                task = json.load(file)
        except (FileNotFoundError, ValueError):
            raise ProviderError("configuration", f"unknown local task {task_id}", code=404) from None
        if time.time() < task["ready_at"]:
            return TaskState("pending")
        if task["outcome"] != "success":
            code = "422" if task["outcome"] == USER else "500"
            return TaskState("fail", fail_code=code, fail_message=FAILURE_MESSAGES[task["outcome"]])
        return TaskState("success", result_urls=[f"local:{self._render(task_id, task)}"])

    def download(self, url, *, kind=None):
        with default_storage.open(url.removeprefix("local:"), "rb") as file:
            return file.read()

    def _render(self, task_id, task):
        extension = "mp4" if task["kind"] == "video" else "jpg"
        name = f"{ROOT}/results/{task_id}.{extension}"
        if default_storage.exists(name):
            return name
        photo = self.download(task["image"])
        if task["kind"] == "video":
            content = media.render_video(
                photo, task["title"], seconds=_clip_seconds(task.get("seconds"), task.get("model"))
            )
        else:
            content = media.render_card(photo, task["title"], template="studio", size=_card_size(task.get("aspect")))
        return default_storage.save(name, ContentFile(content))

    def _draw(self, model=None):
        """An outcome by the failures' chances: "temporary" for every model, "sora2:configuration" for one
        (so the offline demo shows a take-over: VIDEO_MODELS=sora2,veo3_fast VIDEO_FALLBACK=true)."""
        roll = self.random.random()
        for name, chance in self.failures.items():
            of, _, outcome = name.rpartition(":")
            if of and of != model:
                continue
            if roll < chance:
                return outcome
            roll -= chance
        return "success"


def _card_size(aspect):
    """The size of the first card format asked for at `aspect` (as nano-banana is), else the default card's."""
    sizes = [card.size for card in formats.CARD_FORMATS.values() if card.aspect == aspect]
    return sizes[0] if sizes else formats.card_format(None).size


def _clip_seconds(seconds, model=None):
    """The length of the clip for an order of `seconds`: LOCAL_PROVIDER_VIDEO_SECONDS is Sora's default
    duration's, and the others are in proportion (4 s for 10 s, 6 s for 15 s, 3.2 s for Veo's 8 s with the
    shipped values), so a longer order visibly gets a longer clip while the offline demo and the tests stay
    fast. Tasks made before models existed have none: Sora's."""
    default = formats.default_video_seconds()
    made = video_models.get(model)
    return settings.LOCAL_PROVIDER_VIDEO_SECONDS * (seconds or (made.default_seconds if made else default)) / default


def _task_name(task_id):
    return f"{ROOT}/tasks/{task_id}.json"
