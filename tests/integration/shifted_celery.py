"""Starts ``celery`` with the suite's moved clock, so the live worker and the tests agree on "now".

Run as ``python -m tests.integration.shifted_celery <celery arguments>``; without a shift it is plain celery.
"""

from __future__ import annotations

import sys

from celery.__main__ import main

from tests.clock import clock_shift

if __name__ == "__main__":
    with clock_shift():
        sys.exit(main())
