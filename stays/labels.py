"""The words for stay risk levels, written once: the admin, the driver page and the board read them here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy

# A level as a word ("high" is also an estimate's confidence, of another gender in Russian: hence the context).
RISK_LABELS = {
    "ok": pgettext_lazy("stay risk", "ok"),
    "watch": pgettext_lazy("stay risk", "watch"),
    "high": pgettext_lazy("stay risk", "high"),
    "overstay": pgettext_lazy("stay risk", "overstay"),
    "listed": pgettext_lazy("stay risk", "listed"),
}
# The board's group headings, one per level and one for drivers whose status is not computed yet.
RISK_UNKNOWN = "unknown"
RISK_HEADINGS = {
    "listed": gettext_lazy("Listed in the registry"),
    "overstay": gettext_lazy("Overstay"),
    "high": gettext_lazy("High risk"),
    "watch": gettext_lazy("Watch"),
    "ok": gettext_lazy("OK"),
    RISK_UNKNOWN: gettext_lazy("Status unknown"),
}
