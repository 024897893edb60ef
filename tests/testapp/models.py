"""Test-only models: every built-in field type, string keys, relations of each on_delete."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from dynamodb.models import DynamoCompatibleModel, GlobalIndex


class Owner(models.Model):
    """An SQL model with a UUID primary key, target of DynamoDB relations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=50)


class EveryField(DynamoCompatibleModel):
    """Every built-in field type; partitioned by a ForeignKey to a UUID primary key."""

    table_name = "EveryField"
    partition_key = "owner"
    sort_key = "created"
    version_field = "version"
    secondary_indexes = [
        GlobalIndex("EveryFieldBySlug", partition_key="slug", sort_key="integer"),
        GlobalIndex("EveryFieldByChar", partition_key="char", projection="KEYS_ONLY"),
    ]

    class Choice(models.TextChoices):
        RED = "red"
        GREEN = "green"

    owner = models.ForeignKey(Owner, on_delete=models.CASCADE)
    created = models.DateTimeField(default=timezone.now)
    version = models.IntegerField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    big = models.BigIntegerField(null=True, blank=True)
    small = models.SmallIntegerField(null=True, blank=True)
    integer = models.IntegerField(null=True, blank=True)
    positive = models.PositiveIntegerField(null=True, blank=True)
    positive_small = models.PositiveSmallIntegerField(null=True, blank=True)
    positive_big = models.PositiveBigIntegerField(null=True, blank=True)
    floating = models.FloatField(null=True, blank=True)
    decimal = models.DecimalField(max_digits=38, decimal_places=10, null=True, blank=True)
    boolean = models.BooleanField(null=True, blank=True)
    char = models.CharField(max_length=50, null=True, blank=True)
    choice = models.CharField(max_length=10, choices=Choice, null=True, blank=True)
    text = models.TextField(null=True, blank=True)
    slug = models.SlugField(null=True, blank=True)
    email = models.EmailField(null=True, blank=True)
    url = models.URLField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    uuid = models.UUIDField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    time = models.TimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    binary = models.BinaryField(null=True, blank=True)
    json = models.JSONField(null=True, blank=True)
    file = models.FileField(null=True, blank=True)
    file_path = models.FilePathField(path="/tmp", null=True, blank=True)


class Note(DynamoCompatibleModel):
    """String partition and sort keys (for startswith); its pk is a plain auto id."""

    table_name = "Note"
    partition_key = "board"
    sort_key = "title"

    board = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    stars = models.IntegerField(default=0)


class Device(DynamoCompatibleModel):
    """Keyed by its own UUID primary key: no id index, no id counter."""

    table_name = "Device"
    partition_key = "id"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    label = models.CharField(max_length=50)
    expires = models.DateTimeField(null=True, blank=True)
    ttl_field = "expires"


class Pledge(DynamoCompatibleModel):
    """Partitioned by an Owner it PROTECTs from deletion."""

    table_name = "Pledge"
    partition_key = "owner"
    sort_key = "amount"

    owner = models.ForeignKey(Owner, on_delete=models.PROTECT)
    amount = models.DecimalField(max_digits=12, decimal_places=2)


class Shelf(DynamoCompatibleModel):
    """A DynamoDB model other DynamoDB items refer to (Book.shelf, CASCADE)."""

    table_name = "Shelf"
    partition_key = "id"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=50)


class Book(DynamoCompatibleModel):
    """On a Shelf (a relation between two DynamoDB models), sorted by title; counts stars."""

    table_name = "Book"
    partition_key = "shelf"
    sort_key = "title"
    secondary_indexes = [GlobalIndex("BookByAuthor", partition_key="author", sort_key="year")]

    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=100, null=True, blank=True)
    year = models.IntegerField(null=True, blank=True)
    stars = models.IntegerField(default=0)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
