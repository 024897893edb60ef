"""The billing declaration of a DynamoCompatibleModel (``billing``): on-demand or provisioned."""

from dataclasses import dataclass

ON_DEMAND = "PAY_PER_REQUEST"
PROVISIONED = "PROVISIONED"


@dataclass(frozen=True)
class OnDemand:
    """Pay per request (the default): no capacity to plan, nothing throttled below AWS's limits."""

    mode = ON_DEMAND
    throughput = None


@dataclass(frozen=True)
class Provisioned:
    """Provisioned capacity: ``read`` and ``write`` units for the table and each global index."""

    read: int
    write: int

    mode = PROVISIONED

    @property
    def throughput(self):
        return (self.read, self.write)
