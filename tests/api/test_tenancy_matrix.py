"""The tenancy matrix: every URL of the project × anonymous / drivers / dispatchers of two carriers.

``test_every_url_has_a_matrix_entry`` walks the URL resolver and FAILS for any route without an entry in
``MATRIX``, so a new endpoint cannot ship without saying who may reach it. ``test_tenancy_matrix`` then calls
each route that exists as every role and checks the status (and that nothing of carrier A leaks to B).

Adding an entry is one line: ``"<route as the resolver prints it>": Row(anonymous, driver_a, driver_b,
dispatcher_a, dispatcher_b, ...)``. The world has two carriers, A and B; "driver_b" and "dispatcher_b" call
the URL with carrier A's object in it. Entries for routes that do not exist yet are simply not run, so they
may come first.
Admin routes of a model can be written once with ``admin_model_rows(...)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from carriers.models import Notification
from tests.factories import CarrierFactory, DispatcherFactory, DriverFactory, token_for

# --- Answers --------------------------------------------------------------------------------------
LOGIN = "login"  # 302 to the admin login page
HIDDEN = "hidden"  # the admin's "not found": 302 to the admin index, or 404
Answer = int | tuple[int, ...] | str

ROLES = ("anonymous", "driver_b", "dispatcher_b", "dispatcher_a", "driver_a")  # the owner last: may delete


@dataclass(frozen=True)
class Row:
    anonymous: Answer
    driver_a: Answer
    driver_b: Answer
    dispatcher_a: Answer
    dispatcher_b: Answer
    method: str = "get"
    path: str | Callable[[World], str] | None = None  # default: the route itself (routes without parameters)
    body: dict | None = None  # sent as JSON
    form: Callable[[World], dict] | None = None  # sent form-encoded (admin pages)
    leaks: Callable[[World], list[str]] | None = None  # extra text of A that B must never see


@dataclass
class World:
    carrier_a: object
    carrier_b: object
    driver_a: object
    driver_b: object
    dispatcher_a: object
    dispatcher_b: object
    objects: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.objects["slug"]

    @property
    def user_a(self) -> int:
        return self.dispatcher_a.user.pk

    def partner(self, what: str) -> str:
        return f"/api/partner/v1/crossings/{self.slug}/{what}?direction=KZ-RU"

    def secrets_of_a(self) -> list[str]:
        return [str(self.driver_a.phone), self.carrier_a.invite_code, self.driver_a.name]


# Who may enter the admin at all: staff only; a driver account is sent to the login page like anonymous.
def admin_page(dispatcher_a: Answer, dispatcher_b: Answer, path=None, method="get", leaks=None, form=None) -> Row:
    return Row(LOGIN, LOGIN, LOGIN, dispatcher_a, dispatcher_b, method=method, path=path, leaks=leaks, form=form)


def admin_model_rows(
    route: str,
    obj: Callable[[World], object] | None,
    *,
    changelist: tuple[Answer, Answer],
    add: tuple[Answer, Answer],
    change: tuple[Answer, Answer],
    history: tuple[Answer, Answer] | None = None,
    delete: tuple[Answer, Answer],
) -> dict[str, Row]:
    """The six routes of one ModelAdmin, each answer a pair (dispatcher of A, dispatcher of B on A's object).

    ``obj`` gives carrier A's object; ``None`` for an operators-only model (a missing id is used: Django checks
    the permission before it looks for the object, except on the history page, which says "not found").
    """
    if obj is None:
        history = history or (HIDDEN, HIDDEN)

        def object_path(suffix: str) -> Callable[[World], str]:
            return lambda world: f"/{route}0/{suffix}"

    else:
        history = history or change

        def object_path(suffix: str) -> Callable[[World], str]:
            return lambda world: f"/{route}{obj(world).pk}/{suffix}"

    return {
        route: admin_page(*changelist),
        f"{route}add/": admin_page(*add),
        f"{route}<path:object_id>/history/": admin_page(*history, path=object_path("history/")),
        f"{route}<path:object_id>/delete/": admin_page(*delete, path=object_path("delete/")),
        f"{route}<path:object_id>/change/": admin_page(*change, path=object_path("change/")),
        # Django redirects the bare object URL to its change page (for anyone who may enter the admin).
        f"{route}<path:object_id>/": admin_page(302, 302, path=object_path("")),
    }


NO_ENTRY = (403, 403)  # a dispatcher may not use this admin at all
VIEW_OWN = (200, HIDDEN)  # a dispatcher sees their own carrier's object; another carrier's is "not found"

# fmt: off
MATRIX: dict[str, Row] = {
    # --- operations ---
    "health/live": Row(200, 200, 200, 200, 200),
    "health/ready": Row(200, 200, 200, 200, 200),
    # Off without METRICS_TOKEN (as here); with it, only that bearer token (tests/api/test_metrics.py): no role.
    "metrics": Row(404, 404, 404, 404, 404),
    "i18n/setlang/": Row(302, 302, 302, 302, 302, method="post", body={"language": "ru"}),
    "": Row(302, 302, 302, 302, 302),  # the site root leads to the workplace
    "favicon.ico": Row(301, 301, 301, 301, 301),  # the browser's icon request leads to a static file
    "^api/": Row(404, 404, 404, 404, 404, path="/api/v1/no-such-endpoint"),  # unrouted under /api/: a 404
    # --- driver API: sign-in and profile (AllowAny endpoints answer everyone alike) ---
    "api/v1/auth/otp": Row(202, 202, 202, 202, 202, method="post", body={"phone": "+77019990001"}),
    "api/v1/auth/token": Row(400, 400, 400, 400, 400, method="post",
                             body={"phone": "+77019990001", "code": "000000", "device": "x"}),
    "api/v1/auth/logout": Row(401, 204, 204, 401, 401, method="post"),
    "api/v1/me": Row(401, 200, 200, 401, 401),
    "api/v1/me/devices": Row(401, 200, 200, 401, 401, leaks=lambda w: ["a-phone"]),
    "api/v1/me/devices/<int:device_id>": Row(401, 204, 404, 401, 401, method="delete",
                                             path=lambda w: f"/api/v1/me/devices/{w.objects['device_a'].pk}"),
    "api/v1/me/carrier": Row(401, 400, 400, 401, 401, method="post", body={"invite_code": "NOSUCHCODE"}),
    "api/v1/schema": Row(200, 200, 200, 200, 200),
    "api/v1/docs": Row(200, 200, 200, 200, 200),
    # --- driver API: crossings, reports, visits ---
    "api/v1/crossings": Row(401, 200, 200, 401, 401),
    "api/v1/crossings/<slug:slug>": Row(401, 200, 200, 401, 401, path=lambda w: f"/api/v1/crossings/{w.slug}"),
    "api/v1/crossings/<slug:slug>/forecast": Row(401, (200, 404), (200, 404), 401, 401,
                                                 path=lambda w: f"/api/v1/crossings/{w.slug}/forecast?direction=KZ-RU"),
    "api/v1/routes": Row(401, 200, 200, 401, 401, path="/api/v1/routes?direction=KZ-RU&lat=51&lon=51"),
    "api/v1/reports": Row(401, 200, 200, 401, 401, method="post", body={"reports": []}),
    "api/v1/visits": Row(401, 200, 200, 401, 401, leaks=lambda w: [w.objects["visit_marker"]]),
    # --- driver API: stays ---
    "api/v1/stays": Row(401, 200, 200, 401, 401),
    "api/v1/stays/events": Row(401, 200, 200, 401, 401, leaks=lambda w: [str(w.objects["stay_event"].pk)]),
    "api/v1/stays/events/<uuid:event_id>": Row(401, 204, 404, 401, 401, method="delete",
                                               path=lambda w: f"/api/v1/stays/events/{w.objects['stay_event'].pk}"),
    "api/v1/stays/plan": Row(401, 200, 200, 401, 401, path="/api/v1/stays/plan?country=RU&entry=2026-12-01&days=10"),
    "api/v1/stays/record": Row(401, 200, 200, 401, 401, path="/api/v1/stays/record?country=RU",
                               leaks=lambda w: [str(w.objects["stay_event"].pk)]),
    # --- driver API: notifications ---
    "api/v1/notifications": Row(401, 200, 200, 401, 401, leaks=lambda w: [w.objects["notification_a"].title]),
    "api/v1/notifications/<int:notification_id>/read": Row(
        401, (200, 204), 404, 401, 401, method="post",
        path=lambda w: f"/api/v1/notifications/{w.objects['notification_a'].pk}/read"),
    # --- partner API: an X-API-Key only; no driver token or admin session opens it ---
    "api/partner/v1/openapi.json": Row(200, 200, 200, 200, 200),
    "api/partner/v1/docs": Row(200, 200, 200, 200, 200),
    "api/partner/v1/crossings": Row(401, 401, 401, 401, 401),
    "api/partner/v1/crossings/<slug>/estimate": Row(401, 401, 401, 401, 401, path=lambda w: w.partner("estimate")),
    "api/partner/v1/crossings/<slug>/history": Row(401, 401, 401, 401, 401, path=lambda w: w.partner("history")),
    "api/partner/v1/crossings/<slug>/accuracy": Row(401, 401, 401, 401, 401, path=lambda w: w.partner("accuracy")),
    "api/partner/v1/crossings/<slug>/forecast": Row(401, 401, 401, 401, 401, path=lambda w: w.partner("forecast")),
    "api/partner/v1/routes": Row(401, 401, 401, 401, 401, path="/api/partner/v1/routes?direction=KZ-RU&lat=51&lon=51"),
    "api/partner/v1/alerts": Row(401, 401, 401, 401, 401),
    "api/partner/v1/alerts/<alert_id>": Row(401, 401, 401, 401, 401, method="delete",
                                            path="/api/partner/v1/alerts/00000000-0000-0000-0000-000000000000"),
    "api/partner/v1/": Row(404, 404, 404, 404, 404),
    # --- admin: the site itself ---
    "admin/": admin_page(200, 200),
    "admin/login/": Row(200, 200, 200, 302, 302),
    "admin/logout/": Row(302, 302, 302, 200, 200, method="post"),
    "admin/password_change/": admin_page(200, 200),
    "admin/password_change/done/": admin_page(200, 200),
    "admin/autocomplete/": admin_page(403, 403),
    "admin/jsi18n/": admin_page(200, 200),
    "admin/r/<path:content_type_id>/<path:object_id>/": admin_page(404, 404, path=lambda w: w.objects["view_on_site"]),
    "admin/<app_list>": admin_page(200, 200, path="/admin/carriers/"),
    "admin/<catch_all>": admin_page(404, 404, path="/admin/no-such-page/"),
    # --- admin: users, groups and third-party models are for operators only ---
    **admin_model_rows("admin/auth/user/", lambda w: w.dispatcher_a.user,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    "admin/auth/user/<id>/password/": admin_page(403, 403, path=lambda w: f"/admin/auth/user/{w.user_a}/password/"),
    **admin_model_rows("admin/auth/group/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/knox/authtoken/", lambda w: w.objects["token_a"],
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/rest_framework_api_key/apikey/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    # Admin sign-in lock-outs: operators only (they unlock by deleting an attempt).
    **admin_model_rows("admin/axes/accessattempt/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/axes/accessfailurelog/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/axes/accesslog/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    # --- admin: carriers app ---
    **admin_model_rows("admin/carriers/carrier/", lambda w: w.carrier_a,
                       changelist=(200, 200), add=NO_ENTRY, change=VIEW_OWN, delete=NO_ENTRY),
    **admin_model_rows("admin/carriers/driver/", lambda w: w.driver_a,
                       changelist=(200, 200), add=NO_ENTRY, change=VIEW_OWN, delete=NO_ENTRY),
    # The driver page's stay record (PDF): the dispatcher's own drivers only.
    "admin/carriers/driver/<path:object_id>/stay-record/": admin_page(
        200, HIDDEN, path=lambda w: f"/admin/carriers/driver/{w.driver_a.pk}/stay-record/?country=RU"),
    **admin_model_rows("admin/carriers/notification/", lambda w: w.objects["dispatch_notice_a"],
                       changelist=(200, 200), add=NO_ENTRY, change=VIEW_OWN, delete=NO_ENTRY),
    **admin_model_rows("admin/carriers/dispatcher/", lambda w: w.dispatcher_a,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/carriers/device/", lambda w: w.objects["device_a"],
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    # --- admin: queues app (crossings and partner tools for operators; reports and visits per carrier) ---
    **admin_model_rows("admin/queues/crossing/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/queues/report/", lambda w: w.objects["report_a"],
                       changelist=(200, 200), add=NO_ENTRY, change=VIEW_OWN, delete=NO_ENTRY),
    **admin_model_rows("admin/queues/visit/", lambda w: w.objects["visit_a"],
                       changelist=(200, 200), add=NO_ENTRY, change=VIEW_OWN, delete=NO_ENTRY),
    **admin_model_rows("admin/queues/partnerkey/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/queues/alertsubscription/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/queues/alertdelivery/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    # --- admin: stays app (rules and snapshots for operators; events, checks, regimes per carrier) ---
    **admin_model_rows("admin/stays/stayrule/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/stays/staystatussnapshot/", None,
                       changelist=NO_ENTRY, add=NO_ENTRY, change=NO_ENTRY, delete=NO_ENTRY),
    **admin_model_rows("admin/stays/stayevent/", lambda w: w.objects["stay_event"],
                       changelist=(200, 200), add=(200, 200), change=VIEW_OWN, delete=NO_ENTRY),
    **admin_model_rows("admin/stays/registrycheck/", lambda w: w.objects["registry_check_a"],
                       changelist=(200, 200), add=(200, 200), change=VIEW_OWN, delete=NO_ENTRY),
    **admin_model_rows("admin/stays/driverregime/", lambda w: w.objects["regime_a"],
                       changelist=(200, 200), add=(200, 200), change=VIEW_OWN, delete=NO_ENTRY),
    # --- admin: the dispatchers' workplace pages ---
    "admin/apps/": admin_page(200, 200),
    "admin/workplace/crossings/": admin_page(200, 200),
    "admin/workplace/planner/": admin_page(200, 200),
    "admin/workplace/alerts/": admin_page(200, 200, leaks=lambda w: [w.objects["dispatch_notice_a"].title]),
    "admin/workplace/alerts/read/": admin_page(302, 404, method="post",
                                               form=lambda w: {"notification": w.objects["dispatch_notice_a"].pk}),
    "admin/workplace/language/": admin_page(302, 302, method="post"),
}
# fmt: on


# --- Walking the resolver ---------------------------------------------------------------------------
def route_key(route: str, pattern: URLPattern) -> str:
    """The resolver's route text, with the admin's generated regexes named (their text changes as apps register)."""
    if route.startswith("admin/") and pattern.name == "app_list":
        return "admin/<app_list>"
    if route.startswith("admin/") and "(?P<url>.*)$" in route:
        return "admin/<catch_all>"
    return route


def walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield route_key(prefix + str(entry.pattern), entry), entry


def project_routes() -> list[str]:
    return sorted({key for key, _pattern in walk(get_resolver().url_patterns)})


def test_every_url_has_a_matrix_entry():
    missing = [route for route in project_routes() if route not in MATRIX]

    assert not missing, "Add a MATRIX entry (who may reach it) for: " + ", ".join(missing)


def test_routes_with_parameters_name_a_concrete_path():
    lacking = [route for route, row in MATRIX.items() if ("<" in route or "(" in route) and row.path is None]

    assert not lacking


# --- The world --------------------------------------------------------------------------------------
@pytest.fixture
def world(db) -> World:
    from django.contrib.contenttypes.models import ContentType
    from knox.models import AuthToken

    from queues.models import Crossing, Queue, Report, Visit
    from stays.models import DriverRegime, RegistryCheck, StayEvent

    carrier_a = CarrierFactory(name="Alpha Freight")
    carrier_b = CarrierFactory(name="Beta Logistics")
    driver_a = DriverFactory(carrier=carrier_a, phone="+77011230001", name="Alpha-Driver-Zq")
    driver_b = DriverFactory(carrier=carrier_b, phone="+77011230002", name="Beta-Driver-Zq")
    dispatcher_a = DispatcherFactory(carrier=carrier_a, user__username="disp-a", user__is_staff=True)
    dispatcher_b = DispatcherFactory(carrier=carrier_b, user__username="disp-b", user__is_staff=True)
    world = World(carrier_a, carrier_b, driver_a, driver_b, dispatcher_a, dispatcher_b)
    queue = Queue.objects.select_related("crossing").first()
    joined_at = timezone.now().replace(microsecond=0) - timedelta(hours=3, minutes=17, seconds=41)
    visit_a = Visit.objects.create(driver=driver_a, queue=queue, joined_at=joined_at, last_report_at=joined_at)
    world.objects.update(
        slug=Crossing.objects.order_by("slug").values_list("slug", flat=True).first(),
        visit_marker=joined_at.strftime("%H:%M:%S"),
        visit_a=visit_a,
        report_a=Report.objects.create(
            driver=driver_a,
            queue=queue,
            visit=visit_a,
            kind="joined",
            observed_at=joined_at,
            received_at=joined_at,
            content_hash="0" * 64,
        ),
        registry_check_a=RegistryCheck.objects.create(
            driver=driver_a, carrier=driver_a.carrier, status="clear", checked_on=timezone.now().date()
        ),
        regime_a=DriverRegime.objects.create(driver=driver_a, carrier=driver_a.carrier, regime="standard"),
        stay_event=StayEvent.objects.create(
            driver=driver_a,
            country="RU",
            kind="entry",
            date=timezone.now().date() - timedelta(days=12),
            source="driver",
        ),
        notification_a=Notification.objects.create(
            audience="driver", driver=driver_a, kind="stay_risk", title="Alpha-only notice", dedupe_key="matrix-a"
        ),
        dispatch_notice_a=Notification.objects.create(
            audience="dispatcher",
            carrier=carrier_a,
            kind="stay_risk",
            title="Alpha fleet notice",
            dedupe_key="matrix-fleet-a",
        ),
    )
    world.objects["tokens"] = {"driver_a": token_for(driver_a, "a-phone"), "driver_b": token_for(driver_b, "b-phone")}
    token_instance = AuthToken.objects.filter(user=driver_a.user).first()
    world.objects["token_a"] = token_instance
    world.objects["device_a"] = token_instance.device
    world.objects["view_on_site"] = f"/admin/r/{ContentType.objects.get_for_model(carrier_a).pk}/{carrier_a.pk}/"
    return world


def client_for(role: str, world: World) -> Client:
    client = Client()
    if role in ("driver_a", "driver_b"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world.objects['tokens'][role]}"
    elif role == "dispatcher_a":
        client.force_login(world.dispatcher_a.user)
    elif role == "dispatcher_b":
        client.force_login(world.dispatcher_b.user)
    return client


def answer_matches(expected: Answer, response) -> bool:
    location = response.get("Location", "")
    if expected == LOGIN:
        return response.status_code == 302 and location.startswith("/admin/login/")
    if expected == HIDDEN:
        return response.status_code == 404 or (response.status_code == 302 and location == "/admin/")
    if isinstance(expected, tuple):
        return response.status_code in expected
    return response.status_code == expected


def call(client: Client, row: Row, url: str, world: World):
    method = getattr(client, row.method)
    if row.body is not None:
        return method(url, data=json.dumps(row.body), content_type="application/json")
    if row.form is not None:
        return method(url, data=row.form(world))
    return method(url)


@pytest.mark.parametrize("route", sorted(set(MATRIX) & set(project_routes())))  # entries ahead of their URL wait
def test_tenancy_matrix(route, world):
    row = MATRIX[route]
    path = row.path(world) if callable(row.path) else (row.path or "/" + route)
    if re.search(r"[<(]", path):
        pytest.fail(f"{route}: give the row a concrete path")
    cache.clear()  # throttle counters
    secrets = world.secrets_of_a() + (row.leaks(world) if row.leaks else [])
    failures = []
    for role in ROLES:
        expected = getattr(row, role)
        response = call(client_for(role, world), row, path, world)
        if not answer_matches(expected, response):
            failures.append(f"{role}: expected {expected}, got {response.status_code} {response.get('Location', '')}")
        if role in ("anonymous", "driver_b", "dispatcher_b") and response.status_code < 300:
            body = response.content.decode("utf-8", errors="replace")
            leaked = [secret for secret in secrets if secret and secret in body]
            if leaked:
                failures.append(f"{role}: response shows carrier A's data {leaked}")
    assert not failures, f"{row.method.upper()} {path}: " + "; ".join(failures)
