"""The seeded stay rules as domain values, for tests that need no database (mirrors the data migration)."""

from datetime import date

from stays.domain import CALENDAR_YEAR, ROLLING, Rule

RU_VISA_FREE = frozenset({"KZ", "KG", "UZ", "TJ", "AM", "AZ", "MD"})
KZ_EAEU = frozenset({"RU", "BY", "KG", "AM"})
KZ_OTHER_VISA_FREE = frozenset({"UZ", "TJ", "AZ", "MD", "UA"})

RU_CALENDAR_2025 = Rule(
    id=1,
    name="RU 90 days per calendar year",
    host_countries=frozenset({"RU"}),
    citizenships=RU_VISA_FREE,
    limit_days=90,
    window=CALENDAR_YEAR,
    continuous_cap_days=90,
    effective_from=date(2025, 1, 1),
)
RU_ROLLING_BEFORE_2025 = Rule(
    id=2,
    name="RU 90 days in 180",
    host_countries=frozenset({"RU"}),
    citizenships=RU_VISA_FREE,
    limit_days=90,
    window=ROLLING,
    window_days=180,
    effective_to=date(2024, 12, 31),
)
RU_RUID = Rule(
    id=3,
    name="RU ruID 180 per calendar year",
    host_countries=frozenset({"RU"}),
    citizenships=RU_VISA_FREE,
    regime="ruID",
    limit_days=180,
    window=CALENDAR_YEAR,
    effective_from=date(2026, 1, 16),
    active=False,
)
KZ_EAEU_ROLLING = Rule(
    id=4,
    name="KZ EAEU 90 in 180",
    host_countries=frozenset({"KZ"}),
    citizenships=KZ_EAEU,
    limit_days=90,
    window=ROLLING,
    window_days=180,
    effective_from=date(2023, 1, 27),
)
KZ_OTHER = Rule(
    id=5,
    name="KZ other visa-free 30 per entry, 90 in 180",
    host_countries=frozenset({"KZ"}),
    citizenships=KZ_OTHER_VISA_FREE,
    limit_days=90,
    window=ROLLING,
    window_days=180,
    per_entry_cap_days=30,
    effective_from=date(2023, 1, 27),
)
KZ_CHINA = Rule(
    id=7,
    name="KZ citizens of China: 30 per entry, 90 in 180",
    host_countries=frozenset({"KZ"}),
    citizenships=frozenset({"CN"}),
    limit_days=90,
    window=ROLLING,
    window_days=180,
    per_entry_cap_days=30,
    effective_from=date(2023, 11, 10),
)
UNION_STATE = Rule(
    id=6,
    name="RU+BY Union State zone",
    host_countries=frozenset({"RU", "BY"}),
    citizenships=RU_VISA_FREE,
    limit_days=90,
    window=CALENDAR_YEAR,
    continuous_cap_days=90,
    effective_from=date(2025, 1, 1),
    active=False,
)

SEEDED = (RU_CALENDAR_2025, RU_ROLLING_BEFORE_2025, RU_RUID, KZ_EAEU_ROLLING, KZ_OTHER, KZ_CHINA, UNION_STATE)
