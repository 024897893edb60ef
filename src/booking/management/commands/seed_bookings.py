"""Create demo users and realistic bookings for them (bulk_insert)."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.models import Booking
from dynamodb.connector import Connector
from dynamodb.exceptions import DynamoError

# Small word lists: enough variety for demos and list filters, no dependency.
OCCASIONS = [
    "Dinner",
    "Lunch",
    "Brunch",
    "Breakfast meeting",
    "Birthday party",
    "Anniversary dinner",
    "Team lunch",
    "Wine tasting",
    "Cooking class",
    "Family dinner",
    "Date night",
    "Farewell drinks",
]
PLACES = [
    "Luigi's",
    "The Olive Tree",
    "Blue Harbour",
    "Le Petit Jardin",
    "Sakura House",
    "The Copper Pot",
    "Casa Lola",
    "The Old Mill",
]
STREETS = [
    "Main Street",
    "Oak Avenue",
    "Harbour Road",
    "Mill Lane",
    "Station Road",
    "Church Street",
    "Park Avenue",
    "Market Square",
    "River Walk",
    "High Street",
]
CITIES = ["Springfield", "Riverside", "Fairview", "Lakewood", "Greenville", "Bristol"]
DAYS_AHEAD = 90
BATCH = 500


class Command(BaseCommand):
    help = (
        "Create N demo users (demo-user-1 ... demo-user-N, unusable passwords; existing ones "
        "are reused) and M bookings for each, with names and addresses from small word "
        "lists, booked for the next 90 days. Users are idempotent; each run adds bookings."
    )

    def add_arguments(self, parser):
        parser.add_argument("users", type=int, metavar="N", help="How many demo users.")
        parser.add_argument(
            "--per-user", type=int, default=10, metavar="M", help="Bookings per user (10)."
        )
        parser.add_argument("--seed", type=int, help="Random seed, for a repeatable data set.")

    def handle(self, *args, users, per_user, seed, **options):
        if users < 1 or per_user < 0:
            raise CommandError("N must be at least 1 and --per-user at least 0.")
        rng = random.Random(seed)
        user_model = get_user_model()
        created_users, owners = 0, []
        for n in range(1, users + 1):
            user, created = user_model.objects.get_or_create(
                **{user_model.USERNAME_FIELD: f"demo-user-{n}"},
                defaults={"password": make_password(None)},
            )
            owners.append(user)
            created_users += created
        connector = Connector(Booking)
        now = timezone.now()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        bookings, written = [], 0
        try:
            for n, user in enumerate(owners):
                for m in range(per_user):
                    # date_at is the sort key: one microsecond apart, never the same key.
                    date_at = now + datetime.timedelta(microseconds=n * per_user + m)
                    bookings.append(booking(rng, user, date_at, today))
                    if len(bookings) == BATCH:
                        written += len(connector.bulk_insert(bookings))
                        bookings = []
            written += len(connector.bulk_insert(bookings))
        except DynamoError as error:
            raise CommandError(f"Seeding stopped after {written} bookings: {error}") from error
        self.stdout.write(
            f"Users: {created_users} created, {users - created_users} already there. "
            f"Bookings: {written} created."
        )


def booking(rng, user, date_at, today):
    """A plausible booking: an occasion at a place, on a quarter hour of the next 90 days."""
    date_for = today + datetime.timedelta(
        days=rng.randint(1, DAYS_AHEAD), hours=rng.randint(8, 21), minutes=15 * rng.randint(0, 3)
    )
    return Booking(
        user=user,
        date_at=date_at,
        date_for=date_for,
        name=f"{rng.choice(OCCASIONS)} at {rng.choice(PLACES)}",
        address=f"{rng.randint(1, 250)} {rng.choice(STREETS)}, {rng.choice(CITIES)}",
    )
