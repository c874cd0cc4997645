"""``manage.py load_demo``: a small working world for trying Kezek on the embedded default.

Two carriers with drivers at every stay-risk level, 48 hours of simulated crowd reports on three queues (ingested
through the production ingest service, then estimated at half-hour ticks so the charts have history), and an admin
and a dispatcher login, printed at the end. Running it again keeps the data and prints fresh passwords.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from carriers.models import Carrier, Dispatcher, Driver
from carriers.services import carrier_create, dispatcher_create
from queues.models import Crossing, Queue
from queues.services.estimates import estimate_refresh, estimate_refresh_requests_held
from queues.services.reports import report_batch_ingest
from queues.tools.replay import parse_timestamp
from queues.tools.simulation import scenario_config, simulate
from stays.services import registry_check_record, stay_event_record, stay_statuses_refresh

DEMO_CARRIER = "Steppe Freight (demo)"
OTHER_CARRIER = "Irtysh Logistics (demo)"
SIMULATED_HOURS = 48
HISTORY_STEP = timedelta(minutes=30)
QUEUES = [  # (crossing, direction, scenario, seed)
    ("syrym-mashtakovo", "KZ-RU", "steady", 11),
    ("zhaisan-sagarchin", "KZ-RU", "slowdown", 12),
    ("nur-zholy-khorgos", "CN-KZ", "steady", 13),
]
# (name, citizenship, RU stays as (days ago entered, days ago left or None)) — one driver per risk level.
FLEET = [
    ("Aidos Nurlanov", "KZ", [(200, 170), (120, 95)]),
    ("Bakyt Asanov", "KG", [(230, 190), (100, 62)]),
    ("Dilshod Karimov", "UZ", [(300, 240), (26, None)]),
    ("Erlan Sadykov", "KZ", [(290, 250), (83, None)]),
    ("Farid Tokhtarov", "KZ", [(120, 110)]),
    ("Gulnara Abenova", "KZ", []),
]


def _password() -> str:
    return secrets.token_urlsafe(12)


class Command(BaseCommand):
    help = (
        "Loads demo carriers, drivers, crowd reports, estimates and stays, and prints an admin and a dispatcher login."
    )

    def handle(self, *args, **options):
        now = timezone.now().replace(second=0, microsecond=0)
        if not Carrier.objects.filter(name=DEMO_CARRIER).exists():
            self._load(now)
        admin_password, dispatcher_password = self._logins()
        carrier = Carrier.objects.get(name=DEMO_CARRIER)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Kezek demo is ready at http://127.0.0.1:8000/"))
        self.stdout.write(f"  Admin (superuser):  admin / {admin_password}   http://127.0.0.1:8000/admin/")
        self.stdout.write(f"  Dispatcher ({carrier.name}):  dispatcher / {dispatcher_password}")
        self.stdout.write(f"  Carrier invite code for drivers: {carrier.invite_code}")
        self.stdout.write(
            '  Driver API: POST /api/v1/auth/otp {"phone": "+77011230001"}; the code is printed on this console.'
        )
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/v1/docs and http://127.0.0.1:8000/api/partner/v1/docs")

    def _logins(self) -> tuple[str, str]:
        user_model = get_user_model()
        admin_password, dispatcher_password = _password(), _password()
        admin = user_model.objects.filter(username="admin").first()
        if admin is None:
            user_model.objects.create_superuser("admin", "admin@example.com", admin_password)
        else:
            admin.set_password(admin_password)
            admin.save(update_fields=["password"])
        dispatcher = Dispatcher.objects.filter(user__username="dispatcher").select_related("user").first()
        if dispatcher is None:
            dispatcher_create(
                carrier=Carrier.objects.get(name=DEMO_CARRIER), username="dispatcher", password=dispatcher_password
            )
        else:
            dispatcher.user.set_password(dispatcher_password)
            dispatcher.user.save(update_fields=["password"])
        return admin_password, dispatcher_password

    def _load(self, now: datetime) -> None:
        self.stdout.write("Loading demo data (about a minute on SQLite)...")
        with transaction.atomic():
            carrier = carrier_create(name=DEMO_CARRIER)
            other = carrier_create(name=OTHER_CARRIER)
            fleet = self._fleet(carrier=carrier, other=other, now=now)
        self._stays(fleet, now=now)
        self._queues(carrier=carrier, now=now)

    def _driver(self, *, phone: str, name: str, citizenship: str, carrier: Carrier | None) -> Driver:
        user = get_user_model().objects.create_user(username=phone)
        return Driver.objects.create(
            user=user, phone=phone, name=name, citizenship=citizenship, language="ru", carrier=carrier
        )

    def _fleet(self, *, carrier: Carrier, other: Carrier, now: datetime) -> list[tuple[Driver, list]]:
        fleet = []
        for index, (name, citizenship, stays) in enumerate(FLEET, start=1):
            driver = self._driver(phone=f"+7701123{index:04d}", name=name, citizenship=citizenship, carrier=carrier)
            fleet.append((driver, stays))
        for index, name in enumerate(["Nurlan Beketov", "Oleg Petrov"], start=1):
            self._driver(phone=f"+7702123{index:04d}", name=name, citizenship="KZ", carrier=other)
        return fleet

    def _stays(self, fleet: list[tuple[Driver, list]], *, now: datetime) -> None:
        today = now.date()
        russia_gate = Crossing.objects.filter(slug="syrym-mashtakovo").first()
        for driver, stays in fleet:
            for entered_ago, left_ago in stays:
                stay_event_record(
                    driver=driver,
                    country="RU",
                    kind="entry",
                    date=today - timedelta(days=entered_ago),
                    crossing=russia_gate,
                    source="dispatcher",
                    actor=None,
                    as_of=now,
                )
                if left_ago is not None:
                    stay_event_record(
                        driver=driver,
                        country="RU",
                        kind="exit",
                        date=today - timedelta(days=left_ago),
                        crossing=russia_gate,
                        source="dispatcher",
                        actor=None,
                        as_of=now,
                    )
        listed = fleet[4][0]
        registry_check_record(
            driver=listed,
            status="listed",
            checked_on=today - timedelta(days=2),
            checked_by=None,
            note="Found on the MVD registry form; appeal filed.",
        )
        clear = fleet[0][0]
        registry_check_record(driver=clear, status="clear", checked_on=today - timedelta(days=10), checked_by=None)
        stay_statuses_refresh(driver_ids=[driver.pk for driver, _ in fleet], on=today, as_of=now)

    def _queues(self, *, carrier: Carrier, now: datetime) -> None:
        start = now - timedelta(hours=SIMULATED_HOURS)
        for slug, direction, scenario, seed in QUEUES:
            origin, destination = direction.split("-")
            queue = Queue.objects.get(crossing__slug=slug, from_country=origin, to_country=destination)
            # Refreshes are run below tick by tick: ingest asks for none meanwhile.
            with estimate_refresh_requests_held(queue_id=queue.pk):
                config = scenario_config(
                    scenario=scenario,
                    hours=SIMULATED_HOURS,
                    seed=seed,
                    crossing=slug,
                    direction=direction,
                    start_at=start.astimezone(UTC),
                )
                reports, _truth = simulate(config)
                self._ingest(reports, carrier=carrier if slug == "syrym-mashtakovo" else None, now=now)
                tick = start + timedelta(hours=6)
                while tick <= now:
                    estimate_refresh(queue_id=queue.pk, as_of=tick)
                    tick += HISTORY_STEP
                estimate_refresh(queue_id=queue.pk, as_of=now)
            self.stdout.write(f"  {slug} {direction} ({scenario}): {len(reports)} reports")

    def _ingest(self, reports: list[dict], *, carrier: Carrier | None, now: datetime) -> None:
        drivers: dict[str, Driver] = {}
        batches: dict[tuple[str, datetime], list[dict]] = defaultdict(list)
        for line in reports:
            received_at = parse_timestamp(line.get("received_at") or line["observed_at"])
            if received_at > now:
                continue
            hour = received_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            item = {key: value for key, value in line.items() if key not in ("driver", "received_at")}
            batches[(line["driver"], min(hour, now))].append(item)
        fleet_slots = 4  # the demo carrier's own trucks in this queue, so the board shows them queueing
        for (opaque, received_at), items in sorted(batches.items(), key=lambda entry: entry[0][1]):
            driver = drivers.get(opaque)
            if driver is None:
                phone = f"+7700{Driver.objects.count() + 1000000:07d}"
                driver = self._driver(
                    phone=phone,
                    name=f"Reporter {opaque}",
                    citizenship="KZ",
                    carrier=carrier if carrier is not None and fleet_slots > 0 else None,
                )
                if carrier is not None:
                    fleet_slots -= 1
                drivers[opaque] = driver
            for chunk_start in range(0, len(items), 100):
                report_batch_ingest(
                    driver=driver, items=items[chunk_start : chunk_start + 100], received_at=received_at
                )
