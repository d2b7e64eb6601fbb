"""A local fake of the KIE AI task APIs (jobs, and Veo 3.1: kie_veo.py) and file-upload API that speaks the
real HTTP protocol.

One ``base_url`` serves the APIs, the uploaded files (``/files/...``) and task results (``/results/...``).
Standalone: ``python -m tests.fakes.kie --port 8082``.
"""

import argparse
import collections
import functools
import json
import threading
import time
from http import HTTPStatus
from urllib.parse import unquote

from tests.fakes.http_base import FakeHttpServer, Response, serve_until_signal
from tests.fakes.kie_api import (
    Call,
    TaskApi,
    envelope,
    junk_body,
)
from tests.fakes.kie_tasks import (
    CODE_MESSAGES,
    OUTCOMES,
    RESULT_TYPES,
    KieError,
    Program,
    default_result_content,
    orphan_record,
)
from tests.fakes.kie_uploads import decode_params, make_upload
from tests.fakes.kie_veo import VEO_FAIL_FLAGS


class FakeKie(TaskApi, FakeHttpServer):
    thread_name = "fake-kie"

    def __init__(
        self,
        *,
        keys=("kie-test-key-1",),
        host="127.0.0.1",
        port=0,
        latency=0.0,
        record_rate_per_key=10.0,
        create_limit=(20, 10.0),
    ):
        super().__init__(host=host, port=port, latency=latency)
        self.record_rate_per_key = record_rate_per_key
        self.create_limit = create_limit
        self._lock = threading.RLock()
        self._delivered = threading.Condition(self._lock)
        self._key_codes = dict.fromkeys(keys)
        self._timers = []
        self._routes = {
            ("POST", "/api/v1/jobs/createTask"): (self._create_task, False),
            ("GET", "/api/v1/jobs/recordInfo"): (self._record_info, False),
            ("POST", "/api/v1/veo/generate"): (self._veo_generate, False),
            ("GET", "/api/v1/veo/record-info"): (self._veo_record_info, False),
            ("GET", "/api/v1/chat/credit"): (self._credit, False),
            ("POST", "/api/file-stream-upload"): (functools.partial(self._upload, "stream"), True),
            ("POST", "/api/file-base64-upload"): (functools.partial(self._upload, "base64"), True),
            ("POST", "/api/file-url-upload"): (functools.partial(self._upload, "url"), True),
        }
        self._forget()

    @property
    def base_url(self):
        return self.origin

    @property
    def keys(self):
        with self._lock:
            return list(self._key_codes)

    def stop(self):
        self._cancel_timers()
        super().stop()

    # -- what tests look at ----------------------------------------------------------------------

    def requests(self, path_suffix=None):
        with self._lock:
            calls = list(self.calls)
        return [call for call in calls if path_suffix is None or call.path.endswith(path_suffix)]

    def saw_text(self, needle):
        """Whether any request carried `needle` in its URL or body (raw, percent- or JSON-decoded)."""
        for call in self.requests():
            decoded = json.dumps(call.params, ensure_ascii=False, default=str)
            if needle in call.url or needle in unquote(call.url) or needle in decoded or needle.encode() in call.raw:
                return True
        return False

    def wait_for_callbacks(self, count, timeout=5.0):
        """The deliveries so far once there are at least `count` of them (or the timeout passed)."""
        with self._delivered:
            self._delivered.wait_for(lambda: len(self.callbacks) >= count, timeout)
            return list(self.callbacks)

    # -- what tests arrange ----------------------------------------------------------------------

    def program(
        self,
        *,
        outcome="success",
        after_polls=1,
        after_seconds=None,
        fail_code="",
        fail_msg="",
        create_code=None,
        create_http_status=None,
        times=1,
        junk=False,
        callback_early=False,
        fail_flag=3,
    ):
        """Script the next `times` tasks; programs are used in the order they were given.

        A failed Veo task reports `fail_flag` as its successFlag (2 or 3), `fail_code` as errorCode."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        if fail_flag not in VEO_FAIL_FLAGS:
            raise ValueError(f"fail_flag must be one of {VEO_FAIL_FLAGS}")
        if times < 1 or after_polls < 1:
            raise ValueError("times and after_polls start at 1")
        if create_code is None and create_http_status is not None:
            create_code = create_http_status
        program = Program(
            outcome,
            after_polls,
            after_seconds,
            str(fail_code),
            str(fail_msg),
            create_code,
            create_http_status,
            times,
            junk,
            callback_early,
            fail_flag,
        )
        with self._lock:
            self._programs.append(program)

    def reset(self):
        """Forget calls, tasks, programs, uploads, callbacks and counters; back to default settings.

        Only the keys (and the limits and latency given to the constructor) stay. A session-wide fake is
        reset before each test, so a key code, hmac_key, credits or result_content set by one test must
        not leak into the next.
        """
        self._cancel_timers()
        with self._lock:
            self._forget()
            self._key_codes = dict.fromkeys(self._key_codes)

    def junk_for(self, task_id, shape="data_not_object"):
        """Make recordInfo (or Veo's record-info) about `task_id` answer junk of `shape` (kie_tasks.JUNK_SHAPES,
        kie_veo.VEO_JUNK_SHAPES); None: the truth again.

        The task does not see those reads: it moves on only with reads that get a real answer.
        """
        with self._lock:
            if shape is None:
                self._junk_for.pop(task_id, None)
            else:
                junk_body(shape, {})  # an unknown shape fails here, in the test, not in a server thread
                self._junk_for[task_id] = shape

    def answer_next(self, path, body, *, status=HTTPStatus.OK, content_type="application/json"):
        """The next request to `path` gets this answer instead (a dict or list is sent as JSON)."""
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
        body = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._next_answers[path].append(Response(status, body, content_type))

    def redirect(self, path, location, *, status=HTTPStatus.FOUND):
        """GET `path` (e.g. a result's) answers a redirect to `location`; None: serve it again."""
        with self._lock:
            if location is None:
                self._redirects.pop(path, None)
            else:
                self._redirects[path] = (status, location)

    def set_key(self, key, *, code=None):
        """Make `key` answer body `code` on every call (None: healthy); an unknown key becomes known."""
        with self._lock:
            self._key_codes[key] = code

    def finish(self, task_id):
        """Let the provider finish a task now, as its program says, and fire its callback."""
        with self._lock:
            task = self.tasks[task_id]
            became_final = task.settle()
        if became_final:
            self._fire_callback(task)
        return task

    def send_callback(self, task_id, *, signature=None, timestamp=None, body=None, url=None):
        """POST a callback now and return the HTTP status the app answered (connection errors raise).

        Defaults: the task's callBackUrl and current record, signed when hmac_key is set. A task the
        fake never made needs `url` and gets a success-looking record.
        """
        with self._lock:
            task = self.tasks.get(task_id)
            url = url or (task.callBackUrl if task else None)
            default = task.callback_body() if task else envelope(200, "success", orphan_record(task_id))
        if not url:
            raise ValueError(f"no callback URL for {task_id}")
        if body is None:
            body = default
        if isinstance(body, dict):
            body = json.dumps(body)
        payload = body.encode() if isinstance(body, str) else body
        delivery = self._deliver(task_id, url, payload, self._signature_headers(task_id, signature, timestamp))
        if delivery.error is not None:
            raise delivery.error
        return delivery.status

    # -- HTTP entry point (called from server threads) --------------------------------------------

    def handle(self, request):
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            request.bearer(),
            at=time.monotonic(),
            url=request.target,
            raw=request.body,
        )
        with self._lock:
            self.calls.append(call)
            scripted = self._next_answers[request.path].popleft() if self._next_answers[request.path] else None
        route = self._routes.get((request.method, request.path))
        if scripted is not None:
            response = scripted
        elif route is None:
            response = self._serve_content(request)
        else:
            handler, upload = route
            try:
                self._decode_and_authorize(call, request)
                response = handler(call)
            except KieError as error:
                response = Response.json(error.http_status, envelope(error.code, error.msg, upload=upload))
        self._note_answer(call, response)
        return response

    def _note_answer(self, call, response):
        call.status = response.status
        if response.content_type == "application/json":
            try:
                call.code = json.loads(response.body).get("code")
            except (ValueError, AttributeError, RecursionError):
                call.code = None
        if HTTPStatus.TOO_MANY_REQUESTS in (call.status, call.code):
            with self._lock:
                self.too_many += 1

    def _decode_and_authorize(self, call, request):
        # Decode first so even a refused call shows its params, but answer the key problem first.
        try:
            call.params = decode_params(request)
        except KieError:
            self._authorize(call.key)
            raise
        self._authorize(call.key)

    def _authorize(self, key):
        with self._lock:
            if key not in self._key_codes:
                raise KieError(401)
            code = self._key_codes[key]
        if code is not None:
            raise KieError(code)

    @staticmethod
    def _ok(data, msg="success", *, upload=False, after=None):
        return Response.json(HTTPStatus.OK, envelope(200, msg, data, upload=upload), after=after)

    # -- the upload API ----------------------------------------------------------------------------------

    def _upload(self, via, call):
        upload = make_upload(via, call.params, self.base_url)
        with self._lock:
            self.uploads.append(upload)
            self._files[upload.file_path] = upload
        return self._ok(upload.data(), "File uploaded successfully", upload=True)

    # -- public content: uploaded files and results -------------------------------------------------------

    def _serve_content(self, request):
        with self._lock:
            redirect = self._redirects.get(request.path) if request.method == "GET" else None
        if redirect is not None:
            status, location = redirect
            return Response(status, b"", "text/plain", headers={"Location": location})
        if request.method == "GET" and request.path.startswith("/files/"):
            with self._lock:
                upload = self._files.get(request.path.removeprefix("/files/"))
            if upload is not None and upload.content is not None:
                return Response(HTTPStatus.OK, upload.content, upload.mime_type)
        if request.method == "GET" and request.path.startswith("/results/"):
            task_id, _, extension = request.path.removeprefix("/results/").rpartition(".")
            with self._lock:
                task = self.tasks.get(task_id)
            if task is not None and task.state == "success" and RESULT_TYPES[task.kind][0] == extension:
                return Response(HTTPStatus.OK, self.result_content[task.kind], RESULT_TYPES[task.kind][1])
        return Response.json(HTTPStatus.NOT_FOUND, envelope(404, CODE_MESSAGES[404]))

    # -- housekeeping ----------------------------------------------------------------------------------------

    def _forget(self):
        self.credits = 1000.0
        self.hmac_key = None
        # Callbacks go to this origin (e.g. the app under test) with their URL's path: the app may name an
        # https host it can't be reached at from a test.
        self.callback_origin = None
        self.result_content = default_result_content()
        self.calls = []
        self.tasks = {}
        self.uploads = []
        self.callbacks = []
        self.too_many = 0
        self._programs = collections.deque()
        self._files = {}
        self._creations = collections.deque()
        self._record_windows = collections.defaultdict(collections.deque)
        self._junk_for = {}
        self._next_answers = collections.defaultdict(collections.deque)
        self._redirects = {}

    def _cancel_timers(self):
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a fake KIE AI (tasks and uploads) until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--key", action="append", help="an accepted API key (repeatable)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--hmac-key", default=None, help="sign callbacks with this webhook HMAC key")
    parser.add_argument("--record-rate", type=float, default=10.0, help="recordInfo requests per second per key")
    parser.add_argument("--create-limit", type=int, default=20, help="new tasks per --create-window")
    parser.add_argument("--create-window", type=float, default=10.0, help="seconds")
    args = parser.parse_args(argv)
    fake = FakeKie(
        keys=tuple(args.key or ("kie-test-key-1",)),
        host=args.host,
        port=args.port,
        latency=args.latency,
        record_rate_per_key=args.record_rate,
        create_limit=(args.create_limit, args.create_window),
    )
    fake.hmac_key = args.hmac_key
    serve_until_signal(fake, [f"keys: {', '.join(fake.keys)}"])


if __name__ == "__main__":
    main()
