"""The admin in Chromium: the dev superuser manages bookings, and two sessions meet a conflict.

Every change is checked through the REST API (with the superuser's token), not the page.
"""

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import SEEDED
from tests.browser.helpers import (
    PATIENCE,
    click_link,
    login,
    messages,
    screenshot,
    wait_for,
)

CHANGELIST = "/admin/booking/booking/"


def rows(driver):
    """The bookings' names on the changelist page, in order."""
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#result_list .field-name")]


def search(driver, term):
    box = wait_for(driver, "#searchbar")
    box.clear()
    box.send_keys(term)
    old = driver.find_element(By.ID, "result_list")
    driver.find_element(By.CSS_SELECTOR, "#changelist-search input[type=submit]").click()
    WebDriverWait(driver, PATIENCE).until(expected_conditions.staleness_of(old))


def save(driver):
    button = driver.find_element(By.CSS_SELECTOR, "input[name=_save]")
    button.click()
    WebDriverWait(driver, PATIENCE).until(expected_conditions.staleness_of(button))


def fill(driver, field_id, value):
    element = wait_for(driver, f"#{field_id}")
    element.clear()
    element.send_keys(value)


def test_the_superuser_manages_bookings_in_the_admin(browser, site):
    login(browser, site)
    click_link(browser, "Bookings")
    wait_for(browser, "#result_list")
    first_page = rows(browser)
    assert len(first_page) == 25
    screenshot(browser, "admin-changelist")

    # The whole table (a Scan) pages forward; its way back is the first page.
    click_link(browser, "Next")
    assert len(rows(browser)) == SEEDED - 25
    assert not set(rows(browser)) & set(first_page)
    click_link(browser, "First page")
    assert rows(browser) == first_page

    # One user's partition, newest first, pages forward and back.
    search(browser, "user=1")
    newest = [f"Seeded dinner {n:02d}" for n in reversed(range(SEEDED))]
    assert rows(browser) == newest[:25]
    click_link(browser, "Next")
    assert rows(browser) == newest[25:]
    click_link(browser, "Previous")
    assert rows(browser) == newest[:25]

    # An id, through the id index.
    status, listing = site.api("/api/dynamo/booking/?user=1&page_size=1&ordering=date_at")
    assert status == 200
    oldest = listing["results"][0]
    search(browser, str(oldest["id"]))
    assert rows(browser) == [oldest["name"]]

    # Add: the owner and the time default to the user and now.
    browser.get(f"{site.url}{CHANGELIST}add/")
    fill(browser, "id_name", "Browser dinner")
    fill(browser, "id_address", "1 Chrome Street")
    save(browser)
    assert any("was added successfully" in text for text in messages(browser))
    booking_id = int(re.search(r"/booking/(\d+)/change/", browser.page_source).group(1))
    status, created = site.api(f"/api/dynamo/booking/{booking_id}/")
    assert status == 200
    assert (created["name"], created["address"], created["user"]) == (
        "Browser dinner",
        "1 Chrome Street",
        1,
    )

    # Edit.
    browser.get(f"{site.url}{CHANGELIST}{booking_id}/change/")
    fill(browser, "id_name", "Browser lunch")
    save(browser)
    assert any("was changed successfully" in text for text in messages(browser))
    status, changed = site.api(f"/api/dynamo/booking/{booking_id}/")
    assert (status, changed["name"], changed["version"]) == (200, "Browser lunch", 2)
    assert changed["date_at"] == created["date_at"]  # the key kept its microseconds

    # Delete, after the confirmation.
    browser.get(f"{site.url}{CHANGELIST}{booking_id}/change/")
    click_link(browser, "Delete")
    assert "Are you sure" in browser.page_source
    confirm = browser.find_element(By.CSS_SELECTOR, "input[type=submit]")
    confirm.click()
    WebDriverWait(browser, PATIENCE).until(expected_conditions.staleness_of(confirm))
    assert any("was deleted successfully" in text for text in messages(browser))
    assert site.api(f"/api/dynamo/booking/{booking_id}/")[0] == 404


def test_two_sessions_edit_one_booking_and_the_second_save_shows_the_conflict(
    browser, open_browser, site
):
    other = open_browser()
    login(browser, site)
    login(other, site)
    status, listing = site.api("/api/dynamo/booking/?user=1&page_size=1&ordering=-date_for")
    booking = listing["results"][0]
    url = f"{site.url}{CHANGELIST}{booking['id']}/change/"
    browser.get(url)
    other.get(url)
    fill(browser, "id_name", "First session's name")
    save(browser)
    assert any("was changed successfully" in text for text in messages(browser))

    fill(other, "id_name", "Second session's name")
    save(other)
    page = other.page_source
    assert "was changed by someone else while you edited it" in page
    assert (
        "Stored now: First session&#x27;s name" in page
        or "Stored now: First session's name" in (page)
    )
    screenshot(other, "admin-conflict")
    status, stored = site.api(f"/api/dynamo/booking/{booking['id']}/")
    assert (status, stored["name"]) == (200, "First session's name")
