"""What DynamoDB can hold: numbers, text, key values and item sizes, checked before a request.

Limits of DynamoDB itself (``dynamodb.constants``): numbers of at most 38
significant digits within 1E-130..1E+126, UTF-8 text, non-empty keys of at
most 2048 (partition) or 1024 (sort) bytes, items of at most 400 KB. A value
outside them is a ``ValidationError`` naming the field, raised here so that
no request carries it.
"""

import decimal

from .. import constants
from ..exceptions import ValidationError


def check_number(name, value):
    """Raise unless DynamoDB's N type can hold ``value`` exactly."""
    if not value.is_finite():
        raise ValidationError(name, f"{value} cannot be stored: DynamoDB numbers must be finite.")
    if not value:
        return value
    # Counted on the digits themselves: normalize() would round to the context's 28 digits.
    digits = value.as_tuple().digits
    significant = len(digits)
    while digits[significant - 1] == 0:  # trailing zeros are not significant
        significant -= 1
    if significant > constants.MAX_NUMBER_DIGITS:
        raise ValidationError(
            name,
            f"{value} has {significant} significant digits; "
            f"DynamoDB numbers hold at most {constants.MAX_NUMBER_DIGITS}.",
        )
    exponent = value.adjusted()
    if not constants.MIN_NUMBER_EXPONENT <= exponent <= constants.MAX_NUMBER_EXPONENT:
        raise ValidationError(
            name,
            f"{value} is out of DynamoDB's number range (magnitude "
            f"1E{constants.MIN_NUMBER_EXPONENT} to below 1E+{constants.MAX_NUMBER_EXPONENT + 1}).",
        )
    if len(digits) > constants.MAX_NUMBER_DIGITS:
        # Only trailing zeros exceed the limit: drop them (boto3 refuses to round).
        return value.normalize(decimal.Context(prec=constants.MAX_NUMBER_DIGITS))
    return value


def check_string(name, value):
    """Raise unless ``value`` is a ``str`` encodable as UTF-8 (DynamoDB's S type)."""
    if not isinstance(value, str):
        raise ValidationError(name, f"Expected a string, got {type(value).__name__}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError(name, f"Not valid Unicode text: {error.reason}.") from error
    return value


def float_to_decimal(name, value):
    """A float as the Decimal of its shortest repr (0.1 -> Decimal('0.1'), not 55 digits)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(name, f"{value} cannot be stored: DynamoDB numbers must be finite.")
    return check_number(name, decimal.Decimal(repr(value)))


def check_key_value(name, value, max_bytes):
    """Raise unless a key attribute's DynamoDB value is non-empty and small enough."""
    if isinstance(value, str):
        size = len(value.encode("utf-8"))
    elif isinstance(value, bytes):
        size = len(value)
    else:
        return
    if size == 0:
        raise ValidationError(name, "This key attribute cannot be empty in DynamoDB.")
    if size > max_bytes:
        raise ValidationError(
            name, f"This key value is {size} bytes; DynamoDB allows at most {max_bytes}."
        )


def estimated_size(value):
    """A conservative estimate, in bytes, of a DynamoDB value's stored size."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, decimal.Decimal):
        return len(value.as_tuple().digits) // 2 + 2
    if isinstance(value, dict):
        return 3 + sum(len(key.encode("utf-8")) + estimated_size(v) + 1 for key, v in value.items())
    if isinstance(value, list):
        return 3 + sum(estimated_size(v) + 1 for v in value)
    return 1


def _size_bound(item):
    """An upper bound of ``estimated_size`` of an item, cheaper to reach for flat items."""
    bound = 0
    for name, value in item.items():
        kind = type(value)
        if kind is str:
            bound += 4 * len(value)  # UTF-8 takes at most 4 bytes a code point
        elif kind is decimal.Decimal:
            bound += constants.MAX_NUMBER_DIGITS // 2 + 2
        else:
            bound += estimated_size(value)
        bound += 4 * len(name)
    return bound


def check_item_size(item):
    """Raise unless an item's estimated size fits DynamoDB's 400 KB limit."""
    if _size_bound(item) <= constants.MAX_ITEM_BYTES:
        return
    size = sum(len(name.encode("utf-8")) + estimated_size(value) for name, value in item.items())
    if size > constants.MAX_ITEM_BYTES:
        largest = max(item, key=lambda name: estimated_size(item[name]))
        raise ValidationError(
            largest,
            f"The item would be about {size} bytes; DynamoDB items hold at most "
            f"{constants.MAX_ITEM_BYTES} bytes (this field is the largest).",
        )
