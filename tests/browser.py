"""Headless Chromium for browser tests (Selenium, Debian's chromium and chromium-driver), and the staff login.

A test module takes the fixture with `from tests.browser import browser  # noqa: F401` and marks itself
`pytestmark = pytest.mark.browser`.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
try:
    import selenium
except ImportError:
    selenium = None
NEEDED = [("chromium", CHROMIUM), ("chromedriver (apt chromium-driver)", CHROMEDRIVER), ("selenium", selenium)]
MISSING = ", ".join(name for name, found in NEEDED if not found)

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
    # A staff browser that asks for English, as most do: the admin must still speak the operator's Russian.
    "--lang=en-US",
]


@pytest.fixture
def browser(tmp_path):
    # CI sets REQUIRE_BROWSER: there a missing browser is a failure, not a quiet skip.
    if MISSING and os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"REQUIRE_BROWSER is set but this machine lacks {MISSING}")
    if MISSING:
        pytest.skip(f"needs {MISSING}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"]:
        options.add_argument(flag)
    # Naming the driver keeps Selenium Manager, which would download one, out of it.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def log_in(browser, live_server, username="support", password="pw"):
    """Log in to the admin as a staff member and wait for the front page."""
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    browser.find_element(By.ID, "dashboard")
