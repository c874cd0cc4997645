"""The stay record as a PDF (fpdf2, DejaVu Sans embedded: Cyrillic and Kazakh letters come out as text).

``stay_record_pdf`` is a pure function of the record (``stays.record.StayRecord``) and the active language: no
database, no clock (the document's creation date is the record's ``generated_at``), so the same record renders
to the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django_countries import countries
from fpdf import FPDF
from fpdf.fonts import FontFace

from stays.labels import REASON_LABELS, RISK_LABELS, rule_text
from stays.record import RecordedEvent, StayRecord

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"


def _country(code: str) -> str:
    return str(countries.name(code) or code) if code else "—"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(value: datetime, zone: str) -> str:
    """``2026-03-01 07:05 UTC (10:05 Europe/Moscow)``."""
    utc = value.astimezone(UTC)
    local = value.astimezone(_zone(zone))
    local_text = local.strftime("%H:%M") if local.date() == utc.date() else local.strftime("%Y-%m-%d %H:%M")
    return f"{utc:%Y-%m-%d %H:%M} UTC ({local_text} {zone})"


def _source(event: RecordedEvent) -> str:
    if event.source == "report":
        return _("the driver's crossing report")
    if event.source == "dispatcher":
        if event.recorded_by:
            return _("dispatcher %(name)s") % {"name": event.recorded_by}
        return _("a dispatcher")
    if event.recorded_by:
        return _("entered by %(name)s") % {"name": event.recorded_by}
    return _("the driver, in the app")


def _event_cell(event: RecordedEvent | None, *, language: str, still_inside: str) -> str:
    if event is None:
        return still_inside
    name = event.crossing_name(language)
    return f"{event.on.isoformat()}\n{name}" if name else event.on.isoformat()


def _recorded(stay_entry: RecordedEvent, stay_exit: RecordedEvent | None, zone: str) -> str:
    lines = [
        _("entry: %(source)s, %(at)s") % {"source": _source(stay_entry), "at": _moment(stay_entry.recorded_at, zone)}
    ]
    if stay_exit is not None:
        lines.append(
            _("exit: %(source)s, %(at)s") % {"source": _source(stay_exit), "at": _moment(stay_exit.recorded_at, zone)}
        )
    return "\n".join(lines)


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def stay_record_pdf(record: StayRecord) -> bytes:
    """The record as an A4 landscape PDF in the active language."""
    language = (get_language() or "en")[:2]
    status = record.status
    country = _country(record.country)
    title = _("Stay record: %(country)s") % {"country": country}

    pdf = _Document(orientation="L", unit="mm", format="A4")
    pdf.footer_text = _("Kezek stay record, %(country)s, %(start)s – %(end)s") % {
        "country": country,
        "start": _day(record.period_from),
        "end": _day(record.period_to),
    }
    pdf.set_creation_date(record.generated_at.astimezone(UTC))
    pdf.set_title(title)
    pdf.set_author(record.driver_name or "Kezek")
    pdf.set_creator("Kezek")
    pdf.set_lang(language)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(12, 12, 12)
    pdf.add_page()

    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        0,
        4.5,
        _(
            "What this is: the carrier's and the driver's own record of entries and exits, kept in Kezek from the "
            "driver's crossing reports and from what the driver and the dispatcher entered. It is not an official "
            "document: the border service's records are authoritative."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    def line(label: str, value: str) -> None:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(55, 6, label)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")

    line(_("Driver"), record.driver_name or "—")
    line(_("Citizenship"), _country(record.citizenship))
    line(_("Period"), f"{_day(record.period_from)} – {_day(record.period_to)}")
    line(_("Generated"), _moment(record.generated_at, record.local_zone))
    pdf.ln(2)

    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, _("Stays"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8.5)
    if record.stays:
        still_inside = _("still in the country on %(date)s") % {"date": _day(record.period_to)}
        with pdf.table(
            col_widths=(8, 44, 44, 16, 20, 48, 93),
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
            line_height=4.5,
            text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT"),
        ) as table:
            heading = table.row()
            for text in (
                "#",
                _("Entry"),
                _("Exit"),
                _("Days"),
                _("In the period"),
                _("Rule applied"),
                _("Recorded"),
            ):
                heading.cell(text)
            for number, stay in enumerate(record.stays, start=1):
                row = table.row()
                row.cell(str(number))
                entry = _event_cell(stay.entry, language=language, still_inside=still_inside)
                if stay.continues_previous:
                    entry += "\n" + _("(same day as the last exit: one stay)")
                row.cell(entry)
                row.cell(_event_cell(stay.exit, language=language, still_inside=still_inside))
                row.cell(str(stay.days))
                row.cell(str(stay.days_in_period))
                row.cell(rule_text(stay.rule) if stay.rule else _("no rule applies"))
                row.cell(_recorded(stay.entry, stay.exit, record.local_zone))
    else:
        pdf.multi_cell(0, 5, _("No stay in this period."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, _("Totals on %(date)s") % {"date": _day(record.period_to)}, new_x="LMARGIN", new_y="NEXT")
    line(_("Days in the period"), str(record.days_in_period))
    if status.rule is None:
        line(
            _("Rule"),
            _("No citizenship is recorded, so no stay rule can be applied.")
            if status.rule_missing == "no_citizenship"
            else _("No stay rule applies to this citizenship."),
        )
    else:
        line(
            _("Days used in the window"),
            _("%(used)d (window %(start)s – %(end)s)")
            % {"used": status.days_used, "start": _day(status.window_start), "end": _day(status.window_end)},
        )
        line(_("Days left"), str(status.days_left))
        if status.in_country:
            line(_("Latest exit"), _day(status.latest_exit) if status.latest_exit else _("now: the limit is broken"))
        else:
            line(_("In the country"), pgettext("answer", "no"))
        if status.overstay_days:
            line(_("Overstay"), str(status.overstay_days))
    if status.risk:
        risk = str(RISK_LABELS.get(status.risk, status.risk))
        reasons = "; ".join(str(REASON_LABELS.get(code, code)) for code in status.risk_reasons)
        line(_("Risk"), f"{risk} ({reasons})" if reasons else risk)
    registry = {"clear": _("clear"), "listed": _("listed")}.get(status.registry.status, _("not checked"))
    if status.registry.checked_on:
        registry += f" ({_day(status.registry.checked_on)})"
    line(_("Registry check"), registry)
    if status.rule is not None:
        rule = status.rule
        text = rule_text(rule)
        if rule.regime:
            text += " · " + _("regime: %(regime)s") % {"regime": rule.regime}
        line(_("Rule applied"), f"{rule.name}: {text}")
        line(_("Source of the rule"), rule.source or "—")
    for regime in record.regimes:
        line(
            _("Regime"),
            f"{regime.regime} ({_day(regime.valid_from)} – {_day(regime.valid_to)})",
        )

    if record.not_counted:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 7, _("Recorded but not counted"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for event, code in record.not_counted:
            reason = _("an exit with no entry before it") if code == "exit_without_entry" else _("a second entry")
            kind = _("entry") if event.kind == "entry" else _("exit")
            pdf.multi_cell(
                0,
                5,
                f"{event.on.isoformat()} {kind}: {reason}; {_source(event)}, "
                f"{_moment(event.recorded_at, record.local_zone)}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())
