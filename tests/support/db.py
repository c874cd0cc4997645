"""Database helpers for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back() -> Iterator[None]:
    """A block whose writes are undone at its end, as the test's own transaction is.

    Django's TestCase marks the blocks it opens around a test so that an outermost (``durable``) service may run
    inside them; this block is marked the same way, so it holds whatever a request does, durable services included.
    """
    block = transaction.atomic()
    block._from_testcase = True  # as TestCase marks its own blocks
    with block:
        try:
            yield
        finally:
            transaction.set_rollback(True)
