"""The words for stay risk levels, their reasons and rules, written once: the admin, the driver page, the board and the
stay record read them here."""

from __future__ import annotations

from django.utils.translation import gettext as _
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

# Why a status carries its risk (``risk_reasons`` codes), as words.
REASON_LABELS = {
    "registry_listed": gettext_lazy("a registry check found the driver listed"),
    "over_limit": gettext_lazy("more days of stay than the limit allows"),
    "over_continuous_cap": gettext_lazy("one continuous stay longer than allowed"),
    "over_per_entry_cap": gettext_lazy("a stay longer than one entry allows"),
    "days_left_at_high_threshold": gettext_lazy("very few days left"),
    "days_left_at_watch_threshold": gettext_lazy("few days left"),
}


def rule_text(rule) -> str:
    """A stay rule in words, in the active language: its limit and window, then its caps."""
    if rule.window == "calendar_year":
        text = _("%(limit)d days per calendar year") % {"limit": rule.limit_days}
    else:
        text = _("%(limit)d days in any %(window)d days") % {"limit": rule.limit_days, "window": rule.window_days}
    caps = []
    if rule.continuous_cap_days:
        caps.append(_("a continuous stay up to %(days)d days") % {"days": rule.continuous_cap_days})
    if rule.per_entry_cap_days:
        caps.append(_("up to %(days)d days per entry") % {"days": rule.per_entry_cap_days})
    return "; ".join([text, *caps])
