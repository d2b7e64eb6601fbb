import socket
import threading
import time
from dataclasses import dataclass

import pytest
import uvicorn
from django.conf import settings

from tests.chat import Chat
from tests.fakes.telegram import FakeTelegram

WEBHOOK_SECRET = "test-webhook-secret_0123456789"


@dataclass
class BotServer:
    url: str
    secret: str

    @property
    def webhook_url(self):
        return f"{self.url}/telegram/webhook/"


@pytest.fixture(scope="session")
def telegram_server():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def bot_server(django_db_setup, telegram_server):
    """The project's ASGI app under uvicorn in a thread, talking to the fake Bot API (one per session)."""
    saved = {
        name: getattr(settings, name)
        for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL", "SUPPORT_USERNAME")
    }
    settings.TELEGRAM_BOT_TOKEN = telegram_server.token
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_API_BASE_URL = telegram_server.base_url
    settings.SUPPORT_USERNAME = "neurocards_help"
    from django.core.asgi import get_asgi_application

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(get_asgi_application(), host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield BotServer(url=f"http://127.0.0.1:{port}", secret=WEBHOOK_SECRET)
    server.should_exit = True
    thread.join(timeout=10)
    for name, value in saved.items():
        setattr(settings, name, value)


@pytest.fixture
def telegram(telegram_server):
    telegram_server.reset()
    return telegram_server


@pytest.fixture
def enqueued(monkeypatch):
    """Generations handed to the workers (recorded, not run: bot tests stop at the queue)."""
    handed = []
    monkeypatch.setattr("generations.pipeline.enqueue", handed.extend)
    return handed


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored files (the product photos the bot checks, results) in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def chat(bot_server, telegram, transactional_db, enqueued, media_root):
    return Chat(server=bot_server, telegram=telegram)


@pytest.fixture
def new_chat(bot_server, telegram, transactional_db, enqueued, media_root):
    """Another Telegram user: new_chat(user_id=…, language_code=…)."""
    return lambda **user: Chat(server=bot_server, telegram=telegram, **user)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def kie_server():
    from tests.fakes.kie import FakeKie

    fake = FakeKie(keys=("kie-key-1", "kie-key-2")).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def openai_server():
    from tests.fakes.openai import FakeOpenAI

    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def workers(settings, tmp_path, telegram_server, kie_server, openai_server):
    """The pipeline wired to the fakes: KIE, OpenAI and the Bot API; files in a temporary MEDIA_ROOT."""
    from generations import prompts
    from generations.providers import get_provider
    from messaging import sender

    telegram_server.reset()
    kie_server.reset()
    openai_server.reset()
    settings.MEDIA_ROOT = str(tmp_path)
    settings.TELEGRAM_BOT_TOKEN = telegram_server.token
    settings.TELEGRAM_API_BASE_URL = telegram_server.base_url
    settings.TELEGRAM_CHAT_INTERVAL_SECONDS = 0
    settings.TELEGRAM_MESSAGES_PER_SECOND = 10_000
    settings.GENERATION_PROVIDER = "kie"
    settings.KIE_API_KEYS = list(kie_server.keys)
    settings.KIE_API_BASE_URL = settings.KIE_UPLOAD_BASE_URL = kie_server.base_url
    settings.OPENAI_API_KEY = openai_server.api_key
    settings.OPENAI_BASE_URL = openai_server.base_url
    settings.ADMIN_CHAT_IDS = [900001]
    settings.PUBLIC_BASE_URL = ""
    settings.PROVIDER_FETCH_ALLOW_LOOPBACK = True  # the fake serves results on http://127.0.0.1
    for cached in (get_provider, sender._client, prompts._client):
        cached.cache_clear()
    yield Workers(telegram=telegram_server, kie=kie_server, openai=openai_server)
    for cached in (get_provider, sender._client, prompts._client):
        cached.cache_clear()


@dataclass
class Workers:
    telegram: object
    kie: object
    openai: object


@pytest.fixture(scope="session")
def yookassa_server():
    from tests.fakes.yookassa import FakeYooKassa

    fake = FakeYooKassa().start()
    yield fake
    fake.stop()


@pytest.fixture
def shop(workers, settings, yookassa_server):
    """YooKassa wired to its fake (plus the Bot API for the messages), and one credit pack."""
    from billing.models import CreditPack

    yookassa_server.reset()
    yookassa_server.receipts_required = False
    settings.YOOKASSA_SHOP_ID = yookassa_server.shop_id
    settings.YOOKASSA_SECRET_KEY = yookassa_server.secret_key
    settings.YOOKASSA_API_URL = yookassa_server.api_url
    settings.YOOKASSA_TIMEOUT_SECONDS = 3
    settings.PUBLIC_BASE_URL = "https://bot.example.com"
    pack = CreditPack.objects.create(name="Seller", credits=100, price_rub="890.00", price_stars=450)
    return Shop(yookassa=yookassa_server, telegram=workers.telegram, pack=pack)


@dataclass
class Shop:
    yookassa: object
    telegram: object
    pack: object


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the code defers to commit (messages, tasks), as production does after each transaction."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture
def support(client):
    """The test client logged in as a member of the Support group."""
    # Imported here: this module loads before Django is set up, and tests.staff imports models.
    from tests.staff import make_support

    staff = make_support()
    client.force_login(staff)
    return staff


@pytest.fixture
def at_photo(chat):
    """A seller with 100 credits who chose "video" and is asked for the product photo."""
    # Imported here: this module loads before Django is set up, and tests.factories imports models.
    from tests.factories import give_credits

    chat.send("/start")
    give_credits(chat.id, 100)
    chat.tap("menu:video")
    chat.replies()
    return chat
