"""The fake KIE's task API and its callbacks (a mixin of FakeKie, which holds the state they use), and the
records both speak."""

import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus

from tests.fakes.http_base import Response
from tests.fakes.kie_tasks import (
    JUNK_SHAPES,
    RESULT_TYPES,
    KieError,
    Program,
    Task,
    junk_answer,
    result_kind,
    sign,
    validate_create,
)
from tests.fakes.kie_veo import VEO_JUNK_SHAPES, VeoTask, validate_veo, veo_junk_answer

CALLBACK_TIMEOUT = 10.0
JUNK_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class Call:
    method: str
    path: str
    params: dict
    key: str | None
    status: int = 0
    code: int | None = None
    at: float = 0.0
    url: str = ""  # path and query as sent
    raw: bytes = field(default=b"", repr=False)


@dataclass
class Delivery:
    """One callback POST: status is what the app answered, error why it never got there."""

    task_id: str
    url: str
    headers: dict
    body: bytes = field(repr=False)
    status: int | None = None
    error: Exception | None = None
    at: float = field(default_factory=time.monotonic)

    def json(self):
        return json.loads(self.body)


def envelope(code, msg, data=None, *, upload=False):
    body = {"code": code, "msg": msg, "data": data}
    return {"success": code == HTTPStatus.OK, **body} if upload else body


def junk_body(shape, record):
    """(body bytes, content type) of junk of `shape`: one of kie_tasks.JUNK_SHAPES or kie_veo.VEO_JUNK_SHAPES."""
    if shape in VEO_JUNK_SHAPES:
        return veo_junk_answer(shape, record)
    if shape not in JUNK_SHAPES:
        raise KeyError(shape)
    return junk_answer(shape, record)


class TaskApi:
    # -- the task API --------------------------------------------------------------------------------

    def _create_task(self, call):
        model, input_, callback_url = validate_create(call.params)
        return self._start(model, input_, callback_url, call.params, Task)

    def _veo_generate(self, call):
        model, body, callback_url = validate_veo(call.params)
        return self._start(model, body, callback_url, call.params, VeoTask)

    def _start(self, model, input_, callback_url, body, task_type):
        now = time.monotonic()
        with self._lock:
            self._check_create_rate(now)
            program = self._take_program()
            if program.create_code is not None:
                raise KieError(program.create_code, http_status=program.create_http_status or HTTPStatus.OK)
            task = self._new_task(model, input_, callback_url, body, program, task_type)
            self._creations.append(now)
        # After the answer is written, so the app has the taskId before the wake-up arrives.
        after = (lambda: self._fire_callback(task, early=True)) if program.callback_early else None
        return self._ok({"taskId": task.task_id}, after=after)

    def _check_create_rate(self, now):
        limit, window = self.create_limit
        while self._creations and self._creations[0] <= now - window:
            self._creations.popleft()
        if len(self._creations) >= limit:
            raise KieError(429, f"Too many requests: at most {limit} new tasks per {window:g} s", 429)

    def _take_program(self):
        if not self._programs:
            return Program()
        program = self._programs[0]
        program.times -= 1
        if program.times <= 0:
            self._programs.popleft()
        return program

    def _new_task(self, model, input_, callback_url, body, program, task_type=Task):
        task_id = f"{task_type.id_prefix}{secrets.token_hex(16)}"
        extension = RESULT_TYPES[result_kind(model)][0]
        task = task_type(
            task_id,
            model,
            input_,
            callback_url,
            json.dumps(body, ensure_ascii=False),
            program,
            result_url=f"{self.base_url}/results/{task_id}.{extension}",
            junk_pending=program.junk,
        )
        self.tasks[task_id] = task
        if program.after_seconds is not None and program.outcome != "hang":
            # Time-programmed tasks end (and call back) on their own, like the real service.
            timer = threading.Timer(program.after_seconds, self._finish_if_known, args=(task_id,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return task

    def _finish_if_known(self, task_id):
        if task_id in self.tasks:
            self.finish(task_id)

    def _record_info(self, call, task_type=Task):
        task_id = call.params.get("taskId")
        with self._lock:
            self._check_record_rate(call.key, time.monotonic())
            if not task_id:
                raise KieError(400, "taskId is required")
            task = self.tasks.get(task_id)
            # Each API knows its own tasks only: a Veo task is not a job, nor the reverse.
            if task is None or type(task) is not task_type:
                raise KieError(404, "recordInfo is null")
            if task.junk_pending:
                # A gateway answered instead of KIE: the task never saw this read.
                task.junk_pending = False
                return Response(HTTPStatus.BAD_GATEWAY, JUNK_BODY, "text/html")
            if task_id in self._junk_for:
                body, content_type = junk_body(self._junk_for[task_id], task.record())
                return Response(HTTPStatus.OK, body, content_type)
            became_final = task.poll()
            data = task.record()
        if became_final:
            self._fire_callback(task)
        return self._ok(data)

    def _veo_record_info(self, call):
        return self._record_info(call, VeoTask)

    def _check_record_rate(self, key, now):
        window = self._record_windows[key]
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.record_rate_per_key:
            raise KieError(429, f"Too many requests: recordInfo allows {self.record_rate_per_key:g} per second", 429)
        window.append(now)

    def _credit(self, call):
        return self._ok(self.credits)

    # -- callbacks -------------------------------------------------------------------------------------

    def _fire_callback(self, task, *, early=False):
        with self._lock:
            if not task.callBackUrl:
                return
            body = (task.projected() if early else task).callback_body()
        payload = json.dumps(body).encode()
        headers = self._signature_headers(task.task_id, None, None)
        threading.Thread(
            target=self._deliver, args=(task.task_id, task.callBackUrl, payload, headers), daemon=True
        ).start()

    def _routed(self, url):
        """The callback URL with its scheme and host swapped for `callback_origin` (a test's stand-in for DNS)."""
        if not self.callback_origin:
            return url
        parts = urllib.parse.urlsplit(url)
        return self.callback_origin.rstrip("/") + urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))

    def _signature_headers(self, task_id, signature, timestamp):
        if self.hmac_key is None and signature is None and timestamp is None:
            return {}
        timestamp = str(timestamp if timestamp is not None else int(time.time()))
        if signature is None and self.hmac_key is not None:
            signature = sign(self.hmac_key, task_id, timestamp)
        headers = {"X-Webhook-Timestamp": timestamp}
        if signature is not None:
            headers["X-Webhook-Signature"] = signature
        return headers

    def _deliver(self, task_id, url, payload, headers):
        url = self._routed(url)
        delivery = Delivery(task_id, url, headers, payload)
        request = urllib.request.Request(
            url, data=payload, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as answer:
                delivery.status = answer.status
        except urllib.error.HTTPError as error:
            delivery.status = error.code
        except (OSError, ValueError) as error:
            delivery.error = error
        with self._delivered:
            self.callbacks.append(delivery)
            self._delivered.notify_all()
        return delivery
