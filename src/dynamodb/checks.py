"""System checks of the dynamodb app (ids dynamodb.E0xx).

Model declarations are judged by ``schema.declaration_errors`` through
``DynamoCompatibleModel.check()``, which Django runs for every model at
startup; this module adds the settings checks, registered in ``AppConfig.ready``.
"""

from django.core import checks

from .conf import TRANSPORTS, conf

POSITIVE_NUMBERS = ("CONNECT_TIMEOUT", "READ_TIMEOUT", "WAITER_DELAY", "MIGRATE_TIMEOUT")
POSITIVE_INTEGERS = ("MAX_ATTEMPTS", "WAITER_MAX_ATTEMPTS", "ID_BLOCK_SIZE", "ID_CACHE_SIZE")


def model_errors(model):
    """Django check messages for a DynamoDB model's declaration."""
    from .storage.declarations import declaration_errors

    return [
        checks.Error(message, hint=hint, obj=model, id=check_id)
        for check_id, message, hint in declaration_errors(model)
    ]


@checks.register(checks.Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    errors = []
    for name in POSITIVE_NUMBERS:
        value = conf.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                checks.Error(
                    f"DYNAMODB_{name} is {value!r}.",
                    hint="Set it to a positive number of seconds.",
                    id="dynamodb.E100",
                )
            )
    for name in POSITIVE_INTEGERS:
        value = conf.raw(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                checks.Error(
                    f"DYNAMODB_{name} is {value!r}.",
                    hint="Set it to a positive integer.",
                    id="dynamodb.E101",
                )
            )
    for name in ("TABLE_PREFIX", "REGION", "ID_COUNTER_TABLE"):
        if not isinstance(conf.raw(name), str):
            errors.append(
                checks.Error(
                    f"DYNAMODB_{name} is {conf.raw(name)!r}.",
                    hint="Set it to a string.",
                    id="dynamodb.E102",
                )
            )
    if conf.raw("TRANSPORT") not in TRANSPORTS:
        errors.append(
            checks.Error(
                f"DYNAMODB_TRANSPORT is {conf.raw('TRANSPORT')!r}.",
                hint=f"Set it to one of {', '.join(map(repr, TRANSPORTS))}.",
                id="dynamodb.E103",
            )
        )
    return errors
