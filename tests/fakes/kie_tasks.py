"""Tasks of the fake KIE: what createTask accepts, how a task reaches its end, what results look like."""

import base64
import dataclasses
import functools
import hashlib
import hmac
import io
import json
import time
from dataclasses import dataclass, field

SORA_IMAGE_MODELS = frozenset({"sora-2-image-to-video", "sora-2-pro-image-to-video"})
SORA_TEXT_MODELS = frozenset({"sora-2-text-to-video"})
NANO_BANANA_EDIT = "google/nano-banana-edit"
GENERIC_MODEL_PREFIXES = ("veo", "kling")
VIDEO_MODEL_PREFIXES = ("sora", "veo", "kling")
IMAGE_SIZES = ("1:1", "9:16", "16:9", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9", "auto")
SORA_PROMPT_LIMIT = 10000
NANO_PROMPT_LIMIT = 5000
NANO_MAX_IMAGES = 10
OUTCOMES = ("success", "fail", "hang")

CODE_MESSAGES = {
    400: "Bad request",
    401: "You do not have access permissions",
    402: "The current credits are insufficient. Please top up.",
    404: "Not found",
    422: "Validation error",
    429: "Too many requests, please slow down",
    455: "Service is under maintenance, please try again later",
    500: "Internal server error, please try again later",
    501: "Generation failed",
    505: "This feature is currently disabled",
}

# A 1x1 PNG, the image result when Pillow is not installed.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f1c9a40000000049454e44ae426082"
)
# An `ftyp` box (isom, compatible isom/mp41) and an empty `free` box: enough for a type sniffer, not a player.
MP4_STUB = bytes.fromhex("000000186674797069736f6d0000020069736f6d6d7034310000000866726565")
RESULT_SIZE = (864, 1184)


class KieError(Exception):
    """An answer in KIE's envelope: the body code and msg, and the HTTP status it travels with."""

    def __init__(self, code, msg=None, http_status=200):
        super().__init__(msg)
        self.code = int(code)
        self.msg = msg or CODE_MESSAGES.get(self.code, "Error")
        self.http_status = int(http_status)


def invalid(msg):
    return KieError(422, msg)


def is_http_url(value):
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > len("https://")


def sign(key, task_id, timestamp):
    """X-Webhook-Signature: base64(HMAC-SHA256(key, f"{taskId}.{timestamp}"))."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def now_ms():
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------------------
# createTask validation


def validate_create(body):
    """(model, input, callBackUrl or None) of a valid createTask body, else a KieError 422."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("model is required")
    input_ = body.get("input")
    if not isinstance(input_, dict):
        raise invalid("input is required and must be an object")
    callback_url = body.get("callBackUrl")
    if callback_url not in (None, "") and not is_http_url(callback_url):
        raise invalid("callBackUrl must be an http(s) URL")
    check = _input_checker(model)
    if check is None:
        raise invalid(f"model {model!r} is not supported")
    check(input_)
    return model, input_, callback_url or None


def _input_checker(model):
    if model in SORA_IMAGE_MODELS:
        return _check_sora_image
    if model in SORA_TEXT_MODELS:
        return _check_sora_text
    if model == NANO_BANANA_EDIT:
        return _check_nano_banana_edit
    if model.startswith(GENERIC_MODEL_PREFIXES):
        return lambda input_: None
    return None


def _check_sora_image(input_):
    _check_sora_common(input_)
    _check_image_urls(input_, 1, 1, "exactly one")
    _check_choice(input_, "size", ("standard", "high"))


def _check_sora_text(input_):
    _check_sora_common(input_)
    if input_.get("image_urls"):
        raise invalid("input.image_urls is not accepted by sora-2-text-to-video; use sora-2-image-to-video")


def _check_sora_common(input_):
    _check_prompt(input_, SORA_PROMPT_LIMIT)
    _check_choice(input_, "aspect_ratio", ("portrait", "landscape"))
    if "n_frames" in input_ and input_["n_frames"] not in ("10", "15"):
        raise invalid(f'input.n_frames must be the string "10" or "15", got {input_["n_frames"]!r}')
    if "remove_watermark" in input_ and not isinstance(input_["remove_watermark"], bool):
        raise invalid("input.remove_watermark must be a boolean")


def _check_nano_banana_edit(input_):
    _check_prompt(input_, NANO_PROMPT_LIMIT)
    _check_image_urls(input_, 1, NANO_MAX_IMAGES, f"1 to {NANO_MAX_IMAGES}")
    _check_choice(input_, "output_format", ("png", "jpeg"))
    _check_choice(input_, "image_size", IMAGE_SIZES)


def _check_prompt(input_, limit):
    prompt = input_.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("input.prompt is required")
    if len(prompt) > limit:
        raise invalid(f"input.prompt must be at most {limit} characters, got {len(prompt)}")


def _check_image_urls(input_, low, high, wording):
    urls = input_.get("image_urls")
    if not isinstance(urls, list) or not low <= len(urls) <= high:
        raise invalid(f"input.image_urls must be a list of {wording} image URL(s)")
    if not all(is_http_url(url) for url in urls):
        raise invalid("input.image_urls must hold public http(s) URLs")


def _check_choice(input_, name, choices):
    # Optional fields: absent is fine, present must be one of the documented values.
    if name in input_ and input_[name] not in choices:
        raise invalid(f"input.{name} must be one of {', '.join(choices)}, got {input_[name]!r}")


# ---------------------------------------------------------------------------------------------
# Programs and tasks


@dataclass
class Program:
    outcome: str = "success"
    after_polls: int = 1
    after_seconds: float | None = None
    fail_code: str = ""
    fail_msg: str = ""
    create_code: int | None = None
    create_http_status: int | None = None
    times: int = 1  # uses left
    junk: bool = False
    callback_early: bool = False
    fail_flag: int = 3  # a failed Veo task's successFlag: 2 or 3 (kie_veo.py)


def result_kind(model):
    return "video" if model.startswith(VIDEO_MODEL_PREFIXES) else "image"


RESULT_TYPES = {"video": ("mp4", "video/mp4"), "image": ("png", "image/png")}


@dataclass
class Task:
    id_prefix = "task_"  # not a field: a class's own

    task_id: str
    model: str
    input: dict
    callBackUrl: str | None
    param: str  # the createTask body as JSON text, as recordInfo echoes it
    program: Program
    result_url: str  # where the result is served once the task succeeds
    created_at: float = field(default_factory=time.monotonic)
    create_time: int = field(default_factory=now_ms)
    state: str = "waiting"
    polls: int = 0
    result_urls: list = field(default_factory=list)
    fail_code: str = ""
    fail_msg: str = ""
    complete_time: int | None = None
    junk_pending: bool = False

    @property
    def final(self):
        return self.state in ("success", "fail")

    @property
    def kind(self):
        return result_kind(self.model)

    def poll(self):
        """Count a recordInfo read; True when this read made the task final."""
        self.polls += 1
        if self.final:
            return False
        if self._due():
            return self.settle()
        self.state = "waiting" if self.polls == 1 else "generating"
        return False

    def _due(self):
        if self.program.outcome == "hang":
            return False
        if self.program.after_seconds is not None:
            return time.monotonic() - self.created_at >= self.program.after_seconds
        return self.polls >= self.program.after_polls

    def settle(self):
        """Reach the programmed end now; True when the task became final."""
        if self.final:
            return False
        if self.program.outcome == "hang":
            self.state = "generating"
            return False
        if self.program.outcome == "success":
            self.state, self.result_urls = "success", [self.result_url]
        else:
            self.state, self.fail_code, self.fail_msg = "fail", self.program.fail_code, self.program.fail_msg
        self.complete_time = max(now_ms(), self.create_time)
        return True

    def projected(self):
        """A copy at its programmed end, for a callback that runs ahead of recordInfo."""
        copy = dataclasses.replace(self, result_urls=list(self.result_urls))
        copy.settle()
        return copy

    def callback_body(self):
        return {"code": 200, "msg": "success", "data": self.record()}

    def record(self):
        """The `data` of recordInfo (and of callbacks)."""
        success = self.state == "success"
        return {
            "taskId": self.task_id,
            "model": self.model,
            "state": self.state,
            "param": self.param,
            "resultJson": json.dumps({"resultUrls": self.result_urls}) if success else "",
            "failCode": self.fail_code,
            "failMsg": self.fail_msg,
            "costTime": self.complete_time - self.create_time if self.complete_time is not None else None,
            "createTime": self.create_time,
            "completeTime": self.complete_time,
            "progress": {"waiting": 0, "generating": 50, "success": 100}.get(self.state, 0),
        }


# Answers a broken gateway, a bad deploy or an API change could give to recordInfo, by name: each one
# turns the task's real record (or envelope) into junk of one shape.
JUNK_SHAPES = {
    "data_not_object": lambda record: {"code": 200, "msg": "success", "data": "record follows"},
    "data_list": lambda record: {"code": 200, "msg": "success", "data": [record]},
    "data_null": lambda record: {"code": 200, "msg": "success", "data": None},
    "msg_not_string": lambda record: {"code": 500, "msg": ["Internal", "error"], "data": None},
    "msg_number": lambda record: {"code": 455, "msg": 455, "data": None},
    "code_missing": lambda record: {"msg": "success", "data": record},
    "body_list": lambda record: [record],
    "body_string": lambda record: "success",
    "state_not_string": lambda record: {"code": 200, "msg": "success", "data": {**record, "state": ["success"]}},
    "state_object": lambda record: {"code": 200, "msg": "success", "data": {**record, "state": {"v": "fail"}}},
    "result_json_not_json": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "success", "resultJson": "{resultUrls: [oops"},
    },
    "result_json_list": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "success", "resultJson": json.dumps(["https://cdn.example/a.mp4"])},
    },
    "result_urls_string": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "success", "resultJson": json.dumps({"resultUrls": "https://cdn.example/a.mp4"})},
    },
    "result_urls_not_urls": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "success", "resultJson": json.dumps({"resultUrls": [{"url": "x"}, 7]})},
    },
    "result_url_too_long": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {
            **record,
            "state": "success",
            "resultJson": json.dumps({"resultUrls": ["https://cdn.example/" + "a" * 3000]}),
        },
    },
    "result_json_number": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "success", "resultJson": 12},
    },
    "fail_code_list": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "fail", "failCode": ["500"], "failMsg": "failed"},
    },
    "fail_msg_object": lambda record: {
        "code": 200,
        "msg": "success",
        "data": {**record, "state": "fail", "failCode": "500", "failMsg": {"text": "flagged"}},
    },
    "deeply_nested": lambda record: "[" * 100_000 + "]" * 100_000,
}


def junk_answer(shape, record):
    """(body bytes, content type) of a junk answer of `shape` about a task whose real record is `record`."""
    body = JUNK_SHAPES[shape](record)
    if shape == "deeply_nested":
        return body.encode(), "application/json"
    return json.dumps(body).encode(), "application/json"


def orphan_record(task_id):
    """A success-looking record for a callback about a task the fake never made (a forged wake-up)."""
    return {
        "taskId": task_id,
        "model": "sora-2-image-to-video",
        "state": "success",
        "param": "",
        "resultJson": json.dumps({"resultUrls": ["https://example.invalid/forged.mp4"]}),
        "failCode": "",
        "failMsg": "",
        "costTime": 0,
        "createTime": now_ms(),
        "completeTime": now_ms(),
        "progress": 100,
    }


# ---------------------------------------------------------------------------------------------
# Result content


@functools.cache
def default_image():
    """A real 864x1184 PNG when Pillow is importable, else a 1x1 PNG."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return TINY_PNG
    image = Image.new("RGB", RESULT_SIZE, (236, 229, 216))
    width, height = RESULT_SIZE
    ImageDraw.Draw(image).rectangle((width // 5, height // 4, width * 4 // 5, height * 3 // 4), fill=(52, 101, 164))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@functools.cache
def default_video():
    """A real one-second 64x112 H.264 MP4 when PyAV is importable (it decodes), else an MP4-looking stub."""
    try:
        import av
        from PIL import Image
    except ImportError:
        return MP4_STUB
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=4)
        stream.width, stream.height, stream.pix_fmt = 64, 112, "yuv420p"
        for index in range(4):
            picture = Image.new("RGB", (64, 112), (40 + 40 * index, 90, 160))
            for packet in stream.encode(av.VideoFrame.from_image(picture).reformat(format="yuv420p")):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()


def default_result_content():
    return {"video": default_video(), "image": default_image()}
