"""Writes for carriers, drivers, dispatchers and sign-in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken
from knox.settings import knox_settings

from carriers import domain, selectors, sms
from carriers.models import (
    Carrier,
    Device,
    Dispatcher,
    Driver,
    Language,
    Notification,
    OneTimeCode,
    generate_invite_code,
)
from core.errors import Conflict, DomainError, NotFound, ValidationFailed

logger = logging.getLogger(__name__)

DRIVER_EDITABLE_FIELDS = frozenset({"name", "citizenship", "language", "vehicle_plate"})


class InvalidCode(DomainError):
    """Wrong, expired, used or exhausted code, or a phone that never asked for one: one answer for all."""

    code = "invalid_code"
    http_status = 400
    default_detail = _("The code is wrong or has expired. Request a new one.")


class InvalidInviteCode(DomainError):
    """No carrier issued this invite code (a field of the request, not a resource of the URL: hence 400)."""

    code = "invalid_invite_code"
    http_status = 400
    default_detail = _("No carrier has this invite code. Check it with your dispatcher.")


class AccountDisabled(DomainError):
    code = "account_disabled"
    http_status = 403
    default_detail = _("This account is disabled.")


class SmsUnavailable(DomainError):
    code = "sms_unavailable"
    http_status = 503
    default_detail = _("The code could not be sent. Try again shortly.")


class OtpTooSoon(DomainError):
    """Another code was sent to this phone too recently (the gap grows with each code; see
    :func:`carriers.domain.otp_resend_wait_seconds`). The codes already sent stay valid."""

    code = "throttled"
    http_status = 429

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            _("A code was sent to this phone moments ago. Use it, or try again in %(seconds)d seconds.")
            % {"seconds": retry_after}
        )


@dataclass(frozen=True)
class OtpRequested:
    phone: str
    expires_at: datetime
    expires_in: int


# --- Sign-in ----------------------------------------------------------------------------------------
def otp_request(*, phone: str, as_of: datetime, language: str | None = None) -> OtpRequested:
    """Issues a 6-digit code for ``phone`` (E.164) and sends it by SMS.

    Codes sent earlier stay valid until they expire, are used or exhaust their tries: whoever asks for a code
    for somebody else's number cannot void the code its owner is typing. Codes to one phone are spaced by a gap
    that doubles with each recent code (capped at ``OTP_RESEND_MAX_SECONDS``); a request inside the gap raises
    :class:`OtpTooSoon` and changes nothing.
    The SMS is in the driver's language when the phone is known, else in ``language`` (the app's), else in the
    default language; the code remembers it, so a driver it creates speaks the language of their first SMS.
    Only an HMAC of the code is stored. Raises :class:`SmsUnavailable` when the SMS backend fails
    (the new code is then withdrawn, so nothing usable is left behind).
    """
    phone = domain.phone_normalize(phone)
    ttl = int(settings.OTP_TTL_SECONDS)
    recent = OneTimeCode.objects.filter(
        phone=phone, created_at__gt=as_of - timedelta(seconds=settings.OTP_RESEND_WINDOW_SECONDS)
    ).values_list("created_at", flat=True)
    wait = domain.otp_resend_wait_seconds(
        issued_at=list(recent),
        as_of=as_of,
        base_seconds=settings.OTP_RESEND_BASE_SECONDS,
        max_seconds=settings.OTP_RESEND_MAX_SECONDS,
    )
    if wait:
        raise OtpTooSoon(retry_after=wait)
    code = domain.otp_code_generate()
    expires_at = as_of + timedelta(seconds=ttl)
    language = (
        Driver.objects.filter(phone=phone).values_list("language", flat=True).first()
        or _language(language)
        or _language(settings.LANGUAGE_CODE)
        or ""
    )
    with transaction.atomic(durable=True):
        otp = OneTimeCode.objects.create(
            phone=phone,
            code_hash=domain.otp_code_hash(phone=phone, code=code, secret=settings.SECRET_KEY),
            expires_at=expires_at,
            language=language,
        )
    try:
        sms.otp_sms_send(phone=phone, code=code, ttl_seconds=ttl, language=language)
    except Exception as exc:
        logger.warning("sms backend failed", extra={"phone": domain.phone_mask(phone), "error": type(exc).__name__})
        OneTimeCode.objects.filter(pk=otp.pk).update(expires_at=as_of)
        raise SmsUnavailable from exc
    return OtpRequested(phone=phone, expires_at=expires_at, expires_in=ttl)


def otp_verify_and_sign_in(
    *, phone: str, code: str, device: str, as_of: datetime, language: str | None = None
) -> tuple[str, Driver]:
    """Checks ``code`` for ``phone`` and signs the device in; returns ``(raw token, driver)``.

    ``code`` is compared with the phone's live codes (the newest ``OTP_LIVE_CODES``: codes sent earlier stay
    valid). Each try is counted on every code it is compared with, atomically and before the comparison, so at
    most ``OTP_MAX_ATTEMPTS`` guesses are ever compared with any one code, even concurrently; the matching code
    is then claimed with a conditional UPDATE, so of two concurrent correct tries exactly one gets a token, and
    the phone's other live codes die with it. The first sign-in creates the user and the driver, speaking
    ``language`` when it is one Kezek has, else the language its sign-in SMS was written in.
    Raises :class:`InvalidCode` (also for a phone that never asked for a code) or :class:`AccountDisabled`.
    """
    try:
        phone = domain.phone_normalize(phone)
    except domain.InvalidPhone as exc:
        raise InvalidCode from exc
    code = (code or "").strip()
    tries_left = Q(used_at__isnull=True, expires_at__gt=as_of, attempts__lt=settings.OTP_MAX_ATTEMPTS)
    live = list(
        OneTimeCode.objects.filter(tries_left, phone=phone).order_by("-created_at", "-pk")[: settings.OTP_LIVE_CODES]
    )
    counted = [
        otp for otp in live if OneTimeCode.objects.filter(tries_left, pk=otp.pk).update(attempts=F("attempts") + 1) == 1
    ]
    match = None
    if code.isdigit():
        match = next(
            (
                otp
                for otp in counted
                if domain.otp_code_matches(phone=phone, code=code, code_hash=otp.code_hash, secret=settings.SECRET_KEY)
            ),
            None,
        )
    if match is None:
        raise InvalidCode
    with transaction.atomic(durable=True):
        claimed = OneTimeCode.objects.filter(pk=match.pk, used_at__isnull=True).update(used_at=as_of)
        if claimed != 1:
            raise InvalidCode
        OneTimeCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=as_of).update(expires_at=as_of)
        driver = _driver_get_or_create(phone=phone, language=_language(language) or _language(match.language))
        if not driver.user.is_active:
            raise AccountDisabled
        token = _device_sign_in(driver=driver, device=device)
    return token, driver


def _language(code: str | None) -> str | None:
    """``code`` (``ru``, ``kk-KZ``, ...) as one of Kezek's languages, or None."""
    base = (code or "").split("-")[0].lower()
    return base if base in Language.values else None


def _driver_get_or_create(*, phone: str, language: str | None = None) -> Driver:
    driver = Driver.objects.select_related("user", "carrier").filter(phone=phone).first()
    if driver is not None:
        return driver
    # A namespaced username: a staff account that happens to be named like a phone number is never reused.
    user, created = get_user_model().objects.get_or_create(username=f"driver:{phone}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.is_staff or user.is_superuser:
        raise AccountDisabled
    return Driver.objects.create(user=user, phone=phone, **({"language": language} if language else {}))


def _device_sign_in(*, driver: Driver, device: str) -> str:
    """A knox token (hashed, TTL from REST_KNOX, refreshed on use) and its Device row; oldest devices beyond the
    per-user limit are signed out."""
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit:
        stale = list(
            AuthToken.objects.filter(user=driver.user).order_by("-created").values_list("pk", flat=True)[limit - 1 :]
        )
        if stale:
            AuthToken.objects.filter(pk__in=stale).delete()
    name = (device or "").strip()[:200] or "unknown"
    # Signing in again on the same device (same name) replaces its token instead of piling up live ones.
    AuthToken.objects.filter(device__driver=driver, device__name=name).delete()
    instance, token = AuthToken.objects.create(user=driver.user, expiry=knox_settings.TOKEN_TTL)
    Device.objects.create(driver=driver, auth_token=instance, name=name, last_used_at=instance.created)
    return token


def device_sign_out(*, auth_token: AuthToken) -> None:
    """The token (and its Device) is deleted: it no longer authenticates."""
    auth_token.delete()


@transaction.atomic
def device_revoke(*, driver: Driver, device_id: int) -> None:
    """Signs one of ``driver``'s devices out (its token dies). Raises :class:`NotFound` for any other id."""
    device = Device.objects.select_related("auth_token").filter(driver=driver, pk=device_id).first()
    if device is None:
        raise NotFound
    device_sign_out(auth_token=device.auth_token)


def auth_tokens_purge(*, as_of: datetime) -> int:
    """Deletes device tokens (and their Devices) whose expiry has passed; returns how many tokens.

    Authentication refuses an expired token on its own; this only keeps the table small (knox's own class
    did it on every request, scanning the user's tokens).
    """
    _deleted, counts = AuthToken.objects.filter(expiry__lt=as_of).delete()
    return counts.get(AuthToken._meta.label, 0)


def one_time_codes_purge(*, as_of: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Deletes sign-in codes that expired more than ``keep`` ago; returns how many."""
    deleted, _counts = OneTimeCode.objects.filter(expires_at__lt=as_of - keep).delete()
    return deleted


# --- Drivers ----------------------------------------------------------------------------------------
@transaction.atomic
def driver_update(*, driver: Driver, **fields) -> Driver:
    """Updates the driver's own profile fields (name, citizenship, language, vehicle_plate) only.

    Raises :class:`ValidationFailed` for any other field or an invalid value.
    """
    unknown = set(fields) - DRIVER_EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(errors={name: [str(_("This field cannot be changed."))] for name in sorted(unknown)})
    if "language" in fields and fields["language"] not in Language.values:
        raise ValidationFailed(errors={"language": [str(_("Unsupported language."))]})
    for name, value in fields.items():
        setattr(driver, name, value)
    if fields:
        driver.save(update_fields=sorted(fields))
    return driver


@transaction.atomic
def driver_join_carrier(*, driver: Driver, invite_code: str) -> Driver:
    """Makes ``driver`` a member of the carrier that issued ``invite_code`` (leaving any previous carrier).

    Joining the carrier one already belongs to is a no-op. Raises :class:`InvalidInviteCode`.
    """
    normalized = domain.invite_code_normalize(invite_code)
    carrier = Carrier.objects.filter(invite_code=normalized).first() if normalized else None
    if carrier is None:
        raise InvalidInviteCode(errors={"invite_code": [str(InvalidInviteCode.default_detail)]})
    if driver.carrier_id != carrier.pk:
        driver.carrier = carrier
        driver.save(update_fields=["carrier"])
    driver.carrier = carrier
    return driver


@transaction.atomic
def driver_trust_set(*, driver: Driver, trusted: bool, actor) -> Driver:
    """Marks the driver's reports as trusted or not (untrusted reports stay stored, out of estimates)."""
    if driver.trusted != trusted:
        driver.trusted = trusted
        driver.save(update_fields=["trusted"])
        logger.info(
            "driver trust changed",
            extra={"driver_id": driver.pk, "trusted": trusted, "actor_id": getattr(actor, "pk", None)},
        )
    return driver


# --- Carriers and dispatchers ------------------------------------------------------------------------
@transaction.atomic
def carrier_create(*, name: str) -> Carrier:
    """A new carrier with a fresh invite code. Raises :class:`ValidationFailed` for an empty name."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(errors={"name": [str(_("This field may not be blank."))]})
    return Carrier.objects.create(name=name[:200])


def carrier_invite_rotate(*, carrier: Carrier) -> Carrier:
    """Gives the carrier a new invite code; the old one stops working at once."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                carrier.invite_code = generate_invite_code()
                carrier.save(update_fields=["invite_code"])
                return carrier
        except IntegrityError:  # a collision in a 32^10 space: draw again
            continue
    raise Conflict


@transaction.atomic
def dispatcher_create(*, carrier: Carrier, username: str, password: str) -> Dispatcher:
    """A staff (not superuser) user who works for ``carrier`` in the admin.

    Raises :class:`Conflict` when the username is taken, :class:`ValidationFailed` for a weak password.
    """
    username = (username or "").strip()
    user_model = get_user_model()
    if not username:
        raise ValidationFailed(errors={"username": [str(_("This field may not be blank."))]})
    if user_model.objects.filter(username=username).exists():
        raise Conflict(_("A user with this username already exists."))
    user = user_model(username=username, is_staff=True, is_superuser=False, is_active=True)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={"password": list(exc.messages)}) from exc
    user.set_password(password)
    user.save()
    return Dispatcher.objects.create(user=user, carrier=carrier)


# --- Notifications ----------------------------------------------------------------------------------
class NotificationNotFound(NotFound):
    pass


@transaction.atomic
def notifications_mark_read(*, notifications: QuerySet[Notification], as_of: datetime) -> int:
    """Marks the unread notifications among ``notifications`` read at ``as_of``; returns how many changed.

    Already read ones keep their first ``read_at``. The caller cuts ``notifications`` to what the user may see.
    """
    return notifications.filter(read_at__isnull=True).update(read_at=as_of)


@transaction.atomic
def notification_mark_read(*, driver: Driver, notification_id: int, as_of: datetime) -> Notification:
    """Marks one of the driver's own notifications read (idempotent); another's is NotificationNotFound."""
    own = selectors.notification_list(driver=driver).filter(pk=notification_id)
    notifications_mark_read(notifications=own, as_of=as_of)
    notification = own.first()
    if notification is None:
        raise NotificationNotFound()
    return notification
