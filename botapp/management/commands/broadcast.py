import signal
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from botapp import broadcast
from botapp.models import Broadcast

PREVIEW_LINES = 3


class Command(BaseCommand):
    help = (
        f"Send a message to every user who has not blocked the bot (staff-blocked users included), in user "
        f"order, at Telegram's pace. The text is HTML as the bot sends it (<b>, <i>, <a href>, <code>…; no <br>: "
        f"use new lines, so prefer --file), at most {broadcast.MAX_LENGTH} characters with tags. The position is "
        "saved after every user: running the same text again resumes after the last user done; --restart "
        "starts again from the first. Ctrl-C stops after the current message (twice: at once). A failed send "
        f"is counted and passed by; {broadcast.UNREACHABLE_IN_A_ROW} in a row (Telegram unreachable) stop the run "
        "before them. --dry-run only says how many would get it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--text", help="the message")
        parser.add_argument("--file", help="a UTF-8 file holding the message")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--restart", action="store_true", help="send to everyone again, from the first user")

    def handle(self, *args, text, file, dry_run, restart, **options):
        try:
            text = broadcast.clean_text(_read(text, file))
        except broadcast.BroadcastError as error:
            raise CommandError(str(error)) from None
        if dry_run:
            return self._dry_run(text, restart)
        try:
            job = broadcast.open_broadcast(text, restart=restart)
        except broadcast.BroadcastError as error:
            raise CommandError(str(error)) from None
        if job.finished_at:
            return f"{job}: already finished {job.finished_at:%Y-%m-%d %H:%M}, {_counts(job)}; --restart sends it again"
        stop, progress = _StopOnInterrupt(self.stderr), _Progress(self.stderr)
        try:
            with stop:
                broadcast.deliver(job, progress=progress, stop=stop)
        except broadcast.BroadcastError as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            pass  # the position is saved: said below
        finally:
            progress.end()
        job = Broadcast.objects.get(pk=job.pk)
        if job.finished_at is None:
            raise CommandError(
                f"{job}: stopped after user {job.last_user_id}, {_counts(job)}; run the same command again to resume"
            )
        return f"{job}: finished, {_counts(job)}"

    def _dry_run(self, text, restart):
        latest, count = broadcast.audience(text, restart=restart)
        lines = text.splitlines()
        for line in lines[:PREVIEW_LINES]:
            self.stdout.write(f"  | {line}")
        if len(lines) > PREVIEW_LINES:
            self.stdout.write(f"  | … ({len(lines) - PREVIEW_LINES} more lines)")
        if latest is not None and not restart:
            where = (
                f"finished {latest.finished_at:%Y-%m-%d %H:%M}; --restart sends it again"
                if latest.finished_at
                else f"resuming after user {latest.last_user_id}, {_counts(latest)} so far"
            )
            return f"broadcast (dry run): {count} users would receive it ({latest}: {where})"
        return f"broadcast (dry run): {count} users would receive it"


def _read(text, file):
    if (text is None) == (file is None):
        raise CommandError("Give the message with either --text or --file.")
    if file is None:
        return text
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Can't read {file}: {error}") from None


def _counts(job):
    return f"{job.sent} sent, {job.failed} failed, {job.skipped} skipped (blocked the bot)"


class _Progress:
    """`done/total  pct  rate  ETA` on stderr, in place on a terminal, a line every half minute in a log."""

    def __init__(self, out):
        self.out, self.tty = out, out.isatty()
        self.every = 0.25 if self.tty else 30
        self.started = self.shown = time.monotonic()
        self.in_place = False

    def __call__(self, done, total):
        now = time.monotonic()
        if now - self.shown < self.every and done < total:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-3)
        eta = (total - done) / rate if rate else 0
        line = f"{done}/{total} {100 * done // total}% {rate:.1f}/s ETA {_duration(eta)}"
        self.out.write(f"\r{line}  " if self.tty else line, style_func=str, ending="" if self.tty else "\n")
        self.out.flush()
        self.in_place = self.tty

    def end(self):
        if self.in_place:
            self.out.write("", style_func=str)


class _StopOnInterrupt:
    """The first Ctrl-C asks the run to stop after the message in flight; a second one stops it at once."""

    def __init__(self, out):
        self.out, self.requested, self.previous = out, False, None

    def __call__(self):
        return self.requested

    def __enter__(self):
        # Signal handlers can only be set from the main thread; elsewhere Ctrl-C is a plain interrupt.
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._interrupted)
        return self

    def __exit__(self, *exc_info):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _interrupted(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.out.write("\nstopping after this message (Ctrl-C again to stop at once)", style_func=str)


def _duration(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
