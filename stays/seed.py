"""The stay rules of DOMAIN.md section 2, seeded by migration ``stays/0003_seed_rules`` (rules are data: an
operator edits them in the admin afterwards).

Citizenship groups seeded (ISO alpha-2):
- Russia, visa-free foreigners: KZ, KG, UZ, TJ, AM, AZ, MD. Belarus is left out on purpose: under the Union
  State treaties Belarusian citizens have no 90-day limit in Russia. Russian citizens are never limited at home.
- Kazakhstan, EAEU citizens: RU, BY, KG, AM.
- Kazakhstan, other visa-free foreigners: UZ, TJ, AZ, MD, UA (the CIS countries with visa-free entry) from
  2023-01-27, and citizens of China from 2023-11-10 (the KZ–CN mutual visa exemption agreement; the same terms, as
  their own rule because it starts on its own date; added to existing databases by ``stays/0005``).
"""

import datetime

RU_LAW_URL = "https://www.consultant.ru/document/cons_doc_LAW_37868/"
KZ_RULES_URL = "https://adilet.zan.kz/rus/docs/P1200000148"
RUID_NEWS_URL = "https://www.interfax.ru/"
KZ_LEGAL_ACTS_URL = "https://adilet.zan.kz/"

RU_VISA_FREE = ["AM", "AZ", "KG", "KZ", "MD", "TJ", "UZ"]
KZ_EAEU = ["AM", "BY", "KG", "RU"]
KZ_OTHER_VISA_FREE = ["AZ", "MD", "TJ", "UA", "UZ"]

CHINA_IN_KAZAKHSTAN = {
    "name": "KZ: citizens of China, 30 days per entry and 90 days in any 180-day period",
    "host_countries": ["KZ"],
    "citizenships": ["CN"],
    "limit_days": 90,
    "window": "rolling",
    "window_days": 180,
    "per_entry_cap_days": 30,
    "effective_from": datetime.date(2023, 11, 10),
    "source": KZ_LEGAL_ACTS_URL,
    "source_note": (
        "Agreement between the Republic of Kazakhstan and the People's Republic of China on mutual visa "
        "exemption, in force 10 Nov 2023: visa-free stays of up to 30 days per entry and 90 days in any 180-day "
        "period, the terms of the other visa-free foreigners. Replace the link with the agreement's page."
    ),
    "active": True,
}

SEED_RULES = [
    {
        "name": "RU: 90 days per calendar year, continuous stay up to 90 days (visa-free)",
        "host_countries": ["RU"],
        "citizenships": RU_VISA_FREE,
        "limit_days": 90,
        "window": "calendar_year",
        "continuous_cap_days": 90,
        "effective_from": datetime.date(2025, 1, 1),
        "source": RU_LAW_URL,
        "source_note": "Federal Law 260-FZ of 8 Aug 2024, amending art. 5(1) of 115-FZ.",
        "active": True,
    },
    {
        "name": "RU: 90 days in any 180-day period (visa-free, until 2024)",
        "host_countries": ["RU"],
        "citizenships": RU_VISA_FREE,
        "limit_days": 90,
        "window": "rolling",
        "window_days": 180,
        "effective_to": datetime.date(2024, 12, 31),
        "source": RU_LAW_URL,
        "source_note": "115-FZ art. 5(1), wording before Federal Law 260-FZ.",
        "active": True,
    },
    {
        "name": "RU: ruID regime for international road carriers' drivers, 180 days per calendar year",
        "host_countries": ["RU"],
        "citizenships": RU_VISA_FREE,
        "regime": "ruID",
        "limit_days": 180,
        "window": "calendar_year",
        "source": RUID_NEWS_URL,
        "source_note": (
            "MVD draft resolution reported by Interfax on 16 Jan 2026; adoption unconfirmed. Seeded inactive: "
            "switch it on when adopted, and give drivers the ruID regime one by one."
        ),
        "active": False,
    },
    {
        "name": "KZ: EAEU citizens, 90 days in any 180-day period",
        "host_countries": ["KZ"],
        "citizenships": KZ_EAEU,
        "limit_days": 90,
        "window": "rolling",
        "window_days": 180,
        "effective_from": datetime.date(2023, 1, 27),
        "source": KZ_RULES_URL,
        "source_note": "Rules of entry and stay of immigrants in the Republic of Kazakhstan, amended January 2023.",
        "active": True,
    },
    {
        "name": "KZ: other visa-free foreigners, 30 days per entry and 90 days in any 180-day period",
        "host_countries": ["KZ"],
        "citizenships": KZ_OTHER_VISA_FREE,
        "limit_days": 90,
        "window": "rolling",
        "window_days": 180,
        "per_entry_cap_days": 30,
        "effective_from": datetime.date(2023, 1, 27),
        "source": KZ_RULES_URL,
        "source_note": "Rules of entry and stay of immigrants in the Republic of Kazakhstan, amended January 2023.",
        "active": True,
    },
    CHINA_IN_KAZAKHSTAN,
    {
        "name": "RU+BY Union State zone: days in Russia and Belarus summed, 90 per calendar year",
        "host_countries": ["BY", "RU"],
        "citizenships": RU_VISA_FREE,
        "limit_days": 90,
        "window": "calendar_year",
        "continuous_cap_days": 90,
        "effective_from": datetime.date(2025, 1, 1),
        "source": RU_LAW_URL,
        "source_note": (
            "Reported, unconfirmed: days in Russia and Belarus may be summed (Union State). Seeded inactive; "
            "an operator switches it on when confirmed. While active it takes precedence over the RU-only rule."
        ),
        "active": False,
    },
]


def stay_rules_seed(*, rule_model) -> None:
    """Creates or updates the seeded rules by name (idempotent; other rules are left alone)."""
    for fields in SEED_RULES:
        rule_model.objects.update_or_create(name=fields["name"], defaults=fields)
