"""The Mini App in a real browser (headless Chromium) against the live server, as Telegram would open it.

Telegram's script is replaced by a local stub (tests/fixtures/miniapp/telegram-web-app.js, served from another
origin, as telegram.org is) whose window.Telegram.WebApp carries initData signed with the test bot's token as the
documented algorithm signs it. The page speaks to the real API; what reaches Telegram is seen at the fake Bot API;
a Stars payment is credited by a successful_payment update posted to the bot's webhook, as Telegram would post it.
Screenshots at 360×740 in the light and dark themes are kept under test-artifacts/.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditPack, CreditTransaction, Payment
from generations.models import Generation
from tests.browser import browser  # noqa: F401  (the headless Chromium fixture)
from tests.chat import Chat
from tests.factories import make_generations, make_user
from tests.tma import completed, init_data

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
STUB = Path(__file__).parent / "fixtures" / "miniapp" / "telegram-web-app.js"
ARTIFACTS = ROOT / "test-artifacts"
THEMES = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#3390ec",
        "button_color": "#3390ec",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f4f4f5",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#181818",
    },
}
RGB = {"#ffffff": "rgb(255, 255, 255)", "#212121": "rgb(33, 33, 33)"}


class StubScript:
    """Serves the stub telegram-web-app.js with this test's configuration above it."""

    def __init__(self):
        self.config = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (the stdlib's name)
                body = f"window.__TG_STUB_CONFIG__ = {json.dumps(stub.config)};\n".encode() + STUB.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                """Quiet: the test's output is its own."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/telegram-web-app.js"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stub_script():
    stub = StubScript().start()
    yield stub
    stub.stop()


@pytest.fixture
def miniapp(browser, bot_server, workers, transactional_db, settings, stub_script):  # noqa: F811
    """The live server with the Mini App's script pointed at the stub, and the links it makes at itself."""
    settings.MINIAPP_WEBAPP_JS_URL = stub_script.url
    settings.PUBLIC_BASE_URL = bot_server.url
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = ""  # no nginx in front: the app sends the thumbnails itself
    return MiniApp(browser=browser, server=bot_server, stub=stub_script, telegram=workers.telegram)


class MiniApp:
    def __init__(self, *, browser, server, stub, telegram):
        self.browser, self.server, self.stub, self.telegram = browser, server, stub, telegram

    def open(self, init, *, scheme="light"):
        """Open /miniapp/ on a 360×740 phone screen as Telegram would, with this initData."""
        self.browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}
        )
        self.stub.config = {"initData": init, "colorScheme": scheme, "themeParams": THEMES[scheme]}
        self.browser.get(f"{self.server.url}/miniapp/")
        self.until(lambda b: b.execute_script("return document.documentElement.dataset.state || ''"))

    def until(self, condition, timeout=15):
        from selenium.webdriver.support.wait import WebDriverWait

        return WebDriverWait(self.browser, timeout).until(condition)

    def js(self, script, *args):
        return self.browser.execute_script(script, *args)

    def find(self, css):
        from selenium.webdriver.common.by import By

        return self.browser.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        from selenium.webdriver.common.by import By

        return self.browser.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        """The text of the element now matching `css` ("" when none): the page re-renders as answers come."""
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : ''", css)

    def data(self, css, name):
        """A data-* attribute of the element now matching `css`, or None."""
        return self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.dataset[arguments[1]] : null", css, name
        )

    def click(self, css):
        """Click what matches `css` once it is there (found again if the page re-rendered it meanwhile)."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

        def clicked(browser):
            try:
                self.find(css).click()
            except (NoSuchElementException, StaleElementReferenceException):
                return False
            return True

        self.until(clicked)

    def tab(self, name):
        self.click(f"[data-tab={name}]")

    def screenshot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"miniapp-{name}-360x740.png"
        self.browser.get_screenshot_as_file(str(path))
        print(f"screenshot: {path}")
        return path

    def fits_the_phone(self):
        """No horizontal scroll at 360 px, and every visible button at least 40 px high."""
        return self.js(
            """
            const wide = document.documentElement.scrollWidth <= window.innerWidth;
            const small = [...document.querySelectorAll('button')]
                .filter(b => b.offsetParent !== null)
                .filter(b => b.getBoundingClientRect().height < 40)
                .map(b => b.textContent.trim());
            return {innerWidth: window.innerWidth, wide: wide, small: small};
            """
        )


def gallery_titles(app):
    return [title.text for title in app.all("#gallery .product h2")]


def test_it_shows_the_users_own_results_and_not_anothers(miniapp):
    anna = make_user(telegram_id=424242, first_name="Анна", language_code="ru")
    mug = completed(anna, description="Керамическая кружка 350 мл")
    completed(anna, description="Керамическая кружка 350 мл", reference_file_id="")
    lamp = completed(anna, kind="video", description="Настольная лампа")
    stranger = make_user(telegram_id=434343, first_name="Пётр")
    theirs = completed(stranger, description="Чужой секретный товар")

    miniapp.open(init_data(anna.telegram_id))
    miniapp.until(lambda b: gallery_titles(miniapp))

    assert gallery_titles(miniapp) == ["Настольная лампа", "Керамическая кружка 350 мл"]
    shown = {int(item.get_attribute("data-id")) for item in miniapp.all("#gallery .item")}
    assert mug.pk in shown and lamp.pk in shown and theirs.pk not in shown and len(shown) == 3
    assert "Чужой секретный товар" not in miniapp.browser.page_source
    # The card's thumbnail loads through its signed link, under the page's CSP.
    loaded = "return [...document.querySelectorAll('#gallery img')].some(i => i.complete && i.naturalWidth > 0)"
    miniapp.until(lambda b: miniapp.js(loaded))
    assert [tab.text for tab in miniapp.all(".tab")] == ["Галерея", "В работе", "Баланс"]
    phone = miniapp.fits_the_phone()
    assert phone == {"innerWidth": 360, "wide": True, "small": []}
    assert miniapp.js("return getComputedStyle(document.body).backgroundColor") == RGB["#ffffff"]
    miniapp.screenshot("gallery-light")

    # Telegram switches to its dark theme while the Mini App is open.
    miniapp.js("window.__tgStub.setTheme('dark', arguments[0])", THEMES["dark"])
    miniapp.until(lambda b: miniapp.js("return document.documentElement.dataset.theme") == "dark")
    assert miniapp.js("return getComputedStyle(document.body).backgroundColor") == RGB["#212121"]
    miniapp.screenshot("gallery-dark")

    # A video plays in the page from its signed link.
    miniapp.click(f"#gallery .item[data-id='{lamp.pk}']")
    source = miniapp.until(lambda b: miniapp.js("return document.querySelector('#sheet-body video')?.src"))
    assert source.startswith(f"{miniapp.server.url}/")


def test_it_sends_a_result_to_the_chat_again(miniapp):
    anna = make_user(telegram_id=454545, first_name="Анна")
    card = completed(anna, description="Термокружка")
    miniapp.open(init_data(anna.telegram_id))

    miniapp.click(f"#gallery .item[data-id='{card.pk}']")
    assert miniapp.text("#result-send") == "Отправить в чат"
    assert miniapp.text("#result-again") == "Сделать ещё с этим товаром"
    miniapp.screenshot("result-light")
    miniapp.click("#result-send")

    miniapp.until(lambda b: miniapp.text("#result-send") == "Отправлено в чат.")
    (sent,) = [call for call in miniapp.telegram.sent(chat_id=anna.telegram_id) if call.method != "sendMessage"]
    assert sent.method in ("sendPhoto", "sendDocument") and f"#{card.pk}" in sent.params["caption"]

    # «Download the original»: Telegram's downloadFile with the signed link to this very result.
    miniapp.click("#result-download")
    (download,) = miniapp.until(lambda b: miniapp.js("return window.__tgStub.downloads"))
    assert download["url"].startswith(f"{miniapp.server.url}/") and download["file_name"] == f"image_{card.pk}.jpg"

    # «Make another with this product»: the bot carries on in the chat, and the Mini App closes.
    before = len(miniapp.telegram.sent(chat_id=anna.telegram_id))
    miniapp.click("#result-again")
    miniapp.until(lambda b: miniapp.js("return window.__tgStub.closed"))
    assert len(miniapp.telegram.sent(chat_id=anna.telegram_id)) > before


def test_it_follows_an_order_in_progress_and_cancels_it_after_asking(miniapp):
    anna = make_user(telegram_id=484848, first_name="Анна", credits=10)
    (order,) = make_generations(anna, cost=10)
    ledger.charge_generations(generations=[order])
    card = f"#orders .order[data-id='{order.pk}']"
    miniapp.open(init_data(anna.telegram_id))

    miniapp.tab("orders")
    miniapp.until(lambda b: miniapp.data(card, "status") == "queued")
    assert "Место в очереди: 1" in miniapp.text(card)
    miniapp.screenshot("orders-light")
    # Polled while shown: the worker takes it, and the page sees it without a reload.
    Generation.objects.filter(pk=order.pk).update(status=Generation.Status.PROCESSING)
    miniapp.until(lambda b: miniapp.data(card, "status") == "processing")
    assert "Место в очереди" not in miniapp.text(card)

    miniapp.click(f"[data-cancel='{order.pk}']")
    assert miniapp.text("#sheet-body p") == "Отменить этот заказ? Кредиты вернутся на баланс."
    miniapp.screenshot("cancel-light")
    miniapp.click("#cancel-yes")

    miniapp.until(lambda b: miniapp.data(card, "status") == "cancelled")
    assert miniapp.text("#toast") == "Отменено. Возвращено кредитов: 10."
    assert not miniapp.all(f"[data-cancel='{order.pk}']")
    assert TelegramUser.objects.get(pk=anna.pk).balance == 10
    assert (
        CreditTransaction.objects.filter(generation=order, kind=CreditTransaction.Kind.GENERATION_REFUND).count() == 1
    )


def test_it_buys_credits_with_stars_and_shows_them_once_the_bot_is_paid(miniapp):
    anna = make_user(telegram_id=464646, first_name="Anna", language_code="en")
    pack = CreditPack.objects.create(name="Seller", credits=100, price_rub="890.00", price_stars=450)
    miniapp.open(init_data(anna.telegram_id, language_code="en", first_name="Anna"))

    stars = f"[data-buy='{pack.pk}'][data-method=stars]"
    miniapp.tab("balance")
    miniapp.until(lambda b: miniapp.text("#history-empty"))
    assert miniapp.text("#balance") == "0" and miniapp.text(stars) == "450 ⭐ Stars"
    assert miniapp.text(f"[data-buy='{pack.pk}'][data-method=yookassa]") == "890 ₽ by card"
    miniapp.screenshot("balance-light")
    miniapp.click(stars)

    (link,) = miniapp.until(lambda b: miniapp.js("return window.__tgStub.invoices"))
    payment = Payment.objects.get(user=anna)
    invoice = miniapp.telegram.invoice_link(link)
    assert link.startswith("https://t.me/$") and (payment.method, payment.status) == ("stars", "pending")
    assert (invoice["currency"], invoice["total_amount"], invoice["payload"]) == ("XTR", 450, str(payment.pk))

    # Telegram takes the payment: the bot's pre-checkout and successful_payment, then the client calls back.
    chat = Chat(server=miniapp.server, telegram=miniapp.telegram, user_id=anna.telegram_id, language_code="en")
    chat.post(pre_checkout(chat, payment))
    assert miniapp.telegram.requests("answerPreCheckoutQuery")[-1].params["ok"] is True
    chat.post(successful(chat, payment))
    assert miniapp.js("return window.__tgStub.finishInvoice('paid')") is True

    miniapp.until(lambda b: miniapp.text("#balance") == "100")
    miniapp.until(lambda b: miniapp.text("#history .history-row"))
    assert "Purchase" in miniapp.text("#history .history-row") and "+100" in miniapp.text("#history .history-row")
    assert TelegramUser.objects.get(pk=anna.pk).balance == 100
    assert CreditTransaction.objects.filter(payment=payment, kind=CreditTransaction.Kind.PURCHASE).count() == 1
    assert ledger.find_mismatches() == []
    miniapp.js("window.__tgStub.setTheme('dark', arguments[0])", THEMES["dark"])
    miniapp.until(lambda b: miniapp.js("return document.documentElement.dataset.theme") == "dark")
    assert miniapp.fits_the_phone() == {"innerWidth": 360, "wide": True, "small": []}
    miniapp.screenshot("balance-dark")


def test_it_opens_the_yookassa_page_once_its_link_is_there(transactional_db, shop, miniapp):
    anna = make_user(telegram_id=494949, first_name="Анна")
    miniapp.open(init_data(anna.telegram_id))

    miniapp.tab("balance")
    miniapp.click(f"[data-buy='{shop.pack.pk}'][data-method=yookassa]")

    (link,) = miniapp.until(lambda b: miniapp.js("return window.__tgStub.links"))
    payment = Payment.objects.get(user=anna)
    assert payment.method == "yookassa" and link == payment.confirmation_url


def test_it_offers_a_retry_when_the_server_cannot_be_reached(miniapp):
    anna = make_user(telegram_id=505050, first_name="Анна")
    miniapp.open(init_data(anna.telegram_id))
    miniapp.until(lambda b: miniapp.text("#gallery-empty"))

    miniapp.browser.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    miniapp.browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    miniapp.tab("orders")

    miniapp.until(lambda b: miniapp.find("#notice").is_displayed())
    assert miniapp.text("#notice-text") == "Нет связи с сервером." and miniapp.text("#notice-retry") == "Повторить"
    miniapp.browser.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    miniapp.click("#notice-retry")

    miniapp.until(lambda b: miniapp.text("#orders-empty"))
    assert not miniapp.find("#notice").is_displayed()


@pytest.mark.parametrize(
    "forge",
    [
        lambda user: init_data(user.telegram_id, token="987654321:ANOTHER-bots-token"),
        lambda user: init_data(user.telegram_id).replace("query_id=", "query_id=X", 1),
        lambda user: init_data(user.telegram_id, auth_date=1_600_000_000),
        lambda user: "",
    ],
    ids=["another-bot", "altered", "stale", "outside-telegram"],
)
def test_it_shows_the_error_page_and_no_data_for_a_forged_init_data(miniapp, forge):
    anna = make_user(telegram_id=474747, first_name="Анна", credits=55)
    completed(anna, description="Секретная кружка")

    miniapp.open(forge(anna))

    miniapp.until(lambda b: miniapp.js("return document.documentElement.dataset.state") == "unauthorized")
    assert miniapp.find("#error-page").is_displayed()
    assert miniapp.text("#error-page h1") == "Откройте это из бота"
    assert not miniapp.find("#tabs").is_displayed() and not miniapp.find("#view").is_displayed()
    assert miniapp.js("return document.getElementById('view').textContent") == ""
    html = miniapp.browser.page_source
    assert "Секретная кружка" not in html and ">55<" not in html


def test_it_tells_someone_the_bot_never_met_to_start_the_chat_first(miniapp):
    miniapp.open(init_data(515151))  # signed by Telegram, but this user never wrote to the bot

    miniapp.until(lambda b: miniapp.js("return document.documentElement.dataset.state") == "unauthorized")
    miniapp.until(lambda b: miniapp.text("#error-message"))
    assert miniapp.text("#error-page h1") == "Откройте это из бота"
    assert miniapp.text("#error-message") == "Откройте чат с ботом и нажмите «Старт», затем снова откройте галерею."
    assert not miniapp.find("#tabs").is_displayed()


def pre_checkout(chat, payment):
    return {
        "update_id": chat.message_update()["update_id"],
        "pre_checkout_query": {
            "id": f"pcq-{payment.pk.hex[:8]}",
            "from": chat.user,
            "currency": "XTR",
            "total_amount": int(payment.amount),
            "invoice_payload": str(payment.pk),
        },
    }


def successful(chat, payment):
    return chat.message_update(
        successful_payment={
            "currency": "XTR",
            "total_amount": int(payment.amount),
            "invoice_payload": str(payment.pk),
            "telegram_payment_charge_id": "stxMINIAPP1",
            "provider_payment_charge_id": "stxMINIAPP1",
        }
    )
