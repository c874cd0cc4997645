"""The dispatchers' admin: a dispatcher sees and changes only their own carrier; operators see everything."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from carriers.admin import DriverAdmin as CarrierDriverAdmin
from carriers.models import Carrier, Driver, Notification
from tests.factories import DispatcherFactory, DriverFactory
from workplace.admin import DriverAdmin

pytestmark = pytest.mark.django_db

DRIVERS = "/admin/carriers/driver/"
CARRIERS = "/admin/carriers/carrier/"


@pytest.fixture
def dispatcher_client(client, dispatcher):
    client.force_login(dispatcher.user)
    return client


@pytest.fixture
def superuser_client():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-1")
    client = Client()
    client.force_login(user)
    return client


def change_url(obj) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def action(client, url, name, *pks, **extra):
    data = {"action": name, "_selected_action": [str(pk) for pk in pks], "index": "0", **extra}
    return client.post(url, data)


# --- Drivers ----------------------------------------------------------------------------------------
def test_dispatcher_sees_only_their_carriers_drivers(dispatcher_client, driver, other_driver):
    response = dispatcher_client.get(DRIVERS)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Aidos" in content
    assert "Serik" not in content
    assert "+77017654321" not in content
    assert list(response.context["cl"].result_list) == [driver]


@pytest.mark.parametrize("query", ["Serik", "+77017654321", "7654321"])
def test_dispatcher_search_never_finds_another_carriers_driver(dispatcher_client, driver, other_driver, query):
    response = dispatcher_client.get(DRIVERS, {"q": query})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("query", ["Aidos", "+77011234567", "1234567", "KZ777"])
def test_dispatcher_finds_own_drivers_by_name_phone_or_plate(dispatcher_client, driver, query):
    driver.vehicle_plate = "KZ777ABC"
    driver.save()

    response = dispatcher_client.get(DRIVERS, {"q": query})

    assert list(response.context["cl"].result_list) == [driver]


def test_another_carriers_driver_by_url_is_not_found(dispatcher_client, other_driver):
    response = dispatcher_client.get(change_url(other_driver))

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
    followed = dispatcher_client.get(change_url(other_driver), follow=True)
    assert "+77017654321" not in followed.content.decode()
    assert "Serik" not in followed.content.decode()


@pytest.mark.parametrize("suffix", ["history/", "delete/"])
def test_another_carriers_driver_history_and_delete_are_not_found(dispatcher_client, other_driver, suffix):
    response = dispatcher_client.get(f"{DRIVERS}{other_driver.pk}/{suffix}", follow=True)

    assert "Serik" not in response.content.decode()
    assert Driver.objects.filter(pk=other_driver.pk).exists()


def inline_management_data(response) -> dict:
    """The management forms of every inline on a change page (whatever inlines other apps add)."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{inline.formset.prefix}-{name}"] = management.initial.get(name, 0)
    return data


def test_dispatcher_can_edit_their_driver_but_not_move_them_to_another_carrier(
    dispatcher_client, driver, carrier, other_carrier
):
    page = dispatcher_client.get(change_url(driver))

    response = dispatcher_client.post(
        change_url(driver),
        {
            "name": "Aidos B.",
            "citizenship": "KZ",
            "language": "ru",
            "vehicle_plate": "123ABC02",
            "carrier": str(other_carrier.pk),
            "trusted": "",
            **inline_management_data(page),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    driver.refresh_from_db()
    assert driver.name == "Aidos B."
    assert driver.vehicle_plate == "123ABC02"
    assert driver.carrier_id == carrier.pk
    assert driver.trusted is True


def test_dispatcher_cannot_add_or_delete_drivers(dispatcher_client, driver):
    assert dispatcher_client.get(f"{DRIVERS}add/").status_code == 403
    assert dispatcher_client.post(f"{DRIVERS}{driver.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Driver.objects.filter(pk=driver.pk).exists()


def test_dispatcher_does_not_see_other_carriers_in_filters(dispatcher_client, driver, other_carrier):
    response = dispatcher_client.get(DRIVERS)

    assert "Irtysh Logistics" not in response.content.decode()


def test_dispatcher_marks_own_driver_untrusted_but_cannot_touch_anothers(dispatcher_client, driver, other_driver):
    action(dispatcher_client, DRIVERS, "mark_untrusted", driver.pk, other_driver.pk)

    driver.refresh_from_db()
    other_driver.refresh_from_db()
    assert driver.trusted is False
    assert other_driver.trusted is True


def test_only_an_operator_may_mark_a_driver_trusted(dispatcher_client, superuser_client, driver):
    driver.trusted = False
    driver.save()

    action(dispatcher_client, DRIVERS, "mark_trusted", driver.pk)
    driver.refresh_from_db()
    assert driver.trusted is False

    action(superuser_client, DRIVERS, "mark_trusted", driver.pk)
    driver.refresh_from_db()
    assert driver.trusted is True


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_holds_only_own_drivers(dispatcher_client, driver, other_driver, carrier):
    response = action(dispatcher_client, DRIVERS, "export_csv", driver.pk, other_driver.pk)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][:5] == ["name", "phone", "vehicle plate", "citizenship", "carrier"]
    assert [row[:5] for row in rows[1:]] == [["Aidos", "+77011234567", driver.vehicle_plate, "KZ", "Steppe Freight"]]


def test_csv_export_of_all_filtered_drivers_stays_in_the_carrier(dispatcher_client, driver, other_driver, carrier):
    DriverFactory(carrier=carrier, name="Bolat", phone="+77011112233")

    response = action(dispatcher_client, DRIVERS, "export_csv", driver.pk, select_across="1")

    names = sorted(row[0] for row in read_csv(response)[1:])
    assert names == ["Aidos", "Bolat"]


def test_csv_export_neutralises_formulas(dispatcher_client, driver):
    driver.name = "=HYPERLINK(evil)"
    driver.save()

    rows = read_csv(action(dispatcher_client, DRIVERS, "export_csv", driver.pk))

    assert rows[1][0] == "'=HYPERLINK(evil)"
    assert rows[1][1] == "+77011234567"


def test_csv_export_includes_the_stay_columns_when_declared(dispatcher_client, driver, monkeypatch):
    declared = (*CarrierDriverAdmin.csv_columns, ("days left RU", lambda d: 42), "language")
    monkeypatch.setattr(DriverAdmin, "csv_columns", declared)

    rows = read_csv(action(dispatcher_client, DRIVERS, "export_csv", driver.pk))

    assert rows[0][-2:] == ["days left RU", "language"]
    assert rows[1][-2:] == ["42", "ru"]


def test_superuser_sees_every_carriers_drivers(superuser_client, driver, other_driver):
    response = superuser_client.get(DRIVERS)

    assert set(response.context["cl"].result_list) == {driver, other_driver}
    assert superuser_client.get(change_url(other_driver)).status_code == 200


# --- Carriers ---------------------------------------------------------------------------------------
def test_dispatcher_sees_only_their_own_carrier(dispatcher_client, carrier, other_carrier):
    response = dispatcher_client.get(CARRIERS)

    assert list(response.context["cl"].result_list) == [carrier]
    assert other_carrier.invite_code not in response.content.decode()
    assert dispatcher_client.get(change_url(carrier)).status_code == 200
    assert dispatcher_client.get(change_url(other_carrier)).status_code in (302, 404)


def test_dispatcher_rotates_only_their_own_invite_code(dispatcher_client, carrier, other_carrier):
    old_own, old_other = carrier.invite_code, other_carrier.invite_code

    action(dispatcher_client, CARRIERS, "rotate_invite_code", carrier.pk, other_carrier.pk)

    assert Carrier.objects.get(pk=carrier.pk).invite_code != old_own
    assert Carrier.objects.get(pk=other_carrier.pk).invite_code == old_other


def test_dispatcher_cannot_change_the_carrier_itself(dispatcher_client, carrier):
    dispatcher_client.post(change_url(carrier), {"name": "Renamed"})

    assert Carrier.objects.get(pk=carrier.pk).name == "Steppe Freight"


# --- What dispatchers cannot reach -------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/carriers/dispatcher/",
        "/admin/carriers/device/",
        "/admin/knox/authtoken/",
    ],
)
def test_dispatcher_cannot_reach_users_groups_or_operator_tools(dispatcher_client, url):
    assert dispatcher_client.get(url).status_code == 403


def test_dispatcher_cannot_edit_their_own_user_to_become_superuser(dispatcher_client, dispatcher):
    url = f"/admin/auth/user/{dispatcher.user.pk}/change/"

    response = dispatcher_client.post(url, {"username": "dispatcher1", "is_superuser": "on", "is_staff": "on"})

    assert response.status_code == 403
    dispatcher.user.refresh_from_db()
    assert not dispatcher.user.is_superuser


def test_dispatcher_index_lists_only_their_workplace(dispatcher_client):
    content = dispatcher_client.get("/admin/").content.decode()

    assert "/admin/carriers/driver/" in content
    assert "/admin/auth/user/" not in content
    assert "/admin/carriers/dispatcher/" not in content


# --- Notifications ----------------------------------------------------------------------------------
def test_dispatcher_sees_only_their_carriers_notifications(dispatcher_client, carrier, other_carrier):
    own = Notification.objects.create(
        audience="dispatcher", carrier=carrier, kind="stay_risk", title="Own alert", dedupe_key="own"
    )
    Notification.objects.create(
        audience="dispatcher", carrier=other_carrier, kind="stay_risk", title="Rival alert", dedupe_key="rival"
    )

    response = dispatcher_client.get("/admin/carriers/notification/")

    assert list(response.context["cl"].result_list) == [own]
    assert "Rival alert" not in response.content.decode()


# --- Who may enter ----------------------------------------------------------------------------------
def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(DRIVERS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_driver_account_cannot_enter_the_admin(client, driver):
    client.force_login(driver.user)

    response = client.get(DRIVERS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_staff_user_without_a_carrier_sees_no_drivers(client, driver):
    user = get_user_model().objects.create_user("loose", password="loose-pass-1", is_staff=True)
    client.force_login(user)

    assert client.get(DRIVERS).status_code == 403


def test_two_dispatchers_of_one_carrier_see_the_same_fleet(client, carrier, driver, other_driver):
    colleague = DispatcherFactory(carrier=carrier, user__username="colleague")
    client.force_login(colleague.user)

    assert list(client.get(DRIVERS).context["cl"].result_list) == [driver]
