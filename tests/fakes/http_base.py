"""HTTP plumbing shared by the local fakes (KIE, OpenAI, YooKassa, Telegram): a threaded stdlib server and a base class.

A fake subclasses ``FakeHttpServer`` and implements ``handle(request) -> Response``.
"""

import email
import email.policy
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass
class Request:
    method: str
    target: str  # path and query exactly as sent
    path: str  # unquoted, without the query
    query: dict
    headers: object  # an email.message.Message: case-insensitive get()
    body: bytes

    def bearer(self):
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None

    @property
    def media_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    after: Callable[[], None] | None = None  # runs once the answer has been written

    def __post_init__(self):
        self.status = int(self.status)

    @classmethod
    def json(cls, status, payload, **kwargs):
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), **kwargs)


class NotMultipart(ValueError):
    """The body handed to parse_multipart() is not multipart."""


def parse_multipart(content_type, body):
    """({field: str}, {field: (filename, content_type, bytes)}) of a multipart/form-data body."""
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body, policy=email.policy.HTTP
    )
    if not message.is_multipart():
        raise NotMultipart("not a multipart body")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = content.decode("utf-8")
        else:
            files[name] = (filename, part.get_content_type(), content)
    return fields, files


class FakeHttpServer:
    """start()/stop(), a context manager, and latency added to every answer."""

    thread_name = "fake-http"

    def __init__(self, *, host="127.0.0.1", port=0, latency=0.0):
        self.host = host
        self.port = port
        self.latency = latency
        self._server = None
        self._thread = None

    @property
    def origin(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join()
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def handle(self, request: Request) -> Response:
        raise NotImplementedError


def serve_until_signal(fake, lines=()):
    """Standalone mode: start, print the base URL (and extra lines), stop on SIGINT or SIGTERM."""
    fake.start()
    print(fake.base_url, flush=True)
    for line in lines:
        print(line, flush=True)
    stopping = threading.Event()
    # A background job started by a shell ignores SIGINT unless asked, so SIGTERM stops it too.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stopping.wait()
    fake.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, connection, open_):
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self):
        # Keep-alive connections outlive shutdown(); cut them so a stopped fake answers nothing.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, keep-alive answers stall ~40 ms each.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.server.track(self.connection, True)

    def finish(self):
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            target=self.path,
            path=unquote(url.path),
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=self.headers,
            body=self._read_body(),
        )
        try:
            response = fake.handle(request)
        except Exception as error:  # noqa: BLE001  (a bug in the fake must reach the test as an answer)
            response = Response.json(HTTPStatus.INTERNAL_SERVER_ERROR, {"fake_error": repr(error)})
        if fake.latency:
            time.sleep(fake.latency)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
        self.wfile.flush()
        if response.after:
            response.after()

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))
