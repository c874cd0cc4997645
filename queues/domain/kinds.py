"""The kinds of crowd report, written once: the report rules, visit grouping, the estimator and the model's
choices read them here. Pure (no Django)."""

from __future__ import annotations

from typing import Final

REPORT_KINDS: Final = ("joined", "position", "crossed", "left")
# One driver's reports at the same instant: joined first, the end last (a crossing after a "left" correction).
KIND_ORDER: Final = {"joined": 0, "position": 1, "left": 2, "crossed": 3}
