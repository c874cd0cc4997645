"""SMS backends for sign-in codes, chosen by ``settings.SMS_BACKEND``.

``console`` (logs the message), ``file`` (one file per message under ``SMS_FILE_PATH``), ``locmem`` (appends to
:data:`outbox`, for tests), or the dotted path of a class with ``send(*, phone, text)``. The message text is in
the driver's language and its only run of 4 to 8 digits is the code: the phone number never appears in it raw.
"""

from __future__ import annotations

import logging
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from carriers.domain import phone_mask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


outbox: list[SmsMessage] = []


class SmsBackend:
    """Base of every SMS backend: ``send`` delivers ``text`` to ``phone`` (E.164) or raises."""

    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development: prints the message to standard output and logs that it was sent (never the text)."""

    def send(self, *, phone: str, text: str) -> None:
        sys.stdout.write(f"SMS to {phone}: {text}\n")
        sys.stdout.flush()
        logger.info("sms sent", extra={"phone": phone_mask(phone)})


class FileSmsBackend(SmsBackend):
    """One file per message in ``settings.SMS_FILE_PATH``; the phone is in the file name, not in the text."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def send(self, *, phone: str, text: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}_{phone.lstrip('+')}_{uuid.uuid4().hex[:8]}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        return path


class LocmemSmsBackend(SmsBackend):
    """Tests: appends to :data:`carriers.sms.outbox`."""

    def send(self, *, phone: str, text: str) -> None:
        outbox.append(SmsMessage(phone=phone, text=text))


BACKENDS = {"console": ConsoleSmsBackend, "file": FileSmsBackend, "locmem": LocmemSmsBackend}


def sms_backend_get(name: str | None = None) -> SmsBackend:
    """The configured backend (``settings.SMS_BACKEND``): a short name or a dotted path to a class."""
    name = name or settings.SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()


def otp_message_text(*, code: str, ttl_seconds: int, language: str | None) -> str:
    """The sign-in SMS in ``language`` (the driver's, when known)."""
    minutes = max(1, round(ttl_seconds / 60))
    with translation.override(language or settings.LANGUAGE_CODE):
        # The minutes are spelt out only as a number under 4 digits, so the code stays the only 4–8 digit run.
        return _("Kezek sign-in code: %(code)s. Valid for %(minutes)d min. Do not share it.") % {
            "code": code,
            "minutes": min(minutes, 999),
        }


def otp_sms_send(*, phone: str, code: str, ttl_seconds: int, language: str | None) -> None:
    """Sends the sign-in code through the configured backend."""
    sms_backend_get().send(phone=phone, text=otp_message_text(code=code, ttl_seconds=ttl_seconds, language=language))
