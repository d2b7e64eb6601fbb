"""Veo 3.1 at the fake KIE: `POST /api/v1/veo/generate` and `GET /api/v1/veo/record-info` (docs/veo.md).

The task machinery (programs, polls, callbacks, results, rate limits) is the jobs API's; only what is asked
and what is answered differ. A program's `fail_flag` picks the failed successFlag: 2 (failed before
generation) or 3 (generation failed upstream).
"""

import json
from dataclasses import dataclass

from tests.fakes.kie_tasks import Task, invalid, is_http_url

VEO_MODELS = ("veo3", "veo3_fast")
VEO_ASPECT_RATIOS = ("16:9", "9:16", "Auto")
TEXT_2_VIDEO = "TEXT_2_VIDEO"
FRAMES_2_VIDEO = "FIRST_AND_LAST_FRAMES_2_VIDEO"
REFERENCE_2_VIDEO = "REFERENCE_2_VIDEO"  # Veo 3.1 Fast only
VEO_GENERATION_TYPES = (TEXT_2_VIDEO, FRAMES_2_VIDEO, REFERENCE_2_VIDEO)
VEO_FAIL_FLAGS = (2, 3)


def validate_veo(body):
    """(model, body, callBackUrl or None) of a valid generate body, else a KieError 422."""
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("prompt is required")
    model = body.get("model", "veo3_fast")
    if model not in VEO_MODELS:
        raise invalid(f"model must be one of {', '.join(VEO_MODELS)}, got {model!r}")
    aspect = body.get("aspect_ratio", "16:9")
    if aspect not in VEO_ASPECT_RATIOS:
        raise invalid(f"aspect_ratio must be one of {', '.join(VEO_ASPECT_RATIOS)}, got {aspect!r}")
    urls = body.get("imageUrls")
    kind = body.get("generationType", FRAMES_2_VIDEO if urls else TEXT_2_VIDEO)
    if kind not in VEO_GENERATION_TYPES:
        raise invalid(f"generationType must be one of {', '.join(VEO_GENERATION_TYPES)}, got {kind!r}")
    if kind == REFERENCE_2_VIDEO and model != "veo3_fast":
        raise invalid("REFERENCE_2_VIDEO is only supported by veo3_fast")
    if kind == TEXT_2_VIDEO:
        if urls:
            raise invalid("imageUrls are not accepted by TEXT_2_VIDEO")
    elif not isinstance(urls, list) or not 1 <= len(urls) <= 2 or not all(is_http_url(url) for url in urls):
        raise invalid(f"imageUrls must be a list of 1 or 2 public http(s) image URLs for {kind}")
    for flag in ("enableFallback", "enableTranslation"):
        if flag in body and not isinstance(body[flag], bool):
            raise invalid(f"{flag} must be a boolean")
    seeds = body.get("seeds")
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or not 10000 <= seeds <= 99999):
        raise invalid("seeds must be an integer from 10000 to 99999")
    if "watermark" in body and not isinstance(body["watermark"], str):
        raise invalid("watermark must be a string")
    callback_url = body.get("callBackUrl")
    if callback_url not in (None, "") and not is_http_url(callback_url):
        raise invalid("callBackUrl must be an http(s) URL")
    return model, body, callback_url or None


@dataclass
class VeoTask(Task):
    """A Veo task: the same life as a job, told in record-info's and Veo's callback words."""

    id_prefix = "veo_task_"

    @property
    def success_flag(self):
        if self.state == "success":
            return 1
        if self.state == "fail":
            return self.program.fail_flag if self.program.fail_flag in VEO_FAIL_FLAGS else 3
        return 0

    @property
    def error_code(self):
        if self.state != "fail":
            return None
        return int(self.fail_code) if self.fail_code.isdigit() else (self.fail_code or None)

    def response(self):
        if self.state != "success":
            return None
        # originUrls: the clip before KIE's re-framing, given for ratios other than 16:9 (we never read it).
        origin = [url.replace(".mp4", "-origin.mp4") for url in self.result_urls]
        return {
            "taskId": self.task_id,
            "resultUrls": list(self.result_urls),
            "originUrls": origin,
            "resolution": "720p",
        }

    def record(self):
        """The `data` of record-info."""
        return {
            "taskId": self.task_id,
            "paramJson": self.param,
            "response": self.response(),
            "successFlag": self.success_flag,
            "errorCode": self.error_code,
            "errorMessage": self.fail_msg if self.state == "fail" else "",
            "createTime": self.create_time,
            "completeTime": self.complete_time,
            "fallbackFlag": False,
        }

    def callback_body(self):
        # Veo's callback is not record-info's shape: the outcome is the body code, the result under data.info.
        if self.state == "success":
            code, msg = 200, "Veo3.1 video generated successfully."
        else:
            code, msg = (self.error_code if isinstance(self.error_code, int) else 501), self.fail_msg or "Failed"
        info = self.response()
        if info is not None:
            info = {key: value for key, value in info.items() if key != "taskId"}
        return {"code": code, "msg": msg, "data": {"taskId": self.task_id, "info": info, "fallbackFlag": False}}


def _veo(change):
    return lambda record: {"code": 200, "msg": "success", "data": {**record, **change}}


# Junk a Veo record-info may answer, named veo_… (the envelope-level shapes of kie_tasks.JUNK_SHAPES apply too).
VEO_JUNK_SHAPES = {
    "veo_success_flag_string": _veo({"successFlag": "1"}),
    "veo_success_flag_bool": _veo({"successFlag": True}),
    "veo_success_flag_unknown": _veo({"successFlag": 7}),
    "veo_response_missing": _veo({"successFlag": 1, "response": None}),
    "veo_response_not_object": _veo({"successFlag": 1, "response": ["https://cdn.example/a.mp4"]}),
    "veo_result_urls_not_list": _veo({"successFlag": 1, "response": {"resultUrls": "https://cdn.example/a.mp4"}}),
    "veo_result_urls_not_urls": _veo({"successFlag": 1, "response": {"resultUrls": [{"url": "x"}, 7]}}),
    "veo_result_url_too_long": _veo(
        {"successFlag": 1, "response": {"resultUrls": ["https://cdn.example/" + "a" * 3000]}}
    ),
    "veo_error_code_list": _veo({"successFlag": 3, "errorCode": [500], "errorMessage": "failed"}),
    "veo_error_message_object": _veo({"successFlag": 2, "errorCode": 400, "errorMessage": {"text": "flagged"}}),
}


def veo_junk_answer(shape, record):
    return json.dumps(VEO_JUNK_SHAPES[shape](record)).encode(), "application/json"
