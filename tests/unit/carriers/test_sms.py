"""SMS backends: the message text carries the code as its only run of 4 to 8 digits."""

import re

import pytest

from carriers import sms
from carriers.sms import FileSmsBackend, LocmemSmsBackend, otp_message_text, sms_backend_get

DIGIT_RUNS = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


@pytest.mark.parametrize("language", ["en", "ru", "kk", None])
def test_message_holds_the_code_as_its_only_long_digit_run(language):
    text = otp_message_text(code="042917", ttl_seconds=300, language=language)

    assert DIGIT_RUNS.findall(text) == ["042917"]


def test_message_with_a_long_ttl_still_has_one_digit_run():
    text = otp_message_text(code="555123", ttl_seconds=10**7, language="en")

    assert DIGIT_RUNS.findall(text) == ["555123"]


def test_file_backend_writes_one_file_per_message_without_the_phone_in_the_text(tmp_path):
    backend = FileSmsBackend(directory=tmp_path / "sms")

    backend.send(phone="+77011234567", text=otp_message_text(code="918273", ttl_seconds=300, language="ru"))
    backend.send(phone="+77011234567", text=otp_message_text(code="102938", ttl_seconds=300, language="ru"))

    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    assert all("77011234567" in path.name for path in files)
    texts = [path.read_text(encoding="utf-8") for path in files]
    assert sorted(DIGIT_RUNS.findall(text)[0] for text in texts) == ["102938", "918273"]
    assert all(len(DIGIT_RUNS.findall(text)) == 1 for text in texts)


def test_file_backend_uses_the_configured_folder(tmp_path, settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path)

    sms_backend_get().send(phone="+77011234567", text="code 123456")

    assert [path.read_text(encoding="utf-8") for path in tmp_path.iterdir()] == ["code 123456\n"]


def test_locmem_backend_appends_to_the_outbox():
    sms.outbox.clear()

    LocmemSmsBackend().send(phone="+77011234567", text="code 123456")

    assert sms.outbox == [sms.SmsMessage(phone="+77011234567", text="code 123456")]


def test_console_backend_prints_the_message(capsys, settings):
    settings.SMS_BACKEND = "console"

    sms_backend_get().send(phone="+77011234567", text="code 654321")

    assert "code 654321" in capsys.readouterr().out


def test_backend_can_be_a_dotted_path(settings):
    settings.SMS_BACKEND = "carriers.sms.LocmemSmsBackend"

    assert isinstance(sms_backend_get(), LocmemSmsBackend)
