"""Runs a module as ``python -m`` would, on the suite's moved clock (``tests.clock``): for the servers and workers
that the suite starts as subprocesses, so they and the tests agree on "now".

``python -m tests.clock_run celery -A config worker ...`` is plain ``python -m celery ...`` when no shift is set.
"""

from __future__ import annotations

import runpy
import sys

from tests.clock import clock_shift

if __name__ == "__main__":
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    with clock_shift():
        runpy.run_module(module, run_name="__main__", alter_sys=True)
