"""Sessions in the DynamoDB cache survive a restart of the service.

The service keeps its sessions in Django's cache (``DJANGO_SESSION_ENGINE``
= the cache engine), which is DynamoDB where DEBUG is off: a browser's login
made before a restart (or on another instance) still holds after it. With a
per-process cache the same steps would end logged out.
"""

import http.client
import re
import urllib.parse

from tests.api_helpers import BOOKINGS

CACHE_SESSIONS = {"DJANGO_SESSION_ENGINE": "django.contrib.sessions.backends.cache"}
LOGIN = "/api-auth/login/"


def send(service, method, path, body=None, cookies=None):
    """(status, headers (lower-case names, Set-Cookie values listed), body) of one request."""
    headers = {"Accept": "application/json"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if body is not None:
        body = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        return response.status, response.msg, payload
    finally:
        connection.close()


def set_cookies(headers):
    return dict(
        re.match(r"([^=]+)=([^;]*)", value).groups()
        for value in headers.get_all("Set-Cookie") or []
    )


def log_in(service, username, password):
    """A session login through DRF's login form, as a browser makes it: the cookies."""
    status, headers, page = send(service, "GET", LOGIN)
    assert status == 200, page
    cookies = set_cookies(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, headers, page = send(
        service,
        "POST",
        LOGIN,
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token,
            "next": BOOKINGS,
        },
        cookies=cookies,
    )
    assert status == 302, page
    return {**cookies, **set_cookies(headers)}


def test_a_login_survives_a_restart_of_the_service(site, stacks, figures):
    service = stacks.service(site.engine.url, "sessions_", environment=CACHE_SESSIONS)
    service.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('traveller', password='a-strong-password')",
    )
    cookies = log_in(service, "traveller", "a-strong-password")
    assert "sessionid" in cookies
    assert send(service, "GET", BOOKINGS, cookies=cookies)[0] == 200
    assert service.stop() == set()

    restarted = stacks.service(site.engine.url, "sessions_", environment=CACHE_SESSIONS)
    status, _, page = send(restarted, "GET", BOOKINGS, cookies=cookies)
    assert status == 200, page
    assert send(restarted, "GET", BOOKINGS)[0] in (401, 403), "no cookie, no access"
    figures.update(restarts=1, logged_in_after=1)
