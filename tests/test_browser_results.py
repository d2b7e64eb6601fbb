"""Support, in Russian, in a real browser: sends a completed result again and refunds a failed generation with
«Сообщить пользователю» on; both reach the user's chat at the fake Bot API."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from billing import ledger
from generations.models import Generation, OrderDelivery
from tests.browser import browser, log_in  # noqa: F401  (the headless Chromium fixture)
from tests.factories import make_generations, make_user
from tests.staff import make_support

pytestmark = pytest.mark.browser
Status = Generation.Status


def in_russian(browser, live_server):
    """Log in as Support: the admin is in Russian although this Chromium asks for English (StaffLocale)."""
    log_in(browser, live_server)
    assert browser.execute_script("return navigator.language").startswith("en")


def open_action(browser, live_server, generation, action):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/admin/generations/generation/{generation.pk}/change/")
    browser.find_element(By.CSS_SELECTOR, f"button[value={action}]").click()
    return browser.find_element(By.ID, "id_reason")


def test_it_lets_support_send_a_result_again(browser, live_server, transactional_db, workers):  # noqa: F811
    from selenium.webdriver.common.by import By

    make_support()
    (generation,) = make_generations(make_user(telegram_id=737373))
    generation.result_file.save("reel.mp4", ContentFile(b"mp4 bytes"), save=False)
    generation.status, generation.result_sent_at = Status.COMPLETED, timezone.now()
    generation.save()
    in_russian(browser, live_server)

    page = f"{live_server.url}/admin/generations/generation/{generation.pk}/change/"
    browser.get(page)
    buttons = {
        button.get_attribute("textContent").strip()
        for button in browser.find_elements(By.CSS_SELECTOR, ".object-tools button")
    }
    assert "Отправить результат ещё раз" in buttons and "Вернуть кредиты (один раз)" not in buttons
    open_action(browser, live_server, generation, "resend_results").send_keys("пользователь не нашёл видео")
    browser.find_element(By.CSS_SELECTOR, "#action-form [type=submit]").click()

    assert "результат отправлен пользователю ещё раз" in browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert browser.current_url == page
    (video,) = workers.telegram.requests("sendVideo", chat_id=737373)
    assert video.params["caption"].endswith(f"видео готово · #{generation.pk}")
    assert "результат отправлен ещё раз" in browser.find_element(By.CSS_SELECTOR, ".inline-group").text


def test_it_lets_support_refund_and_tell_the_user(browser, live_server, transactional_db, workers):  # noqa: F811
    from selenium.webdriver.common.by import By

    make_support()
    user = make_user(telegram_id=747474, credits=10)
    (generation,) = make_generations(user, cost=10)
    ledger.charge_generations(generations=[generation])
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.FAILED, error_class="temporary", failure_sent_at=timezone.now()
    )
    # Its failure message and its order's closing went when it failed; only the refund never ran.
    OrderDelivery.objects.create(
        order_id=generation.order_id,
        user=user,
        keyboard_on=generation.pk,
        due_at=timezone.now(),
        sent_at=timezone.now(),
    )
    in_russian(browser, live_server)

    open_action(browser, live_server, generation, "refund_generations").send_keys("сбой у провайдера")
    assert browser.find_element(By.ID, "id_tell_user").is_selected()
    assert "Сообщить пользователю" in browser.find_element(By.CSS_SELECTOR, "label[for=id_tell_user]").text
    browser.find_element(By.CSS_SELECTOR, "#action-form [type=submit]").click()

    messages = browser.find_element(By.CSS_SELECTOR, ".messagelist").text
    assert "возвращено кредитов: 10, баланс 10" in messages and "бот сообщит пользователю" in messages
    assert workers.telegram.texts(chat_id=747474) == [
        f"Поддержка вернула на баланс 10 кредитов за заказ «A ceramic mug» (#{generation.pk}). Баланс: 10."
    ]
    refund = browser.find_element(By.CSS_SELECTOR, ".field-refund .readonly").text
    assert "сотрудник support" in refund and "сбой у провайдера" in refund
