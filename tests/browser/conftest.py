"""The browser suite: Debian's Chromium, driven by Selenium, against the running service.

``./manage.sh test --browser`` runs it (it sets ``DYNAMODB_TEST_BROWSER=1``
and selects ``-m browser``); anywhere else every test here is reported as
skipped, with the command that runs it, never as passed. Asked for on a
machine without ``chromium`` and ``chromedriver`` (Debian's packages of
those names), the run stops with the command that installs them.

The service is started as ``./manage.sh run`` starts it: moto's server and
gunicorn with the project's own settings and ``DJANGO_DEBUG=true``, its
SQLite file migrated and the dev superuser ``admin`` / ``admin`` created by
``manage.py`` (``tests.service.Service``), on free loopback ports with an
explicit environment. Chromium runs headless, with every host name but
``localhost`` unresolvable, and records its network events, so that a test
can check that no request left the machine. Screenshots go to
``var/screenshots/``.
"""

import json
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine import MotoServer
from tests.service import Service

HERE = Path(__file__).resolve().parent
ENABLED = os.environ.get("DYNAMODB_TEST_BROWSER") == "1"
RUN = "./manage.sh test --browser"
INSTALL = "apt-get install chromium chromium-driver"
# The service as ./manage.sh run serves it from .env.example: the project's settings, DEBUG on.
PROJECT = {
    "DJANGO_SETTINGS_MODULE": "project.settings",
    "DJANGO_DEBUG": "true",
    "DJANGO_SUPERUSER_USERNAME": "admin",
    "DJANGO_SUPERUSER_PASSWORD": "admin",
    "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
}
# Bookings of the dev superuser: more than one changelist page (25) of them.
SEEDED = 30
SEED_SCRIPT = """
import datetime
from booking.models import Booking
from dynamodb.connector import Connector
start = datetime.datetime(2026, 6, 1, 19, 0, tzinfo=datetime.UTC)
Connector(Booking).bulk_insert([
    Booking(user_id=1, date_at=start + datetime.timedelta(hours=n, microseconds=n),
            date_for=start + datetime.timedelta(days=n), address=f"{n} Harbour Road",
            name=f"Seeded dinner {n:02d}")
    for n in range(SEEDED)
])
""".replace("SEEDED", str(SEEDED))


def browser_paths():
    """(chromium, chromedriver) from PATH, either None when missing."""
    return shutil.which("chromium"), shutil.which("chromedriver")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"browser: Chromium against the running service (tests/browser; {RUN})"
    )


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if HERE in Path(item.path).parents]
    for item in mine:
        item.add_marker(pytest.mark.browser)
    if not mine:
        return
    chromium, chromedriver = browser_paths()
    if not ENABLED:
        where = "" if chromium and chromedriver else f" after `{INSTALL}`"
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=f"browser test: run it with {RUN}{where}"))
    elif not (chromium and chromedriver):
        raise pytest.UsageError(
            f"{RUN} needs Debian's Chromium and its driver, which are not on PATH: {INSTALL}"
        )


@dataclass
class Site:
    """The running service, the dev superuser's DRF token, and the bookings seeded for them."""

    service: Service
    token: str

    @property
    def url(self):
        return self.service.url

    def api(self, path):
        """(status, JSON body) of a GET of the REST API with the dev superuser's token."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """moto and gunicorn as ./manage.sh run starts them, for the whole suite."""
    workdir = tmp_path_factory.mktemp("browser")
    engine = MotoServer().start()
    service = Service(workdir, workdir / "db.sqlite3", engine.url, "browser_", PROJECT)
    try:
        service.manage("migrate", "--noinput")
        service.manage("createdynamotables")
        service.manage("devsuperuser")
        created = service.manage("drf_create_token", "admin")
        token = created.split()[2]  # "Generated token <key> for user admin"
        service.manage("shell", "-c", SEED_SCRIPT)
        service.start()
        yield Site(service, token)
    finally:
        left = service.stop()
        engine.stop()
    assert not left, f"processes left running: {sorted(left)}"


def chromium_options():
    from selenium.webdriver import ChromeOptions

    chromium, _driver = browser_paths()
    options = ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        # Only the loopback resolves: a request for any other host fails at once.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return options


@pytest.fixture(scope="session")
def open_browser():
    """A factory of Chromium sessions (each its own profile: its own cookies); all closed after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    _chromium, chromedriver = browser_paths()
    opened = []

    def open_one():
        driver = webdriver.Chrome(
            options=chromium_options(), service=DriverService(executable_path=chromedriver)
        )
        driver.implicitly_wait(0)
        opened.append(driver)
        return driver

    yield open_one
    for driver in opened:
        driver.quit()


@pytest.fixture(scope="session")
def browser(open_browser):
    """The suite's main Chromium session."""
    return open_browser()
