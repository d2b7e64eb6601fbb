"""Support answers "I paid but got no credits" in a real browser, in Russian: find the buyer by Telegram ID,
open the payment YooKassa took but we never heard of, press «Проверить в ЮKassa», see the credits."""

import pytest

from billing import ledger
from billing.models import CreditTransaction
from tests.browser import browser, log_in  # noqa: F401  (the headless Chromium fixture)
from tests.factories import make_user
from tests.staff import make_support
from tests.test_yookassa_payments import buy

pytestmark = pytest.mark.browser


@pytest.fixture
def paid_but_pending(transactional_db, shop):
    """Paid at YooKassa; its notification was lost, so our row is still pending."""
    payment, _ = buy(shop, telegram_id=515151)
    shop.yookassa.succeed(payment.provider_payment_id)
    return payment


def test_it_lets_support_recheck_a_paid_but_pending_payment_from_its_page(browser, live_server, paid_but_pending, shop):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    payment = paid_but_pending
    make_support()
    make_user(telegram_id=525252, username="someone_else")
    log_in(browser, live_server, "support")

    browser.get(f"{live_server.url}/admin/accounts/telegramuser/")
    search = browser.find_element(By.ID, "searchbar")
    search.send_keys("515151")
    search.submit()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("q=515151"))
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    row.find_element(By.CSS_SELECTOR, "th a").click()
    assert browser.find_element(By.CSS_SELECTOR, ".field-balance .readonly").text == "0"

    browser.find_element(By.CSS_SELECTOR, f".inline-group a[href*='/payment/{payment.pk}/change/']").click()
    assert browser.find_element(By.CSS_SELECTOR, ".field-status .readonly").text == "Ожидает оплаты"
    button = browser.find_element(By.CSS_SELECTOR, "button[value=recheck_with_yookassa]")
    assert button.get_attribute("textContent").strip() == "Проверить в ЮKassa"  # shown in capitals by CSS
    assert not browser.find_elements(By.CSS_SELECTOR, "button[value=refund_stars]")
    button.click()

    message = browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert message == f"Платёж {payment.pk}: ЮKassa отвечает «succeeded»; зачислен, добавлено кредитов: 100."
    assert browser.find_element(By.CSS_SELECTOR, ".field-status .readonly").text == "Оплачен"
    assert not browser.find_elements(By.CSS_SELECTOR, "button[value=recheck_with_yookassa]")
    browser.find_element(By.CSS_SELECTOR, f".field-user a[href*='/telegramuser/{payment.user_id}/']").click()
    assert browser.find_element(By.CSS_SELECTOR, ".field-balance .readonly").text == "100"

    assert CreditTransaction.objects.filter(payment=payment, kind=CreditTransaction.Kind.PURCHASE).count() == 1
    assert shop.telegram.texts(chat_id=515151) == ["Оплата получена: начислено 100 кредитов. Баланс: 100 кредитов."]
    assert ledger.find_mismatches() == []
