"""The queues app's admin, one module per area."""

from queues.admin import crossings, partner  # noqa: F401
