import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_q.tasks import async_task, result


class Command(BaseCommand):
    help = "Start the web server and a worker cluster, prove both answer, and stop them. Exits 0 on success."

    def handle(self, *args, **options):
        port = _free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "neurocards.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=settings.BASE_DIR,
        )
        worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            body = _wait_for(f"http://127.0.0.1:{port}/healthz", web)
            self.stdout.write(f"web: http://127.0.0.1:{port}/healthz answered {body!r}")
            task_id = async_task("neurocards.tasks.ping")
            answer = result(task_id, wait=30_000)
            if answer != "pong":
                raise CommandError("worker: no answer from the django-q2 cluster within 30 s")
            self.stdout.write(f"worker: task {task_id} answered {answer!r}")
        finally:
            for process in (worker, web):
                process.terminate()
            for process in (worker, web):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        return "demo: web and worker started, answered and stopped"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"web: the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode().strip()
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"web: no answer from {url} within {seconds} s")
