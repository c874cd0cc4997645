"""The stays admin: rules, events, registry checks, regimes and snapshots (records); the stay columns of the
driver list (drivers, composed into the driver admin by the workplace)."""

from stays.admin import records  # noqa: F401
