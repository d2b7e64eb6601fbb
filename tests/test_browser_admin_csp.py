"""In a real browser the admin works under its Content-Security-Policy: no page of the support path breaks a rule,
our stylesheet applies, and an injected inline script is refused."""

import pytest

from tests.browser import browser  # noqa: F401  (the headless Chromium fixture)
from tests.factories import make_user
from tests.staff import make_support

pytestmark = pytest.mark.browser
# Runs before any page script, outside the page's policy: collects what the browser refused.
WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""


def violations(browser):
    return browser.execute_script("return window.__violations")


def test_it_keeps_the_admin_working_under_its_policy(browser, live_server, transactional_db):  # noqa: F811
    from selenium.webdriver.common.by import By

    make_support()
    user = make_user(telegram_id=515151, username="cup_seller", credits=5)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})

    browser.get(f"{live_server.url}/admin/login/")
    assert violations(browser) == []
    browser.find_element(By.NAME, "username").send_keys("support")
    browser.find_element(By.NAME, "password").send_keys("pw")
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    number = browser.find_element(By.CSS_SELECTOR, "#dashboard td.number")
    assert number.value_of_css_property("text-align") == "right"  # our stylesheet, allowed
    assert violations(browser) == []

    browser.get(f"{live_server.url}/admin/accounts/telegramuser/{user.pk}/change/")
    assert browser.find_element(By.CSS_SELECTOR, ".object-tools form").value_of_css_property("display") == "inline"
    browser.find_element(By.CSS_SELECTOR, "button[value=grant_credits]").click()
    browser.find_element(By.ID, "id_reason")
    assert violations(browser) == []

    browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';document.body.appendChild(s);"
    )
    assert browser.execute_script("return window.__ran") is None
    assert [v for v in violations(browser) if v.startswith("script-src")] != []
