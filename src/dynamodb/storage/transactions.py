"""All-or-nothing writes: TransactWriteItems, and TransactGetItems.

A ``Transaction`` collects the item writes made while it is current (see
``steps.collector``): each write's steps stop at their request, which the
transaction keeps. ``commit`` sends them as one TransactWriteItems with a
``ClientRequestToken`` (a retry with it writes nothing twice), retrying a
transaction conflict or throttling with backoff; then resumes every write's
steps with the outcome, so that each finishes exactly as a single write
would: ids cached and ``_state.adding`` cleared on success; on failure
``ItemAlreadyExists``, ``ItemNotFound`` or ``VersionConflict`` from the
cancellation reason DynamoDB gives (with the item it met), and the instance
given its id and version back. ``TransactionCanceled`` then names every
action's model, key and error.

DynamoDB's limits are checked as writes are collected, before anything is
sent: 100 actions, 4 MB (estimated from the requests, which overstate it),
one action per item.

On an engine without transactions (dynalite answers
UnknownOperationException) the writes are sent one by one, in order, after
one warning per process: not atomic, the first failure stops the rest.
"""

import contextlib
import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections import OrderedDict

from boto3.dynamodb.conditions import Attr

from ..exceptions import (
    ConditionFailed,
    DynamoError,
    Throttled,
    TransactionAborted,
    TransactionCanceled,
    TransactionTooLarge,
)
from ..wire.marshalling import deserialize
from ..wire.requests import Request, Write
from .expressions import expression_params
from .steps import Sleep, arun, carried, continued, run

logger = logging.getLogger(__name__)

MAX_ACTIONS = 100
MAX_BYTES = 4 * 1024 * 1024
TOKEN_LENGTH = 36  # ClientRequestToken: 1 to 36 characters
# Sends of one transaction cancelled by a conflict or throttling, with backoff between.
ATTEMPTS = 5
BACKOFF = 0.05
RETRYABLE_REASONS = frozenset(
    {"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"}
)
# The action each kind of request becomes, and what TransactWriteItems takes of it.
KINDS = {
    "put_item": "Put",
    "update_item": "Update",
    "delete_item": "Delete",
    "condition_check": "ConditionCheck",
}
KEPT = frozenset(
    {
        "TableName",
        "Item",
        "Key",
        "UpdateExpression",
        "ConditionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "ReturnValuesOnConditionCheckFailure",
    }
)


class Engine:
    """Whether this process's engine implements transactions (None: not known yet)."""

    supports_transactions = None


class CommittedTokens:
    """The tokens this process committed in the last 10 minutes (DynamoDB's idempotency window).

    An engine that ignores tokens (moto) cancels the retry of a committed
    transaction; a token found here tells the retry from a new request.
    """

    window = 600.0
    most = 10_000

    def __init__(self):
        self.lock = threading.Lock()
        self.times = OrderedDict()

    def add(self, token):
        with self.lock:
            self.times[token] = time.monotonic()
            self.times.move_to_end(token)
            while len(self.times) > self.most:
                self.times.popitem(last=False)

    def __contains__(self, token):
        with self.lock:
            committed = self.times.get(token)
        return committed is not None and time.monotonic() - committed < self.window


committed_tokens = CommittedTokens()


def as_token(token):
    """A ClientRequestToken from any string: as it is if short enough, else its digest."""
    if token is None:
        return uuid.uuid4().hex
    token = str(token)
    if 1 <= len(token) <= TOKEN_LENGTH and token.isascii() and token.isprintable():
        return token
    return hashlib.sha256(token.encode()).hexdigest()[:TOKEN_LENGTH]


class Action:
    """One action: a collected request, and the steps waiting for its outcome (or None)."""

    def __init__(self, request, steps=None):
        self.request = request
        self.steps = steps
        self.kind = KINDS[request.operation]

    @property
    def item(self):
        """The item's identity: its table and key."""
        return self.request.params["TableName"], json.dumps(self.request.write.key, sort_keys=True)

    def describe(self):
        key = ", ".join(
            f"{name}={next(iter(value.values()))}" for name, value in self.request.write.key.items()
        )
        return f"{self.kind} of {self.request.write.label} ({key})"

    def transact_item(self):
        return {self.kind: {k: v for k, v in self.request.params.items() if k in KEPT}}


class Transaction:
    """The writes of one ``atomic()`` block, sent together when it ends."""

    def __init__(self, token=None):
        self.token = as_token(token)
        self.actions = []
        self.callbacks = []
        self.size = 0
        self.items = {}

    def collect(self, request, steps):
        """Keep an item write; True when its steps wait for the commit (``Write.waits``)."""
        waits = request.write.waits
        self.add(Action(request, steps if waits else None))
        return waits

    def condition_check(self, schema, raw_key, condition=None):
        """Add a check without a write: the item exists and ``condition`` holds."""
        exists = Attr(schema.table.partition.attribute).exists()
        condition = exists if condition is None else exists & condition
        params = {
            "TableName": schema.table_name,
            "Key": raw_key,
            **expression_params(ConditionExpression=condition),
        }
        self.add(Action(Request("condition_check", params, Write(schema.label, raw_key))))

    def add(self, action):
        """Keep an action, or refuse one that breaks a limit (its write ends, restored)."""
        position = len(self.actions) + 1
        try:
            if position > MAX_ACTIONS:
                raise TransactionTooLarge(
                    None,
                    f"Action {position} ({action.describe()}) is one more than the "
                    f"{MAX_ACTIONS} actions a DynamoDB transaction takes; nothing was sent.",
                )
            earlier = self.items.setdefault(action.item, position)
            if earlier != position:
                raise TransactionTooLarge(
                    None,
                    f"Action {position} ({action.describe()}) is on the item of action "
                    f"{earlier}: a DynamoDB transaction takes one action per item; "
                    "nothing was sent.",
                )
            size = self.size + len(json.dumps(action.request.params))
            if size > MAX_BYTES:
                raise TransactionTooLarge(
                    None,
                    f"Action {position} ({action.describe()}) takes the transaction past "
                    f"DynamoDB's {MAX_BYTES // (1024 * 1024)} MB; nothing was sent.",
                )
        except TransactionTooLarge as error:
            if action.steps is not None:
                # The write's steps end on the error (restoring their instance), sending nothing.
                run(_outcome_of(action.steps, error))
            raise
        self.size = size
        self.actions.append(action)

    def discard(self):
        """Forget every action (the block failed): each write's instance is restored."""
        for action in self.actions:
            if action.steps is not None:
                action.steps.close()
        self.actions = []

    def commit(self):
        """Send the actions; resume every write with its outcome; then the on_commit callbacks."""
        run(self.commit_steps())

    async def acommit(self):
        """``commit`` from a coroutine: the same steps, sent by the event loop's client."""
        await arun(self.commit_steps())

    def commit_steps(self):
        """Steps of the commit (the drivers differ only in how they send)."""
        if self.actions:
            if Engine.supports_transactions is False:
                yield from self._one_by_one()
            else:
                yield from self._atomically()
        for callback in self.callbacks:
            callback()

    def _atomically(self):
        try:
            yield from self._send()
        except TransactionCanceled as canceled:
            yield from self._fail(canceled)
            return
        except DynamoError as error:
            if error.code != "UnknownOperationException":
                self.discard()
                raise
            Engine.supports_transactions = False
            logger.warning(
                "The DynamoDB engine has no transactions: the writes of atomic() blocks "
                "are sent one by one, in order, and are not atomic there."
            )
            yield from self._one_by_one()
            return
        except BaseException:
            self.discard()
            raise
        Engine.supports_transactions = True
        committed_tokens.add(self.token)
        yield from self._resume_all()

    def _resume_all(self):
        for action in self.actions:
            if action.steps is not None:
                yield from continued(action.steps, {})

    def _send(self):
        """Steps: TransactWriteItems, sent again with backoff on conflicts and throttling."""
        params = {
            "TransactItems": [action.transact_item() for action in self.actions],
            "ClientRequestToken": self.token,
        }
        for attempt in range(ATTEMPTS):
            try:
                yield Request("transact_write_items", params)
                return
            except TransactionCanceled as canceled:
                codes = {reason.get("Code") for reason in canceled.reasons} - {"None", None}
                if not codes <= RETRYABLE_REASONS or attempt == ATTEMPTS - 1:
                    raise
            except Throttled:
                if attempt == ATTEMPTS - 1:
                    raise
            yield Sleep(random.uniform(0, BACKOFF * 2**attempt))

    def _fail(self, canceled):
        """Steps: resume each write with its reason; raise TransactionCanceled naming them all."""
        reasons = canceled.reasons or [{}] * len(self.actions)
        again = canceled.retry_attempts or self.token in committed_tokens
        if again and self._is_replay(reasons):
            Engine.supports_transactions = True
            yield from self._resume_all()
            return
        outcomes = []
        for action, reason in zip(self.actions, reasons, strict=False):
            outcomes.append((action, (yield from _outcome(action, reason))))
        lines = [
            f"{position}. {action.describe()}: {type(error).__name__}: {error}"
            for position, (action, error) in enumerate(outcomes, 1)
        ]
        raise TransactionCanceled(
            "The transaction was cancelled; nothing was written:\n" + "\n".join(lines),
            reasons=canceled.reasons,
            actions=[(a.request.write.label, a.request.write.key, e) for a, e in outcomes],
        ) from canceled

    def _is_replay(self, reasons):
        """Whether a resend of this transaction met its own earlier success.

        A resend: botocore's, after an answer was lost, or the block's, with a
        token this process committed. An engine that ignores tokens (moto)
        cancels it: every action that failed is then a put whose condition
        met exactly the item it sends.
        """
        failed = False
        for action, reason in zip(self.actions, reasons, strict=False):
            if (reason.get("Code") or "None") == "None":
                continue
            found = reason.get("Item")
            if action.kind != "Put" or found is None:
                return False
            if deserialize(found) != deserialize(action.request.params["Item"]):
                return False
            failed = True
        return failed

    def _one_by_one(self):
        """Steps without transactions: each action alone, in order; the first failure stops.

        Except for the writes nothing waits for (``QuerySet.update()``, a
        cascade): an item gone since it was read is skipped, as outside a block.
        """
        pending = list(self.actions)
        try:
            while pending:
                action = pending.pop(0)
                if action.steps is not None:
                    yield from carried(action.steps, action.request)
                elif action.kind == "ConditionCheck":
                    yield from sent(_unchanging_update(action.request))
                else:
                    with contextlib.suppress(ConditionFailed):
                        yield from sent(action.request)
        finally:
            for action in pending:
                if action.steps is not None:
                    action.steps.close()


def _outcome(action, reason):
    """Steps: the error of one action: its steps' own (ItemAlreadyExists...), else the reason's."""
    code = reason.get("Code") or "None"
    if code == "None":
        cause = TransactionAborted("Not written: another action of the transaction failed.")
    elif code == "ConditionalCheckFailed":
        cause = ConditionFailed(
            f"The condition of the {action.describe()} does not hold.", item=reason.get("Item")
        )
    else:
        cause = DynamoError(f"{code}: {reason.get('Message', '')}")
        cause.code = code
    if action.steps is None:
        return cause
    return (yield from _outcome_of(action.steps, cause)) or cause


def _outcome_of(steps, error):
    """Steps: throw ``error`` into waiting steps; the error they end with (None if none)."""
    try:
        yield from continued(steps, error=error)
    except DynamoError as raised:
        return raised
    return None


def _unchanging_update(check):
    """A condition check as an UpdateItem that changes nothing (REMOVE of no attribute)."""
    params = dict(check.params)
    params["ExpressionAttributeNames"] = {
        **params.get("ExpressionAttributeNames", {}),
        "#unused": "__condition_check__",
    }
    params["UpdateExpression"] = "REMOVE #unused"
    return Request("update_item", params, check.write)


def sent(request):
    """Steps: one request, and its response (collected instead inside a transaction)."""
    return (yield request)


def get_steps(gets):
    """Steps: TransactGetItems of ``{"Get": {...}}`` entries; raw items, None where missing."""
    response = yield Request("transact_get_items", {"TransactItems": gets})
    return [answer.get("Item") for answer in response.get("Responses", [])]
