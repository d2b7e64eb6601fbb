import os
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import TelegramUser
from botapp import broadcast
from botapp.models import Broadcast
from messaging import sender
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NEWS = "<b>New:</b> image cards in 4 styles.\nTry /start"


@pytest.fixture
def audience(workers):
    """Four users who get broadcasts (one blocked by staff: that is not blocking the bot) and one who blocked it."""
    users = [make_user() for _ in range(3)] + [make_user(is_blocked=True)]
    gone = make_user(bot_blocked_at=timezone.now())
    return users, gone


def texts(workers, user):
    return workers.telegram.texts(chat_id=user.telegram_id)


def test_it_sends_to_everyone_who_has_not_blocked_the_bot_once(workers, audience, capsys):
    users, gone = audience

    call_command("broadcast", text=NEWS)
    call_command("broadcast", text=NEWS)

    assert all(texts(workers, user) == [NEWS] for user in users)
    assert texts(workers, gone) == []
    out, err = capsys.readouterr()
    first, second = out.splitlines()
    assert first.endswith("finished, 4 sent, 0 failed, 0 skipped (blocked the bot)")
    assert "already finished" in second and "--restart sends it again" in second
    assert "4/4 100%" in err
    job = Broadcast.objects.get()
    assert (job.sent, job.failed, job.skipped, job.last_user_id) == (4, 0, 0, users[-1].pk)
    assert job.finished_at is not None and job.claimed_by == ""


def test_it_skips_a_user_who_blocked_the_bot_since(workers, audience):
    users, _ = audience
    workers.telegram.block(users[1].telegram_id)

    call_command("broadcast", text=NEWS)

    job = Broadcast.objects.get()
    assert (job.sent, job.failed, job.skipped) == (3, 0, 1)
    assert TelegramUser.objects.get(pk=users[1].pk).bot_blocked_at is not None


def test_it_counts_a_failed_send_and_goes_on(workers, audience, monkeypatch):
    users, _ = audience
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    workers.telegram.fail_next("sendMessage", status=500, description="Internal Server Error", times=sender.MAX_TRIES)

    call_command("broadcast", text=NEWS)

    assert texts(workers, users[0]) == []
    assert all(texts(workers, user) == [NEWS] for user in users[1:])
    job = Broadcast.objects.get()
    assert (job.sent, job.failed, job.skipped, job.finished_at is not None) == (3, 1, 0, True)


def test_it_stops_before_users_it_could_not_reach_and_tries_them_again(workers, audience, monkeypatch):
    users, _ = audience
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(broadcast, "UNREACHABLE_IN_A_ROW", 2)
    workers.telegram.fail_next("sendMessage", status=502, description="Bad Gateway", times=2 * sender.MAX_TRIES)

    with pytest.raises(CommandError, match="Telegram unreachable"):
        call_command("broadcast", text=NEWS)
    job = Broadcast.objects.get()
    assert (job.sent, job.failed, job.last_user_id, job.finished_at) == (0, 0, 0, None)

    call_command("broadcast", text=NEWS)

    assert all(texts(workers, user) == [NEWS] for user in users)


def test_it_resumes_after_an_interruption(workers, audience, monkeypatch, capsys):
    users, _ = audience
    send = sender.send_message
    calls = []

    def interrupted_at_the_third(chat_id, text, **kwargs):
        calls.append(chat_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return send(chat_id, text, **kwargs)

    monkeypatch.setattr(sender, "send_message", interrupted_at_the_third)
    with pytest.raises(CommandError, match=f"stopped after user {users[1].pk}, 2 sent") as stopped:
        call_command("broadcast", text=NEWS)
    assert stopped.value.returncode == 1
    assert Broadcast.objects.get().claimed_by == ""
    monkeypatch.setattr(sender, "send_message", send)

    call_command("broadcast", text=NEWS)

    assert all(texts(workers, user) == [NEWS] for user in users)
    job = Broadcast.objects.get()
    assert (job.sent, job.finished_at is not None) == (4, True)
    assert "finished, 4 sent" in capsys.readouterr().out


def test_it_stops_after_the_message_in_flight_on_ctrl_c(workers, audience, monkeypatch):
    users, _ = audience
    send = sender.send_message

    def ctrl_c_during_the_second(chat_id, text, **kwargs):
        answer = send(chat_id, text, **kwargs)
        if chat_id == users[1].telegram_id:
            os.kill(os.getpid(), signal.SIGINT)
        return answer

    monkeypatch.setattr(sender, "send_message", ctrl_c_during_the_second)
    with pytest.raises(CommandError, match="stopped after user"):
        call_command("broadcast", text=NEWS)

    job = Broadcast.objects.get()
    # The message in flight was delivered and counted: a resumed run won't send it twice.
    assert (job.sent, job.last_user_id) == (2, users[1].pk)
    assert [len(texts(workers, user)) for user in users] == [1, 1, 0, 0]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_it_sends_again_on_restart(workers, audience):
    users, _ = audience
    call_command("broadcast", text=NEWS)

    call_command("broadcast", text=NEWS, restart=True)

    assert all(texts(workers, user) == [NEWS, NEWS] for user in users)
    assert list(Broadcast.objects.order_by("pk").values_list("sent", flat=True)) == [4, 4]


def test_it_refuses_a_second_run_while_one_is_sending(workers, audience):
    Broadcast.objects.create(
        text=NEWS,
        text_hash=broadcast._hash(NEWS),
        claimed_by="web-1:4242:abcd",
        claimed_until=timezone.now() + timedelta(minutes=5),
    )

    with pytest.raises(CommandError, match="is being sent by web-1:4242:abcd"):
        call_command("broadcast", text=NEWS)

    assert workers.telegram.requests("sendMessage") == []


def test_it_takes_over_a_claim_its_process_left_behind(workers, audience):
    users, _ = audience
    Broadcast.objects.create(
        text=NEWS,
        text_hash=broadcast._hash(NEWS),
        last_user_id=users[1].pk,
        sent=2,
        claimed_by="web-1:4242:abcd",
        claimed_until=timezone.now() - timedelta(seconds=1),
    )

    call_command("broadcast", text=NEWS)

    assert [len(texts(workers, user)) for user in users] == [0, 0, 1, 1]
    assert Broadcast.objects.get().sent == 4


def test_a_dry_run_sends_nothing(workers, audience, capsys):
    call_command("broadcast", text=NEWS, dry_run=True)

    out = capsys.readouterr().out
    assert "  | <b>New:</b> image cards in 4 styles.\n  | Try /start\n" in out
    assert out.splitlines()[-1] == "broadcast (dry run): 4 users would receive it"
    assert workers.telegram.requests("sendMessage") == []
    assert not Broadcast.objects.exists()


def test_a_dry_run_counts_from_where_a_stopped_broadcast_resumes(workers, audience, capsys):
    users, _ = audience
    Broadcast.objects.create(text=NEWS, text_hash=broadcast._hash(NEWS), last_user_id=users[0].pk, sent=1)

    call_command("broadcast", text=NEWS, dry_run=True)

    assert "3 users would receive it (broadcast #" in capsys.readouterr().out


def test_it_reads_the_text_from_a_file(workers, audience, tmp_path):
    users, _ = audience
    path = tmp_path / "news.html"
    path.write_text(NEWS + "\n", encoding="utf-8")

    call_command("broadcast", file=str(path))

    assert texts(workers, users[0]) == [NEWS]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"text": "   "}, "The text is empty"),
        ({"text": "x" * 4097}, "4097 characters; Telegram takes at most 4096"),
        ({"text": "Hello<br>world"}, "<br> is not a tag Telegram knows \\(use a new line\\)"),
        ({"text": "<b>Sale"}, "<b> is never closed"),
        ({"text": "<i>Sale</b>"}, "</b> closes no open <b>"),
        ({"text": NEWS, "file": "news.html"}, "either --text or --file"),
        ({}, "either --text or --file"),
        ({"file": "/nonexistent/news.html"}, "Can't read /nonexistent/news.html"),
    ],
)
def test_it_refuses_a_text_telegram_would_not_take(workers, audience, options, error):
    with pytest.raises(CommandError, match=error) as refused:
        call_command("broadcast", **options)

    assert refused.value.returncode == 1
    assert workers.telegram.requests("sendMessage") == [] and not Broadcast.objects.exists()


def test_it_accepts_the_html_the_bot_uses():
    text = '<b>Bold</b> <i>it</i> <a href="https://t.me/x">link</a> <code>a &lt; b</code> <tg-spoiler>!</tg-spoiler>'

    assert broadcast.clean_text(f"  {text}\n") == text
