"""What the browser scenarios do on every page: log in, wait, read messages, check the network."""

import json
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.service import ROOT

SCREENSHOTS = ROOT / "var" / "screenshots"
# Seconds a page may take to show what a step waits for: a hang's bound on a loaded machine.
PATIENCE = 20


def wait_for(driver, css, timeout=PATIENCE):
    """The first element matching ``css`` once it is visible."""
    return WebDriverWait(driver, timeout).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(driver, css, text, timeout=PATIENCE):
    """Wait until an element matching ``css`` contains ``text``."""
    WebDriverWait(driver, timeout).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )


def click_link(driver, text):
    """Follow the link showing ``text`` and wait for the next page."""
    element = WebDriverWait(driver, PATIENCE).until(
        expected_conditions.element_to_be_clickable((By.PARTIAL_LINK_TEXT, text))
    )
    element.click()
    WebDriverWait(driver, PATIENCE).until(expected_conditions.staleness_of(element))


def login(driver, site, next_path="/admin/"):
    """Log in as the dev superuser through the admin's login form (unless logged in already)."""
    driver.get(f"{site.url}/admin/login/?next={next_path}")
    if driver.find_elements(By.ID, "user-tools"):
        return  # the admin sends a logged-in user on to the index
    wait_for(driver, "#id_username").send_keys("admin")
    driver.find_element(By.ID, "id_password").send_keys("admin")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, "#user-tools")


def messages(driver):
    """The texts of the admin's messages on the current page."""
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, ".messagelist li")]


def requested_urls(driver):
    """Every URL the browser requested since the last call (its network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def off_the_machine(urls):
    """The URLs among ``urls`` whose host is not the loopback (data: and blob: stay local)."""
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in ("data", "blob", "about")
        and urlsplit(url).hostname not in {"127.0.0.1", "localhost", "::1"}
    ]


def screenshot(driver, name):
    """Save the page as var/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
