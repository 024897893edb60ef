"""A model instance as one line of JSON, and back, losslessly (dynamo_dumpdata/loaddata).

The representation is DjangoJSONEncoder's without its losses: datetimes and
times keep their microseconds (DjangoJSONEncoder keeps milliseconds),
durations are ISO 8601 with microseconds, Decimals are strings, bytes are
base64 (as Django's BinaryField serializes them), UUIDs are canonical
strings, and a JSONField is native JSON whose numbers keep every digit.

Each value is read back through the field's converter (``to_python`` plus the
checks DynamoDB needs), so a line holding a value the field cannot take is a
ValidationError naming that field.
"""

import base64
import datetime
import decimal
import json
import uuid

from django.db.models.fields.files import FieldFile
from django.utils.duration import duration_iso_string

from ..exceptions import ValidationError
from .schema import schema_for


def dumps(instance):
    """One line of JSON (no newline) holding every concrete field of an instance."""
    parts = []
    for field in instance._meta.concrete_fields:
        value = field.value_from_object(instance)
        if field.get_internal_type() == "JSONField":
            text = _json_text(value)
        else:
            text = json.dumps(_plain(value), allow_nan=False)
        parts.append(f"{json.dumps(field.name)}:{text}")
    return "{" + ",".join(parts) + "}"


def loads(model, text):
    """A new, unsaved instance of ``model`` from one line written by ``dumps``.

    A field missing from the line gets its default; an unknown one is an error.
    """
    try:
        # Decimal for every non-integer number: a JSONField's may have more digits than a float.
        data = json.loads(text, parse_float=decimal.Decimal)
    except json.JSONDecodeError as error:
        raise ValidationError(
            None, f"Not valid JSON: {error.msg} (column {error.colno})."
        ) from error
    if not isinstance(data, dict):
        raise ValidationError(None, f"Expected a JSON object, got {type(data).__name__}.")
    schema = schema_for(model)
    values = {}
    for name, value in data.items():
        converter = schema.by_name.get(name)
        if converter is None or converter.name != name:
            raise ValidationError(name, f"{schema.label} has no field {name!r}.")
        values[converter.attname] = converter.python_value(value)
    return model(**values)


def _plain(value):
    """A field's value as DjangoJSONEncoder would write it, but exact."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, FieldFile):
        return value.name
    raise TypeError(f"A value of type {type(value).__name__} has no JSON representation.")


def _json_text(value):
    """JSON text of a JSONField's value, writing a Decimal's digits as a JSON number.

    ``json.dumps`` can only write a Decimal as a string or a rounded float.
    """
    if isinstance(value, dict):
        items = (f"{json.dumps(key)}:{_json_text(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(map(_json_text, value)) + "]"
    if isinstance(value, decimal.Decimal):
        return str(value)
    return json.dumps(value, allow_nan=False)
