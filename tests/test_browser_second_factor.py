"""In a real browser, in Russian: a Support member's first login with the second factor on enrols a phone from the
QR page (under the admin's CSP), and the next login asks for the code before the dashboard."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import browser  # noqa: F401  (the headless Chromium fixture)
from tests.staff import make_support
from tests.test_admin_second_factor import code
from tests.test_browser_admin_csp import WATCH, violations

pytestmark = pytest.mark.browser


def sign_in(browser, live_server):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("support")
    browser.find_element(By.NAME, "password").send_keys("pw")
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()


def enter(browser, value):
    from selenium.webdriver.common.by import By

    field = browser.find_element(By.NAME, "code")
    field.clear()
    field.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "#content-main form [type=submit]").click()


def test_it_enrols_a_phone_then_asks_for_the_code_at_the_next_login(
    browser,  # noqa: F811
    live_server,
    transactional_db,
    settings,
):
    from selenium.webdriver.common.by import By

    settings.ADMIN_REQUIRE_OTP = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the browser's own tries are not what this test is about
    make_support()
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})

    sign_in(browser, live_server)
    browser.find_element(By.ID, "second-factor-qr")
    assert "Настройка кода подтверждения" in browser.find_element(By.ID, "content").text
    assert browser.find_element(By.CSS_SELECTOR, "#second-factor-qr svg").is_displayed()
    assert violations(browser) == []
    device = TOTPDevice.objects.get(user__username="support")
    enter(browser, code(device))
    browser.find_element(By.ID, "dashboard")
    assert "NeuroCards — поддержка" in browser.title

    browser.delete_all_cookies()
    sign_in(browser, live_server)
    browser.find_element(By.NAME, "code")
    assert browser.title.startswith("Код подтверждения")
    enter(browser, "000000" if code(device) != "000000" else "111111")
    assert "Неверный код" in browser.find_element(By.CSS_SELECTOR, ".errorlist").text
    device.refresh_from_db()
    enter(browser, code(device, offset=30))
    browser.find_element(By.ID, "dashboard")
    assert violations(browser) == []
