"""devsuperuser: the development superuser exists only where DEBUG is on."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_env(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "admin@example.com")


def run():
    out = io.StringIO()
    call_command("devsuperuser", stdout=out)
    return out.getvalue()


def test_with_debug_off_no_superuser_is_created(superuser_env, settings):
    settings.DEBUG = False
    assert "DJANGO_DEBUG is off" in run()
    assert not User.objects.exists()


def test_with_debug_on_it_is_created_once(superuser_env, settings):
    settings.DEBUG = True
    assert "Created development superuser 'admin'" in run()
    assert "exists" in run()
    (admin,) = User.objects.all()
    assert admin.is_superuser and admin.check_password("admin")


def test_a_username_without_a_password_is_a_clear_error(monkeypatch, settings):
    settings.DEBUG = True
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD is not set"):
        run()
    assert not User.objects.exists()
