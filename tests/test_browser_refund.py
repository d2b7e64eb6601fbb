"""Support refunds a failed generation in a real browser: log in, find the user, refund, see the balance."""

import urllib.error
import urllib.request

import pytest

from accounts.models import TelegramUser
from billing import ledger
from billing.models import CreditTransaction
from generations.models import Generation
from tests.browser import browser  # noqa: F401  (the headless Chromium fixture)
from tests.factories import make_generations, make_user
from tests.staff import make_support

pytestmark = pytest.mark.browser


@pytest.fixture
def failed_generation(transactional_db):
    """Charged through the ledger, then failed, and its automatic refund never ran."""
    user = make_user(telegram_id=424242, username="mug_seller", credits=10)
    (generation,) = make_generations(user, cost=10)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(
        status=Generation.Status.FAILED, error_class="provider", error_message="KIE: content policy"
    )
    return Generation.objects.get(pk=generation.pk)


def test_it_lets_support_refund_a_failed_generation_in_the_browser(browser, live_server, failed_generation, workers):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    support = make_support()
    make_user(telegram_id=434343, username="someone_else")
    user = failed_generation.user
    assert TelegramUser.objects.get(pk=user.pk).balance == 0

    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("support")
    browser.find_element(By.NAME, "password").send_keys("pw")
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    browser.find_element(By.ID, "dashboard")

    browser.get(f"{live_server.url}/admin/accounts/telegramuser/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 2
    search = browser.find_element(By.ID, "searchbar")
    search.send_keys("424242")
    search.submit()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("q=424242"))
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    row.find_element(By.CSS_SELECTOR, "th a").click()

    assert browser.find_element(By.CSS_SELECTOR, ".field-balance .readonly").text == "0"
    generation_link = f".inline-group a[href*='/generation/{failed_generation.pk}/change/']"
    browser.find_element(By.CSS_SELECTOR, generation_link).click()
    assert "KIE: content policy" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "button[value=refund_generations]").click()
    browser.find_element(By.ID, "id_reason").send_keys("the provider refused the photo; refund was lost")
    browser.find_element(By.CSS_SELECTOR, "#action-form [type=submit]").click()

    assert "возвращено кредитов: 10, баланс 10" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    browser.find_element(By.CSS_SELECTOR, f".field-user a[href*='/telegramuser/{user.pk}/']").click()
    assert browser.find_element(By.CSS_SELECTOR, ".field-balance .readonly").text == "10"

    refund = CreditTransaction.objects.get(generation=failed_generation, kind=CreditTransaction.Kind.GENERATION_REFUND)
    assert (refund.amount, refund.balance_after) == (10, 10)
    assert (refund.actor, refund.reason) == (support, "the provider refused the photo; refund was lost")
    assert ledger.find_mismatches() == []
    # «Tell the user» is on by default: the bot told them, at the fake Bot API (never the real one).
    assert any(text.startswith("Поддержка вернула на баланс 10 кредитов") for text in workers.telegram.texts(424242))

    delete = f"{live_server.url}/admin/accounts/telegramuser/{user.pk}/delete/"
    browser.get(delete)
    assert "403" in browser.title or "403" in browser.page_source
    session = browser.get_cookie("sessionid")["value"]
    request = urllib.request.Request(delete, headers={"Cookie": f"sessionid={session}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert TelegramUser.objects.filter(pk=user.pk).exists()
