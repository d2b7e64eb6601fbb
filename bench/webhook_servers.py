"""The webhook bench's servers: ours (uvicorn, the deployed ASGI app) and the reference (python-telegram-bot's
own webhook server, this bench run again with --reference-server), each a process group of its own."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

from bench.webhook_report import REFERENCE_CONCURRENCY, WORKERS

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_BENCH = Path(__file__).resolve().with_name("webhook.py")
START_TIMEOUT = 60
WEBHOOK_PATH = "telegram/webhook/"


# --- servers -------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base_url: str
    log: object

    def stop(self):
        if self.process.poll() is None:
            # The whole group: uvicorn's workers are children of its supervisor.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)

    def log_lines(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace").splitlines()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(fake):
    params = connection.settings_dict
    url = (
        f"postgres://{quote(params['USER'] or '')}:{quote(params['PASSWORD'] or '', safe='')}"
        f"@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{quote(params['NAME'])}"
    )
    return {**os.environ, "DATABASE_URL": url, "TELEGRAM_API_BASE_URL": fake.base_url}


def spawn(name, command, env, port):
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def start_ours(env):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "neurocards.asgi:application",
        "--workers",
        str(WORKERS),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return spawn("uvicorn", command, env, port)


def start_reference(env):
    port = free_port()
    return spawn("PTB", [sys.executable, str(WEBHOOK_BENCH), "--reference-server", str(port)], env, port)


def wait_until_up(server, path):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n" + "\n".join(server.log_lines()[-20:]))
        try:
            # Any answer will do: PTB's server has no health URL and answers a GET with 405.
            httpx.get(f"{server.base_url}/{path}", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {START_TIMEOUT} s")


def serve_reference(port, *, secret):
    """python-telegram-bot's own webhook server with build()'s settings and handlers, updates concurrent."""
    from unittest import mock

    from telegram.ext import ApplicationBuilder

    from botapp import application

    class ConcurrentBuilder(ApplicationBuilder):
        def __init__(self):
            super().__init__()
            self.concurrent_updates(REFERENCE_CONCURRENCY)

    # build() itself, so token, Bot API address, pool sizes, timeouts and handlers stay identical to ours.
    with mock.patch.object(application, "ApplicationBuilder", ConcurrentBuilder):
        app = application.build(polling=True)
    app.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path=WEBHOOK_PATH,
        secret_token=secret,
        webhook_url=f"https://bench.invalid/{WEBHOOK_PATH}",
        drop_pending_updates=False,
    )
