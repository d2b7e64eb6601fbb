"""KIE AI: Sora 2 image-to-video and nano-banana edit behind one client with rotating keys."""

import itertools
import json
import logging
import threading
import time

import httpx
from django.conf import settings

from generations import fetch
from generations.providers.base import (
    CONFIGURATION,
    RATE_LIMIT,
    TEMPORARY,
    Provider,
    ProviderError,
    TaskState,
    classify_code,
    malformed,
)
from neurocards.metrics import counters

log = logging.getLogger(__name__)

FINAL_STATES = {"success": "success", "fail": "fail"}
MAX_TASK_ID = 128  # Generation.provider_task_id
MAX_URL = 2000  # Generation.result_url: a longer one would fail the row's UPDATE, not this answer


class KieModel:
    """One model on KIE: how its `input` is built. A new model (Veo, Kling) is a new subclass."""

    name = ""
    max_prompt = 5000

    def build_input(self, *, prompt, image_url, aspect=None, seconds=None):
        raise NotImplementedError


class Sora2ImageToVideo(KieModel):
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


class NanoBananaEdit(KieModel):
    name = "google/nano-banana-edit"
    max_prompt = 5000

    def build_input(self, *, prompt, image_url, aspect=None, seconds=None):
        return {"prompt": prompt, "image_urls": [image_url], "output_format": "png", "image_size": aspect or "3:4"}


MODELS = {model.name: model for model in (Sora2ImageToVideo(), NanoBananaEdit())}


class KeyRing:
    """The API keys, in turn; a key that answered 401, 402 or 429 rests for a while (per process)."""

    def __init__(self, keys, *, cooldown):
        self.keys, self.cooldown = list(keys), cooldown
        self._resting = {}  # key -> (until, the error that sent it to rest)
        self._turn = itertools.cycle(range(len(self.keys))) if self.keys else None
        self._lock = threading.Lock()

    def next(self):
        with self._lock:
            now = time.monotonic()
            for _ in range(len(self.keys)):
                key = self.keys[next(self._turn)]
                if self._resting.get(key, (0, None))[0] <= now:
                    return key
            reasons = [error for until, error in self._resting.values() if until > now]
        # All keys out of credits (or rejected) is that failure, not a pause: the caller must know.
        rate_limited = [error for error in reasons if error.error_class == RATE_LIMIT]
        raise (rate_limited or reasons or [ProviderError(RATE_LIMIT, "no KIE key available", code=429)])[0]

    def rest(self, key, error, seconds=None):
        with self._lock:
            self._resting[key] = (time.monotonic() + (seconds or self.cooldown), error)
        log.warning("kie: key …%s rests for %s s after %s", key[-4:], seconds or self.cooldown, error.code)


class KieProvider(Provider):
    name = "kie"

    def __init__(self):
        self.keys = KeyRing(settings.KIE_API_KEYS, cooldown=settings.KIE_KEY_COOLDOWN_SECONDS)
        # One pooled client per process, with a timeout on every call.
        self.http = httpx.Client(
            timeout=httpx.Timeout(settings.KIE_TIMEOUT_SECONDS, connect=5),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    @property
    def poll_keys(self):
        return list(self.keys.keys)

    def max_prompt_length(self, kind, model=None):
        return self._model(kind, model).max_prompt

    def upload_reference(self, *, content, filename):
        url = f"{settings.KIE_UPLOAD_BASE_URL}/api/file-stream-upload"
        data = self._call(
            "POST", url, files={"file": (filename, content)}, data={"uploadPath": "neurocards", "fileName": filename}
        )
        data = _object(data, "upload data")
        link = data.get("downloadUrl") or data.get("fileUrl")
        if not _is_url(link):
            raise ProviderError(TEMPORARY, "KIE upload answered without a download URL")
        return link

    def create_task(self, *, kind, prompt, image_url, callback_url, title="", aspect=None, seconds=None, model=None):
        model = self._model(kind, model)
        built = model.build_input(prompt=prompt, image_url=image_url, aspect=aspect, seconds=seconds)
        body = {"model": model.name, "input": built}
        if callback_url:
            body["callBackUrl"] = callback_url
        data = self._call("POST", f"{settings.KIE_API_BASE_URL}/api/v1/jobs/createTask", json=body)
        task_id = _object(data, "createTask data").get("taskId")
        if not isinstance(task_id, str) or not task_id.strip():
            raise ProviderError(TEMPORARY, "KIE createTask answered without a taskId")
        if len(task_id) > MAX_TASK_ID:
            raise malformed("createTask taskId too long")
        return task_id

    def get_task(self, task_id, *, key=None, model=None):
        data = self._call(
            "GET", f"{settings.KIE_API_BASE_URL}/api/v1/jobs/recordInfo", params={"taskId": task_id}, key=key
        )
        # Every field is checked before use: one odd answer is that generation's (temporary) error,
        # never an exception that stops the poller's pass for everyone.
        data = _object(data, "recordInfo data")
        state = data.get("state")
        if not isinstance(state, str | None):
            raise malformed("recordInfo state")
        state = FINAL_STATES.get(state, "pending")
        if state == "success":
            return TaskState("success", result_urls=_result_urls(data.get("resultJson")))
        if state == "fail":
            return TaskState(
                "fail",
                fail_code=_scalar(data.get("failCode"), "failCode"),
                fail_message=_scalar(data.get("failMsg"), "failMsg"),
            )
        return TaskState("pending")

    def credits(self):
        data = self._call("GET", f"{settings.KIE_API_BASE_URL}/api/v1/chat/credit")
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise malformed("credit data")
        return data

    def download(self, url, *, kind):
        # Result URLs come from the provider's answer: only public https hosts, a size cap, a timeout.
        return fetch.fetch(url, max_bytes=fetch.MAX_BYTES[kind])

    def _model(self, kind, model=None):
        """The adapter of a video model's key (generations.video_models; Sora 2 when None), or of the image model."""
        if kind == "video" and model not in (None, "", "sora2"):
            name = model
        else:
            name = settings.KIE_VIDEO_MODEL if kind == "video" else settings.KIE_IMAGE_MODEL
        try:
            return MODELS[name]
        except KeyError:
            raise ProviderError(CONFIGURATION, f"no adapter for KIE model {name!r}") from None

    def _call(self, method, url, *, key=None, **kwargs):
        """A KIE call; a key answering 401, 402 or 429 rests and the next key is tried.

        With an explicit `key` (the poller spreads reads over keys itself) there is no rotation.
        """
        tried = 0
        while True:
            use = key or self.keys.next()
            try:
                return self._call_once(method, url, use, **kwargs)
            except ProviderError as error:
                if key is not None or error.code not in (401, 402, 429):
                    raise
                self.keys.rest(use, error, seconds=2 if error.code == 429 else None)
                tried += 1
                if tried >= len(self.keys.keys):
                    raise

    def _call_once(self, method, url, key, **kwargs):
        """Both the HTTP status and the body `code` must say 200."""
        started = time.monotonic()
        try:
            response = self.http.request(method, url, headers={"Authorization": f"Bearer {key}"}, **kwargs)
        except httpx.HTTPError as error:
            raise ProviderError(TEMPORARY, f"KIE unreachable: {type(error).__name__}") from None
        finally:
            counters.observe_provider_call("kie", url, time.monotonic() - started)
        try:
            body = response.json()
        except (ValueError, RecursionError):
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        if isinstance(code, bool) or not isinstance(code, int):
            code = None
        if response.status_code == 200 and code == 200:
            return body.get("data")
        if response.status_code == 200 and code is None:
            raise malformed("KIE answered HTTP 200 without a body code")
        code = code if code is not None and code != 200 else response.status_code
        message = _message(body)
        raise ProviderError(classify_code(code, message), f"KIE answered {code}: {message[:300]}", code=code)


def _object(data, what):
    if not isinstance(data, dict):
        raise malformed(f"{what} is not an object")
    return data


def _scalar(value, what):
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise malformed(f"recordInfo {what}")
    return str(value)[:1000]


def _message(body):
    if not isinstance(body, dict):
        return ""
    message = body.get("msg") or body.get("message") or ""
    return message if isinstance(message, str) else ""


def _is_url(value):
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= MAX_URL


def _result_urls(result_json):
    # resultJson is a JSON *string* inside the JSON answer (a callback or a newer API may send the object).
    if result_json in (None, ""):
        return []
    try:
        parsed = json.loads(result_json) if isinstance(result_json, str) else result_json
    except (ValueError, RecursionError):
        raise malformed("resultJson is not JSON") from None
    urls = _object(parsed, "resultJson").get("resultUrls")
    if urls is None:
        return []
    if not isinstance(urls, list) or not all(_is_url(url) for url in urls):
        raise malformed("resultJson resultUrls")
    return urls
