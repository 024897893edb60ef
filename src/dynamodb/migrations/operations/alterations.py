"""Turning a table's TTL on, off or onto another attribute, and changing its billing."""

from django.db.migrations.operations.base import OperationCategory

from ...exceptions import InvalidMigration
from ...storage import tableadmin
from ...storage.billing import ON_DEMAND
from ...storage.tablespecs import billing_request, check_billing, ttl_request
from .base import TableOperation, prefixed, required_spec, set_table_spec


class AlterTimeToLive(TableOperation):
    """Expire the table's items at the time in ``attribute`` (None: never).

    Moving TTL to another attribute turns it off, then on again: AWS allows
    one change per table within an hour. An engine without TTL (dynalite)
    gets a warning.
    """

    category = OperationCategory.ALTERATION

    def __init__(self, name, attribute):
        super().__init__(name)
        if attribute is not None and not (isinstance(attribute, str) and attribute):
            raise InvalidMigration(
                f"AlterTimeToLive takes an attribute name or None, not {attribute!r}."
            )
        self.attribute = attribute

    def state_forwards(self, app_label, state):
        spec = required_spec(state, app_label, self.name)
        set_table_spec(state, app_label, self.name, spec.replace(ttl=self.attribute))

    def forwards(self, app_label, before, after, report):
        spec = required_spec(after, app_label, self.name)
        tableadmin.set_ttl(prefixed(spec.table_name), spec.ttl, report)

    def backwards(self, app_label, before, after, report):
        spec = required_spec(before, app_label, self.name)
        tableadmin.set_ttl(prefixed(spec.table_name), spec.ttl, report)

    def requests(self, app_label, before, after, backwards):
        old = required_spec(before, app_label, self.name)
        new = required_spec(after, app_label, self.name)
        if backwards:
            old, new = new, old
        name = prefixed(new.table_name)
        requests = []
        if old.ttl is not None:
            requests.append(ttl_request(name, old.ttl, False))
        if new.ttl is not None:
            requests.append(ttl_request(name, new.ttl, True))
        return requests

    def describe(self):
        if self.attribute is None:
            return f"Turn off the TTL of {self.name}"
        return f"Expire items of {self.name} at their {self.attribute!r} (TTL)"

    @property
    def migration_name_fragment(self):
        return f"{self.name_lower}_ttl"


class AlterBillingMode(TableOperation):
    """Bill the table per request (``PAY_PER_REQUEST``) or ``PROVISIONED`` with ``throughput``.

    ``throughput`` is (read units, write units), for the table and each
    global index. AWS allows one switch of mode per table within 24 hours.
    """

    category = OperationCategory.ALTERATION

    def __init__(self, name, billing=ON_DEMAND, throughput=None):
        super().__init__(name)
        self.throughput = check_billing(billing, throughput, f"the table of {name}")
        self.billing = billing

    def state_forwards(self, app_label, state):
        spec = required_spec(state, app_label, self.name)
        changed = spec.replace(billing=self.billing, throughput=self.throughput)
        set_table_spec(state, app_label, self.name, changed)

    def forwards(self, app_label, before, after, report):
        spec = required_spec(after, app_label, self.name)
        tableadmin.set_billing(spec, prefixed(spec.table_name), report)

    def backwards(self, app_label, before, after, report):
        spec = required_spec(before, app_label, self.name)
        tableadmin.set_billing(spec, prefixed(spec.table_name), report)

    def requests(self, app_label, before, after, backwards):
        spec = required_spec(before if backwards else after, app_label, self.name)
        return [billing_request(spec, prefixed(spec.table_name))]

    def describe(self):
        capacity = "" if self.throughput is None else f" {self.throughput}"
        return f"Bill the DynamoDB table of {self.name} {self.billing}{capacity}"

    @property
    def migration_name_fragment(self):
        return f"{self.name_lower}_billing"
