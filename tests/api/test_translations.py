"""Kezek in Russian and Kazakh: API errors, the sign-in SMS, stay notifications, the dispatchers' workplace, and
the shipped catalogues themselves (complete, not fuzzy, placeholders kept, compiled .mo in step with the .po).

English stays the default; the English texts are held by each area's own tests.
"""

from __future__ import annotations

import ast
import gettext
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from carriers import sms
from carriers.models import Notification
from stays import tasks
from stays.models import StayEvent, StayStatusSnapshot
from tests.factories import DriverFactory
from tests.support.reports import report
from tests.support.signin import ME_URL, OTP_URL, set_rates
from tests.support.workplace import snapshot

LOCALE = Path(settings.BASE_DIR) / "locale"
PLURAL_FORMS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "kk": "nplurals=2; plural=(n != 1);",
}


# --- API errors ---------------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("ru", "Учётные данные не предоставлены или недействительны."),
        ("kk", "Тіркелгі деректері берілмеген немесе жарамсыз."),
    ],
)
def test_a_401_explains_itself_in_the_requested_language(api_client, language, detail):
    response = api_client.get(ME_URL, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 401
    assert response.json() == {"status": 401, "code": "not_authenticated", "detail": detail}


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "detail"), [("ru", "Не найдено."), ("kk", "Табылмады.")])
def test_a_404_explains_itself_in_the_requested_language(api_client, language, detail):
    response = api_client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert response.json()["detail"] == detail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail", "phone_message"),
    [
        (
            "ru",
            "В запросе есть неверные поля.",
            "Введите номер телефона в международном формате, например +77011234567.",
        ),
        (
            "kk",
            "Сұрауда қате өрістер бар.",
            "Телефон нөмірін халықаралық форматта енгізіңіз, мысалы +77011234567.",
        ),
    ],
)
def test_a_validation_error_names_the_field_in_the_requested_language(
    api_client, outbox, language, detail, phone_message
):
    response = api_client.post(OTP_URL, {"phone": "12"}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["detail"]) == ("validation_error", detail)
    assert body["errors"] == {"phone": [phone_message]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [("ru", "Отправьте объект со списком сообщений."), ("kk", "Хабарламалар тізімі бар нысанды жіберіңіз.")],
)
def test_a_report_batch_of_the_wrong_shape_is_refused_in_the_requested_language(driver_client, language, message):
    response = driver_client.post("/api/v1/reports", [report()], format="json", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert response.json()["errors"] == {"reports": [message]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Допустимые значения: joined, position, crossed, left."),
        ("kk", "Мына мәндердің бірі болуы керек: joined, position, crossed, left."),
    ],
)
def test_a_rejected_report_carries_its_reason_in_the_requested_language(driver_client, language, message):
    response = driver_client.post(
        "/api/v1/reports", {"reports": [report(kind="teleported")]}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    result = response.json()["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"]["kind"] == [message]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "template"),
    [
        ("ru", "Слишком много запросов. Повторите через {seconds} с."),
        ("kk", "Сұраулар тым көп. {seconds} секундтан кейін қайталап көріңіз."),
    ],
)
def test_a_429_says_when_to_retry_in_the_requested_language(api_client, outbox, settings, language, template):
    set_rates(settings, otp_ip="1/hour")
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    response = api_client.post(OTP_URL, {"phone": "+77012223345"}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 429
    assert response.json()["detail"] == template.format(seconds=int(response["Retry-After"]))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("ru", "Передайте действующий API-ключ в заголовке X-API-Key."),
        ("kk", "X-API-Key тақырыбында жарамды API кілтін жіберіңіз."),
    ],
)
def test_the_partner_api_answers_in_the_requested_language_too(language, detail):
    response = Client().get("/api/partner/v1/crossings", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 401
    assert response.json()["detail"] == detail


# --- the sign-in SMS ----------------------------------------------------------------------------------------------
def sms_text_to(phone: str) -> str:
    return [message.text for message in sms.outbox if message.phone == phone][-1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "pattern"),
    [
        ("ru", r"Код входа в Kezek: \d{6}\. Действует \d+ мин\. Никому его не сообщайте\."),
        ("kk", r"Kezek-ке кіру коды: \d{6}\. \d+ мин жарамды\. Оны ешкімге айтпаңыз\."),
    ],
)
def test_a_new_phone_gets_the_code_in_the_apps_language(api_client, outbox, language, pattern):
    api_client.post(OTP_URL, {"phone": "+77015550001"}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    text = sms_text_to("+77015550001")
    assert re.fullmatch(pattern, text), text
    assert len(re.findall(r"\d{4,8}", text)) == 1  # the code is the only run of 4 to 8 digits


@pytest.mark.django_db
def test_a_known_driver_gets_the_code_in_their_own_language(api_client, outbox):
    DriverFactory(phone="+77015550002", language="kk")

    api_client.post(OTP_URL, {"phone": "+77015550002"}, format="json", HTTP_ACCEPT_LANGUAGE="ru")

    assert sms_text_to("+77015550002").startswith("Kezek-ке кіру коды: ")


# --- stay notifications -------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "body_end"),
    [
        ("ru", "Россия: осталось 10 дн.", "чтобы не превысить лимит."),
        ("kk", "Ресей: 10 күн қалды", "дейін шығыңыз."),
    ],
)
def test_a_stay_notification_is_written_in_the_drivers_language(
    driver, dispatcher, django_capture_on_commit_callbacks, language, title, body_end
):
    driver.language = language
    driver.save()
    dispatcher.language = "kk"
    dispatcher.save()
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 1, 1), source="driver")

    with time_machine.travel("2025-03-21T02:00:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        tasks.daily_check.delay()

    assert StayStatusSnapshot.objects.get(driver=driver).days_left == 10
    to_driver = Notification.objects.get(audience="driver", driver=driver)
    assert to_driver.title == title
    assert to_driver.body.endswith(body_end)
    to_dispatcher = Notification.objects.get(audience="dispatcher", carrier=driver.carrier)
    assert to_dispatcher.title == f"{driver}: Ресей — 10 күн қалды"  # the dispatcher's language, not the driver's


# --- the dispatchers' workplace -----------------------------------------------------------------------------------
def dispatcher_browser(dispatcher, language: str) -> Client:
    dispatcher.language = language
    dispatcher.save()
    browser = Client()
    browser.force_login(dispatcher.user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "workplace", "django_admin"),
    [
        (
            "ru",
            ["Риски автопарка", "Пункты пропуска", "Оповещения", "Осталось дней в России", "Подходит 1 водитель."],
            ["К основному", "Выйти"],
        ),
        (
            "kk",
            [
                "Автопарк тәуекелдері",
                "Өткізу пункттері",
                "Ескертулер",
                "Ресейде қалған күндер",
                "1 жүргізуші сәйкес келеді.",
            ],
            ["Негізгі мазмұнға өту", "Шығу"],  # "Skip to main content" is missing from Django's kk catalogue
        ),
    ],
)
def test_the_fleet_risk_board_speaks_the_dispatchers_language(dispatcher, carrier, language, workplace, django_admin):
    driver = DriverFactory(carrier=carrier, name="Aigerim")
    snapshot(driver, "high", days_left=5)

    html = dispatcher_browser(dispatcher, language).get("/admin/").content.decode()

    assert f'lang="{language}"' in html
    for text in workplace + django_admin:
        assert text in html, text
    assert "Fleet risk board" not in html


@pytest.mark.django_db
def test_the_crossings_dashboard_and_alerts_inbox_are_in_kazakh(dispatcher):
    browser = dispatcher_browser(dispatcher, "kk")

    crossings = browser.get("/admin/workplace/crossings/").content.decode()
    alerts = browser.get("/admin/workplace/alerts/").content.decode()

    assert "Барлық өткізу пункттері" in crossings
    assert "Қазір 42 кезек үшін бағалау жоқ:" in crossings
    assert "Ескертулер жоқ." in alerts


@pytest.mark.django_db
def test_the_driver_list_uses_the_completed_kazakh_admin_strings(dispatcher, carrier):
    DriverFactory(carrier=carrier, name="Aigerim")

    html = dispatcher_browser(dispatcher, "kk").get("/admin/carriers/driver/").content.decode()

    assert "Өзгерту үшін жүргізуші таңдаңыз" in html  # "Select %s to change", garbled in Django's kk catalogue
    assert "1 ішінен 0 таңдалды" in html  # "0 of %(cnt)s selected", garbled in Django's kk catalogue
    assert "Орындау" in html  # "Go"


@pytest.mark.django_db
def test_the_admin_calendar_and_selection_counter_are_in_kazakh(dispatcher):
    script = dispatcher_browser(dispatcher, "kk").get("/admin/jsi18n/").content.decode()  # strings JSON-escaped

    assert f'"January": {json.dumps("Қаңтар")}' in script
    assert json.dumps("%(cnt)s ішінен %(sel)s таңдалды") in script  # "%(sel)s of %(cnt)s selected"


# --- the catalogues -----------------------------------------------------------------------------------------------
def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list of forms), flags, obsolete."""
    entries: list[dict] = []
    entry: dict = {}
    key = None

    def close() -> None:
        if "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):
            entry.setdefault("obsolete", True)
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                close()
                entry, key = {}, None
            entry.setdefault("flags", set()).update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            name, index, text = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if name in ("msgctxt", "msgid") and ("msgid" in entry and (name == "msgctxt" or "msgstr" in entry)):
                close()
                entry = {}
            if name.startswith("msgstr"):
                forms = entry.setdefault("msgstr", [])
                forms.append(text)
                key = ("msgstr", int(index or 0))
            else:
                entry[name] = text
                key = (name, None)
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += text
            else:
                entry[key[0]] += text
    close()
    return entries


def catalogue(language: str, domain: str = "django") -> tuple[dict, list[dict]]:
    entries = parse_po(LOCALE / language / "LC_MESSAGES" / f"{domain}.po")
    header = next(entry for entry in entries if entry["msgid"] == "")
    meta = dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)
    return meta, [entry for entry in entries if entry["msgid"] != ""]


PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sdrif]|%[sdrif]|\{\w*\}")


CATALOGUES = [("ru", "django"), ("kk", "django"), ("kk", "djangojs")]


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_msgid_has_a_translation_and_none_is_fuzzy(language, domain):
    meta, entries = catalogue(language, domain)
    nplurals = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[language]).group(1))

    assert meta["Language"] == language
    assert meta["Plural-Forms"] == PLURAL_FORMS[language]
    assert len(entries) > (500 if domain == "django" else 70)
    for entry in entries:
        assert not entry.get("obsolete"), entry["msgid"]
        assert "fuzzy" not in entry.get("flags", set()), entry["msgid"]
        expected_forms = nplurals if "msgid_plural" in entry else 1
        assert len(entry["msgstr"]) == expected_forms, entry["msgid"]
        assert all(form.strip() for form in entry["msgstr"]), entry["msgid"]


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_translations_keep_every_placeholder(language, domain):
    _, entries = catalogue(language, domain)

    for entry in entries:
        source = Counter(PLACEHOLDER.findall(entry.get("msgid_plural", entry["msgid"])))
        for form in entry["msgstr"]:
            assert Counter(PLACEHOLDER.findall(form)) == source, (entry["msgid"], form)


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(language, domain):
    _, entries = catalogue(language, domain)
    with (LOCALE / language / "LC_MESSAGES" / f"{domain}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog

    for entry in entries:
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            assert [compiled.get((msgid, index)) for index in range(len(entry["msgstr"]))] == entry["msgstr"]
        else:
            assert compiled.get(msgid) == entry["msgstr"][0], msgid


def test_the_kazakh_catalogue_completes_what_django_leaves_out():
    _, entries = catalogue("kk")
    translated = {entry["msgid"]: entry["msgstr"] for entry in entries}

    assert translated["Show counts"] == ["Сандарды көрсету"]
    assert translated["Clear all filters"] == ["Барлық сүзгілерді тазалау"]
    assert translated["0 of %(cnt)s selected"] == ["%(cnt)s ішінен 0 таңдалды"]
    assert translated["Please correct the error below."] == [
        "Төмендегі қатені түзетіңіз.",
        "Төмендегі қателерді түзетіңіз.",
    ]
    assert translated["%(num)d minute"] == ["%(num)d минут", "%(num)d минут"]
    assert translated["Russia"] == ["Ресей"]
