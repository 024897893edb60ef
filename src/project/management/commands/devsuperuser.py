"""Create the development superuser, only where DJANGO_DEBUG is on."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create the development superuser from DJANGO_SUPERUSER_USERNAME, "
        "DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL when DEBUG is on and it does "
        "not exist yet. With DEBUG off it creates nothing: a known password has no place there."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("DJANGO_DEBUG is off: no development superuser.")
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not username:
            self.stdout.write("DJANGO_SUPERUSER_USERNAME is not set: no development superuser.")
            return
        if not password:
            raise CommandError(
                f"DJANGO_SUPERUSER_PASSWORD is not set: the superuser {username!r} "
                "needs a password (see .env.example)."
            )
        users = get_user_model()
        if users._default_manager.filter(**{users.USERNAME_FIELD: username}).exists():
            self.stdout.write(f"Development superuser {username!r} exists.")
            return
        users._default_manager.create_superuser(
            username, os.environ.get("DJANGO_SUPERUSER_EMAIL", ""), password
        )
        self.stdout.write(self.style.SUCCESS(f"Created development superuser {username!r}."))
