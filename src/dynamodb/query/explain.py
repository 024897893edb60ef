"""``QuerySet.explain()``: the requests a QuerySet would send, readable, with nothing sent.

Each request shows its operation, table, index and expressions with the
placeholders replaced by the attribute names and values they stand for.
"""

import json
import re

from ..storage.compiler import compile_read
from ..wire.marshalling import deserialize

PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")
EXPRESSIONS = (
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
    "ConditionExpression",
)


def resolved(params):
    """A request's parameters with the expressions' placeholders resolved."""
    names = params.get("ExpressionAttributeNames", {})
    values = deserialize(params.get("ExpressionAttributeValues", {}))

    def substitute(match):
        token = match.group(0)
        if token in names:
            return names[token]
        if token in values:
            return repr(values[token])
        return token

    shown = {}
    for name, value in params.items():
        if name in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            continue
        if name in EXPRESSIONS:
            value = PLACEHOLDER.sub(substitute, value)
        elif name in ("Key", "ExclusiveStartKey"):
            value = {key: repr(item) for key, item in deserialize(value).items()}
        shown[name] = value
    return shown


def steps_of(query):
    """What the query's evaluation sends, as [{"operation": ..., **parameters}]."""
    plan = query.plan
    if plan.is_empty:
        return []
    if plan.listed:
        return _listed_steps(plan)
    request = compile_read(plan.read)
    if plan.segments > 1:
        return [
            {"operation": request.operation, "Segment": n, "TotalSegments": plan.segments,
             **resolved(request.params)}
            for n in range(plan.segments)
        ]  # fmt: skip
    step = {"operation": request.operation, **resolved(request.params)}
    if query.is_sliced:
        step["read"] = f"items {query.low} to {'the end' if query.high is None else query.high}"
        if query.low:
            step["read"] += f" ({query.low} read and skipped)"
    return [step]


def _listed_steps(plan):
    """The steps of a plan of listed keys (``title__in``) or ids (``pk__in``)."""
    schema, steps = plan.schema, []
    count = len(plan.keys if plan.keys is not None else plan.ids)
    if plan.ids is not None:
        if schema.id_index is not None:
            through = f"the id cache, else a Query of index {schema.id_index.name!r} each"
        elif schema.table.sort is None:
            through = "nothing: the ids are the keys"
        else:
            through = "the id cache, else a Query of the table's partition each"
        steps.append(
            {
                "operation": "resolve ids",
                "ids": [str(value) for value in plan.ids],
                "through": through,
            }
        )
    fetch = "get_item" if plan.read.filter is None else "query"
    if fetch == "get_item" and count > 1:
        fetch = "batch_get_item"
    shown = resolved(compile_read(plan.read.replace(key={}, key_condition=None)).params)
    shown.pop("Key", None)
    step = {"operation": fetch, "per": "resolved key" if plan.ids is not None else "key"}
    if plan.keys is not None:
        step["keys"] = [resolved({"Key": key})["Key"] for key in plan.keys]
    steps.append({**step, **shown})
    return steps


def explain(query, format=None):
    """The steps as text (one line each), or as JSON with ``format="json"``."""
    steps = steps_of(query)
    if format == "json":
        return json.dumps(steps, indent=2, default=str)
    if format not in (None, "text"):
        raise ValueError(f"Unknown explain format {format!r}: use None, 'text' or 'json'.")
    if not steps:
        return "Nothing: the conditions exclude every item (no request)."
    return "\n".join(
        step["operation"] + " " + " ".join(f"{k}={v}" for k, v in step.items() if k != "operation")
        for step in steps
    )
