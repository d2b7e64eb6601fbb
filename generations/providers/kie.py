"""KIE AI: one client with rotating keys for every model KIE serves (the adapters are in kie_models.py)."""

import itertools
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
    classify_code,
    malformed,
)
from generations.providers.kie_models import JOBS, MODELS, is_url, object_of
from neurocards.metrics import counters

log = logging.getLogger(__name__)


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
        data = object_of(data, "upload data")
        link = data.get("downloadUrl") or data.get("fileUrl")
        if not is_url(link):
            raise ProviderError(TEMPORARY, "KIE upload answered without a download URL")
        return link

    def create_task(self, *, kind, prompt, image_url, callback_url, title="", aspect=None, seconds=None, model=None):
        return self._model(kind, model).create(
            self._api, prompt=prompt, image_url=image_url, callback_url=callback_url, aspect=aspect, seconds=seconds
        )

    def get_task(self, task_id, *, key=None, model=None):
        # Every field is checked before use: one odd answer is that generation's (temporary) error,
        # never an exception that stops the poller's pass for everyone. A model with its own API (Veo)
        # reads there; every other task (Sora 2, nano-banana: Generation.model "sora2", "nano-banana") is a job.
        return MODELS.get(model or "", JOBS).read(self._api, task_id, key=key)

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

    def _api(self, method, path, *, key=None, **kwargs):
        """A call to KIE's task APIs, as the model adapters make them."""
        return self._call(method, f"{settings.KIE_API_BASE_URL}{path}", key=key, **kwargs)

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


def _message(body):
    if not isinstance(body, dict):
        return ""
    message = body.get("msg") or body.get("message") or ""
    return message if isinstance(message, str) else ""
