"""A table read in parallel Scan segments that resume where they stopped, with their checkpoints.

CopyTable and RunDynamoPython read a whole table this way. Each segment runs
in its own thread (with its own client) and hands each page of raw items to
``handle(items)``, which returns how many it changed; once a page is handled,
the segment's checkpoint moves past it. Checkpoints live in DynamoDB (decision
16: processes share nothing else), in the table ``DynamoMigrationCheckpoints``
(prefixed like the others), one item per job and segment: a run that stopped
(an error, an interruption, another machine) is resumed by the next run of the
same job, which starts each segment at its last handled page. A page is
handled again at most, never skipped. The first error stops every segment
after its current page.
"""

import base64
import json
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass

from ..conf import conf
from ..wire import client
from ..wire.requests import Request
from . import tableadmin, tables
from .paging import Pager, raw_items
from .tablespecs import TableSpec, create_table_params

# The checkpoints' table (prefixed like the others): one item per job and segment.
TABLE = TableSpec("DynamoMigrationCheckpoints", [("job", "S"), ("segment", "N")])


def table_name():
    return f"{conf.TABLE_PREFIX}{TABLE.table_name}"


@dataclass(frozen=True)
class Checkpoint:
    """How far one segment got: the start of its next page, items handled and changed."""

    start: dict | None = None
    handled: int = 0
    changed: int = 0
    done: bool = False


def _encode_key(key):
    """A raw key (S, N or B attribute values) as JSON text, binary values in base64."""
    if key is None:
        return None
    return json.dumps(
        {
            name: {kind: base64.b64encode(raw).decode() if kind == "B" else raw}
            for name, value in key.items()
            for kind, raw in value.items()
        },
        sort_keys=True,
    )


def _decode_key(text):
    if not text:
        return None
    return {
        name: {kind: base64.b64decode(raw) if kind == "B" else raw}
        for name, value in json.loads(text).items()
        for kind, raw in value.items()
    }


class Checkpoints:
    """The checkpoints of one job (a copy, a function over a table), one per segment."""

    def __init__(self, job):
        self.job = job

    def ensure_table(self):
        """Create the checkpoints' table when missing.

        Looked up first: where infrastructure code makes the tables, migrate may
        have no right to create one.
        """
        if tableadmin.describe(table_name()) is None:
            tables.create_from_definition(
                "the migration checkpoints", create_table_params(TABLE, table_name())
            )

    def load(self):
        """{segment: Checkpoint} of the job (empty for a job never started)."""
        request = Request(
            "query",
            {
                "TableName": table_name(),
                "KeyConditionExpression": "#job = :job",
                "ExpressionAttributeNames": {"#job": "job"},
                "ExpressionAttributeValues": {":job": {"S": self.job}},
                "ConsistentRead": True,
            },
        )
        return {
            int(item["segment"]["N"]): Checkpoint(
                _decode_key(item.get("start", {}).get("S")),
                int(item["handled"]["N"]),
                int(item["changed"]["N"]),
                item["done"]["BOOL"],
            )
            for item in raw_items(Pager(request))
        }

    def save(self, segment, checkpoint):
        item = {
            "job": {"S": self.job},
            "segment": {"N": str(segment)},
            "handled": {"N": str(checkpoint.handled)},
            "changed": {"N": str(checkpoint.changed)},
            "done": {"BOOL": checkpoint.done},
        }
        if checkpoint.start is not None:
            item["start"] = {"S": _encode_key(checkpoint.start)}
        client.call("put_item", TableName=table_name(), Item=item)

    def clear(self):
        """Forget the job (its next run starts from the beginning)."""
        for segment in self.load():
            client.call(
                "delete_item",
                TableName=table_name(),
                Key={"job": {"S": self.job}, "segment": {"N": str(segment)}},
            )


class MemoryCheckpoints(Checkpoints):
    """Checkpoints kept in this process only: a dry run leaves nothing behind."""

    def __init__(self, job="dry run"):
        super().__init__(job)
        self.saved = {}

    def ensure_table(self):
        pass

    def load(self):
        return dict(self.saved)

    def save(self, segment, checkpoint):
        self.saved[segment] = checkpoint

    def clear(self):
        self.saved.clear()


class _Progress:
    """The segments' totals, reported as they grow (one thread at a time)."""

    def __init__(self, report, verb, outcome, table, segments, loaded):
        self.report, self.verb, self.outcome = report, verb, outcome
        self.table, self.segments = table, segments
        self.handled = sum(c.handled for c in loaded.values())
        self.changed = sum(c.changed for c in loaded.values())
        self.finished = sum(c.done for c in loaded.values())
        self.lock = threading.Lock()

    def add(self, handled, changed, finished):
        with self.lock:
            self.handled += handled
            self.changed += changed
            self.finished += finished
            self.report.progress(self.line())

    def line(self):
        return (
            f"{self.verb} {self.table}: {self.handled} items read, {self.changed} {self.outcome}, "
            f"{self.finished} of {self.segments} segments done"
        )


def scan_segments(
    name, checkpoints, handle, *, segments, page_size, report, verb, outcome="changed"
):
    """Read table ``name`` in ``segments`` parallel segments from their checkpoints.

    ``handle(raw_items)`` returns how many items it changed. Returns the job's
    totals, (items read, items changed), earlier runs included. ``verb`` and
    ``outcome`` word the progress: "Copying ... 12 items read, 12 copied".
    """
    loaded = checkpoints.load()
    progress = _Progress(report, verb, outcome, name, segments, loaded)
    stop = threading.Event()

    def run(segment):
        checkpoint = loaded.get(segment, Checkpoint())
        params = {"TableName": name, "Segment": segment, "TotalSegments": segments}
        pager = Pager(
            Request("scan", {**params, "ConsistentRead": True}),
            page_size=page_size,
            start=checkpoint.start,
        )
        while not stop.is_set() and (request := pager.next_request()) is not None:
            items = pager.feed(client.send(request))
            changed = handle(items)
            checkpoint = Checkpoint(
                pager.last_key,
                checkpoint.handled + len(items),
                checkpoint.changed + changed,
                pager.done,
            )
            checkpoints.save(segment, checkpoint)
            progress.add(len(items), changed, pager.done)

    pending = [s for s in range(segments) if not loaded.get(s, Checkpoint()).done]
    if pending:
        with ThreadPoolExecutor(max_workers=len(pending)) as pool:
            futures = [pool.submit(run, segment) for segment in pending]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            finally:
                stop.set()
            for future in futures:
                future.result()  # the first segment's error, once every segment stopped
    report.done()
    report.say(progress.line())
    return progress.handled, progress.changed
