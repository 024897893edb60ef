"""Errors of the dynamodb app.

Each error raised because of an engine response keeps the botocore error as
its ``__cause__`` (``raise ... from``), so nothing of the original is lost.
The REST layer maps these classes to HTTP statuses in one place.
"""

from django.core import exceptions as django_exceptions


class DynamoError(Exception):
    """Base class of every error raised by the dynamodb app.

    ``code`` is the engine's error code (``"ThrottlingException"``...) when the
    error translates an engine response, else None.
    """

    code = None


class ValidationError(DynamoError, django_exceptions.ValidationError):
    """A value DynamoDB cannot hold or a malformed call, detected before any request.

    It is a Django ``ValidationError`` too, so ``message_dict`` maps each field
    name (or ``__all__``) to its messages.
    """

    def __init__(self, field, message):
        self.field = field
        django_exceptions.ValidationError.__init__(self, {field or "__all__": [message]})

    def __str__(self):
        return "; ".join(
            message if field == "__all__" else f"{field}: {message}"
            for field, messages in self.message_dict.items()
            for message in messages
        )


class InvalidLookupValue(ValidationError, ValueError):
    """A lookup's value the field cannot hold (``filter(pk="abc")``), before any request.

    A ValueError too, as Django's own lookups raise: forms (ModelChoiceField)
    and ``get_object_or_404`` treat it as "no such item".
    """


class ConditionFailed(DynamoError):
    """A write's condition did not hold; the connector turns it into a precise error.

    ``item`` is the item as stored when the engine returned it (raw attribute values);
    ``retry_attempts`` how many times botocore resent the write before this answer.
    """

    def __init__(self, message, item=None, retry_attempts=0):
        super().__init__(message)
        self.item = item
        self.retry_attempts = retry_attempts


class ItemNotFound(DynamoError):
    """The item addressed by a key or an id does not exist."""


class ItemAlreadyExists(DynamoError):
    """An insert found an item with the same key: nothing was overwritten."""


class BulkCreateConflict(ItemAlreadyExists):
    """Some instances of a ``bulk_create`` had the key of an existing item.

    Nothing was overwritten: ``existing`` holds those instances (unsaved),
    ``written`` the ones that were stored.
    """

    def __init__(self, message, existing, written):
        super().__init__(message)
        self.existing = existing
        self.written = written


class VersionConflict(DynamoError):
    """The item's version moved since it was read (optimistic locking)."""

    def __init__(self, message, current_version=None):
        super().__init__(message)
        self.current_version = current_version


class TransactionCanceled(DynamoError):
    """A transaction was cancelled: nothing of it was written.

    ``reasons`` are the engine's cancellation reasons, one per action in
    order (``{"Code": "ConditionalCheckFailed", ...}``); ``actions`` (set by
    the transaction) says for each action its model, key and error: our own
    (``ItemAlreadyExists``, ``ItemNotFound``, ``VersionConflict``...) or
    ``TransactionAborted`` for an action that failed only because another did.
    """

    def __init__(self, message, reasons=None, actions=None, retry_attempts=0):
        super().__init__(message)
        self.reasons = reasons or []
        self.actions = actions or []
        self.retry_attempts = retry_attempts


class TransactionAborted(DynamoError):
    """This write was not made because another action of its transaction failed."""


class IdempotentParameterMismatch(DynamoError):
    """A transaction's token was used within 10 minutes for other actions."""


class TransactionTooLarge(ValidationError):
    """A transaction breaks a limit of DynamoDB's (actions, size, one action per item).

    Raised when the write that breaks it is made, before anything is sent.
    """


class TableNotFound(DynamoError):
    """The model's table does not exist: run `manage.py createdynamotables`."""


class TableInUse(DynamoError):
    """The table already exists or is being created or deleted."""


class TableSchemaMismatch(DynamoError):
    """An existing table's keys differ from the model's declaration."""


class InvalidMigration(DynamoError, ValueError):
    """A migration's DynamoDB operation is malformed or does not fit the state it applies to."""


class TableMigrationError(DynamoError):
    """A table could not be created, changed, copied or rewritten; the message says what to do."""


class Throttled(DynamoError):
    """The engine refused the request for capacity; retrying later may succeed."""

    retry_after = 1


class EngineUnavailable(DynamoError):
    """The engine could not be reached or failed, after the configured retries."""

    retry_after = 5


# What DynamoDB answers when it is down, busy or missing a table: a 503 with Retry-After
# (REST API, admin, any other view), never a 500.
UNAVAILABLE = (EngineUnavailable, Throttled, TableNotFound)


class EngineRejected(DynamoError):
    """The engine rejected a request the connector considered valid."""


class InvalidCursor(DynamoError):
    """A listing's cursor that cannot be used: ``reason`` says why.

    ``"invalid"`` (tampered, truncated, not a cursor), ``"foreign"`` (issued
    for another listing) or ``"expired"`` (older than DYNAMODB_CURSOR_MAX_AGE).
    """

    def __init__(self, reason):
        super().__init__(f"{reason} cursor")
        self.reason = reason


class UnsupportedOperation(DynamoError, NotImplementedError):
    """A Django ORM operation DynamoDB cannot do; the message says what to do instead."""


class InvalidBatchItem(ValidationError):
    """One instance of a batch is invalid, so nothing of the batch was sent.

    ``position`` is its index in the batch, ``field`` the field at fault (None
    when the whole item is), ``reason`` the message without the position, and
    ``duplicate_of`` the position of the earlier instance with the same key or
    id, if that is the fault.
    """

    def __init__(self, position, field, reason, duplicate_of=None):
        where = "" if duplicate_of is None else f" (instance {duplicate_of})"
        super().__init__(field, f"Instance {position} of the batch: {reason}{where}")
        self.position = position
        self.reason = reason
        self.duplicate_of = duplicate_of


class BatchFailed(DynamoError):
    """Part of a batch was not processed: ``failed_keys`` holds a key tuple list per item.

    Raised after the retries of what the engine left unprocessed ran out, or
    when a request failed (the engine's error is then the ``__cause__``).
    """

    def __init__(self, message, failed_keys):
        super().__init__(message)
        self.failed_keys = failed_keys


class BatchWriteFailed(BatchFailed):
    """Items of a batch write were not written (or not deleted); the others were."""


class BatchGetFailed(BatchFailed):
    """Keys of a batch read stayed unprocessed: their items are unknown, not missing."""
