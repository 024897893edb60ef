"""The API's own pages in Chromium: the Swagger UI, served whole by the service (no request
leaves the machine) and trying the list endpoint with a token; DRF's browsable API."""

import json
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import SEEDED
from tests.browser.helpers import (
    PATIENCE,
    login,
    off_the_machine,
    requested_urls,
    screenshot,
    wait_for,
    wait_for_text,
)

BOOKINGS = "/api/dynamo/booking/"


def network_events(driver):
    """The Network.requestWillBeSent events since the last call: (url, headers)."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            request = message["params"]["request"]
            sent.append((request["url"], request.get("headers", {})))
    return sent


def test_the_network_check_sees_a_request_for_another_host(browser, site):
    """The check below can fail: a page asking another host is seen, and blocked."""
    requested_urls(browser)
    browser.get(f"{site.url}/health/")
    browser.execute_script(
        "const image = document.createElement('img');"
        "image.src = 'https://cdn.jsdelivr.net/npm/swagger-ui-dist/favicon-32x32.png';"
        "document.body.appendChild(image);"
    )
    WebDriverWait(browser, PATIENCE).until(
        lambda driver: browser.execute_script("return document.images[0].complete")
    )
    assert browser.execute_script("return document.images[0].naturalWidth") == 0  # not loaded
    assert off_the_machine(requested_urls(browser)) == [
        "https://cdn.jsdelivr.net/npm/swagger-ui-dist/favicon-32x32.png"
    ]


def test_the_swagger_ui_loads_from_the_service_alone_and_tries_the_list_with_a_token(
    open_browser, site
):
    browser = open_browser()  # a session of its own: no login cookie, only the token
    requested_urls(browser)
    browser.get(f"{site.url}/api/docs/")
    wait_for(browser, f".opblock-get [data-path='{BOOKINGS}']")
    screenshot(browser, "swagger-ui")
    loaded = requested_urls(browser)
    assert any(url.endswith("/api/schema/") for url in loaded)
    assert any("swagger-ui" in url and url.endswith(".js") for url in loaded)
    assert off_the_machine(loaded) == []

    browser.find_element(By.CSS_SELECTOR, ".auth-wrapper button.authorize").click()
    token_section = WebDriverWait(browser, PATIENCE).until(
        expected_conditions.visibility_of_element_located(
            (By.XPATH, "//div[contains(@class,'auth-container')][.//h4[contains(., 'tokenAuth')]]")
        )
    )
    token_section.find_element(By.CSS_SELECTOR, "input[type=text]").send_keys(f"Token {site.token}")
    token_section.find_element(By.CSS_SELECTOR, "button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux button.btn-done").click()

    operation = browser.find_element(
        By.XPATH, f"//div[contains(@class,'opblock-get')][.//*[@data-path='{BOOKINGS}']]"
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait_for(browser, ".opblock.is-open button.try-out__btn").click()
    wait_for(browser, ".opblock.is-open button.execute").click()
    wait_for_text(browser, ".live-responses-table tr.response .response-col_status", "200")
    body = wait_for(browser, ".live-responses-table tr.response pre.microlight").text
    assert '"results"' in body and "Seeded dinner" in body
    screenshot(browser, "swagger-ui-try-it-out")

    tried = network_events(browser)
    listed = [headers for url, headers in tried if BOOKINGS in url]
    assert listed and listed[-1].get("Authorization") == f"Token {site.token}"
    assert off_the_machine([url for url, _headers in tried]) == []


def test_drfs_browsable_api_lists_shows_and_posts_a_booking(browser, site):
    login(browser, site)
    browser.get(f"{site.url}{BOOKINGS}")
    wait_for_text(browser, ".response-info", "HTTP 200 OK")
    listing = browser.find_element(By.CSS_SELECTOR, ".response-info").text
    assert listing.count("Seeded dinner") == min(SEEDED, 25)
    first_id = int(re.search(r'"id": (\d+)', listing).group(1))
    screenshot(browser, "browsable-api-list")

    browser.get(f"{site.url}{BOOKINGS}{first_id}/")
    wait_for_text(browser, ".response-info", "HTTP 200 OK")
    assert f'"id": {first_id}' in browser.find_element(By.CSS_SELECTOR, ".response-info").text

    browser.get(f"{site.url}{BOOKINGS}")
    form = wait_for(browser, "#post-object-form form")
    form.find_element(By.NAME, "name").send_keys("Browsable brunch")
    form.find_element(By.NAME, "address").send_keys("2 Form Street")
    button = form.find_element(By.CSS_SELECTOR, "button.btn-primary")
    button.click()
    WebDriverWait(browser, PATIENCE).until(expected_conditions.staleness_of(button))
    wait_for_text(browser, ".response-info", "HTTP 201 Created")
    created = browser.find_element(By.CSS_SELECTOR, ".response-info").text
    created_id = int(re.search(r'"id": (\d+)', created).group(1))
    status, stored = site.api(f"{BOOKINGS}{created_id}/")
    assert status == 200
    assert (stored["name"], stored["address"], stored["user"]) == (
        "Browsable brunch",
        "2 Form Street",
        1,
    )
