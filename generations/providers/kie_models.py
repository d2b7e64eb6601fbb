"""The models served by KIE, each an adapter that owns how its task is created and read.

Most models share the jobs API (`/api/v1/jobs/createTask`, `/api/v1/jobs/recordInfo`) and differ only in
the `input` they take; Veo 3.1 has its own (`/api/v1/veo/generate`, `/api/v1/veo/record-info`, docs/veo.md).
A new model is a new class here, registered in MODELS; the client (kie.py) calls `create` and `read`.
"""

import json

from django.conf import settings

from generations.providers.base import TEMPORARY, ProviderError, TaskState, malformed

MAX_TASK_ID = 128  # Generation.provider_task_id
MAX_URL = 2000  # Generation.result_url: a longer one would fail the row's UPDATE, not this answer


class KieModel:
    """One model on KIE. `call(method, path, key=None, **httpx_kwargs)` is the client's authorised call,
    answering the envelope's `data` (or raising a classified ProviderError)."""

    name = ""
    max_prompt = 5000

    def create(self, call, *, prompt, image_url, callback_url, aspect=None, seconds=None):
        """Start a task; returns its id."""
        raise NotImplementedError

    def read(self, call, task_id, *, key=None):
        """The task's TaskState; every field checked, junk is `malformed(...)`, never an exception."""
        raise NotImplementedError


class JobsModel(KieModel):
    """A model of KIE's jobs API: only `build_input` differs from one to the next."""

    def build_input(self, *, prompt, image_url, aspect=None, seconds=None):
        raise NotImplementedError

    def create(self, call, *, prompt, image_url, callback_url, aspect=None, seconds=None):
        built = self.build_input(prompt=prompt, image_url=image_url, aspect=aspect, seconds=seconds)
        body = {"model": self.name, "input": built}
        if callback_url:
            body["callBackUrl"] = callback_url
        return task_id_of(call("POST", "/api/v1/jobs/createTask", json=body), "createTask")

    def read(self, call, task_id, *, key=None):
        data = object_of(call("GET", "/api/v1/jobs/recordInfo", params={"taskId": task_id}, key=key), "recordInfo data")
        state = data.get("state")
        if not isinstance(state, str | None):
            raise malformed("recordInfo state")
        # waiting, queuing, generating, or a state KIE adds later: not final yet.
        state = {"success": "success", "fail": "fail"}.get(state, "pending")
        if state == "success":
            return TaskState("success", result_urls=_result_json_urls(data.get("resultJson")))
        if state == "fail":
            return TaskState(
                "fail",
                fail_code=scalar(data.get("failCode"), "recordInfo failCode"),
                fail_message=scalar(data.get("failMsg"), "recordInfo failMsg"),
            )
        return TaskState("pending")


class Sora2ImageToVideo(JobsModel):
    name = "sora-2-image-to-video"
    max_prompt = 10000

    def build_input(self, *, prompt, image_url, aspect=None, seconds=None):
        return {
            "prompt": prompt,
            "image_urls": [image_url],
            "aspect_ratio": settings.KIE_VIDEO_ASPECT_RATIO,
            # KIE wants the duration as a string: "10" or "15".
            "n_frames": str(seconds or settings.KIE_VIDEO_SECONDS),
            "remove_watermark": True,
        }


class NanoBananaEdit(JobsModel):
    name = "google/nano-banana-edit"
    max_prompt = 5000

    def build_input(self, *, prompt, image_url, aspect=None, seconds=None):
        return {"prompt": prompt, "image_urls": [image_url], "output_format": "png", "image_size": aspect or "3:4"}


# successFlag of Veo's record-info: 0 generating, 1 success, 2 failed before generation (the request, the
# photo), 3 created but the upstream generation failed. Both failures are classified by their code and
# message (base.classify_failure): policy words are the seller's content, anything else may pass on a retry.
VEO_STATES = {0: "pending", 1: "success", 2: "fail", 3: "fail"}


class Veo31(KieModel):
    """Veo 3.1 image-to-video: the product photo is the first frame, 9:16, 8 s with sound (docs/veo.md).

    Registered under our model keys, which are also KIE's `model` values: `veo3_fast` (Fast), `veo3` (Quality).
    """

    # KIE documents no limit; this is nano-banana's, ample for a product scene.
    max_prompt = 5000

    def __init__(self, name):
        self.name = name

    def create(self, call, *, prompt, image_url, callback_url, aspect=None, seconds=None):
        # Veo makes 8 s only (video_models), so `seconds` is not sent; `aspect` is a card's, never a video's.
        body = {
            # A prompt written for another model (a take-over keeps the order's prompt) may be longer.
            "prompt": prompt[: self.max_prompt],
            "imageUrls": [image_url],
            "model": self.name,
            "aspect_ratio": "9:16",  # explicit: "Auto" would follow the photo's shape
            "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
            # We take over to another model ourselves (VIDEO_FALLBACK); KIE's fallback is 16:9 and 720p only.
            "enableFallback": False,
            # Prompts may be Russian (a seller's own); Google's model takes English.
            "enableTranslation": True,
        }
        if callback_url:
            body["callBackUrl"] = callback_url
        return task_id_of(call("POST", "/api/v1/veo/generate", json=body), "veo generate")

    def read(self, call, task_id, *, key=None):
        data = object_of(
            call("GET", "/api/v1/veo/record-info", params={"taskId": task_id}, key=key), "record-info data"
        )
        flag = data.get("successFlag")
        if flag is None:
            return TaskState("pending")  # not started yet: the deadline decides, as for an unknown jobs state
        if isinstance(flag, bool) or not isinstance(flag, int) or flag not in VEO_STATES:
            raise malformed("record-info successFlag")
        state = VEO_STATES[flag]
        if state == "success":
            response = object_of(data.get("response"), "record-info response")
            return TaskState("success", result_urls=url_list(response.get("resultUrls"), "record-info resultUrls"))
        if state == "fail":
            code = scalar(data.get("errorCode"), "record-info errorCode")
            message = scalar(data.get("errorMessage"), "record-info errorMessage")
            return TaskState("fail", fail_code=code or f"successFlag {flag}", fail_message=message)
        return TaskState("pending")


MODELS = {model.name: model for model in (Sora2ImageToVideo(), NanoBananaEdit(), Veo31("veo3_fast"), Veo31("veo3"))}
JOBS = JobsModel()  # reads any jobs-API task (Sora 2, nano-banana) whatever its input was


def object_of(data, what):
    if not isinstance(data, dict):
        raise malformed(f"{what} is not an object")
    return data


def task_id_of(data, what):
    task_id = object_of(data, f"{what} data").get("taskId")
    if not isinstance(task_id, str) or not task_id.strip():
        raise ProviderError(TEMPORARY, f"KIE {what} answered without a taskId")
    if len(task_id) > MAX_TASK_ID:
        raise malformed(f"{what} taskId too long")
    return task_id


def scalar(value, what):
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise malformed(what)
    return str(value)[:1000]


def is_url(value):
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= MAX_URL


def url_list(urls, what):
    if urls is None:
        return []
    if not isinstance(urls, list) or not all(is_url(url) for url in urls):
        raise malformed(what)
    return urls


def _result_json_urls(result_json):
    # resultJson is a JSON *string* inside the JSON answer (a callback or a newer API may send the object).
    if result_json in (None, ""):
        return []
    try:
        parsed = json.loads(result_json) if isinstance(result_json, str) else result_json
    except (ValueError, RecursionError):
        raise malformed("resultJson is not JSON") from None
    return url_list(object_of(parsed, "resultJson").get("resultUrls"), "resultJson resultUrls")
