"""Two-factor authentication (django-otp): one TOTP device per user (an authenticator app) plus one static device
holding the backup codes. Writes are services, reads are selectors, as in services.py / selectors.py.

A user "has two-factor" when they own a confirmed TOTP device. The backup codes only exist beside it; turning
two-factor off deletes both.
"""

import io
import unicodedata
from base64 import b32decode, b32encode
from dataclasses import dataclass
from datetime import datetime, timedelta

import qrcode
import qrcode.image.svg
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"
DEVICE_MODELS = (TOTPDevice, StaticDevice)


class TwoFactorError(Exception):
    """A code was not accepted; `locked_until` is set when it was not even tried because of throttling."""

    def __init__(self, *, locked_until: datetime | None = None):
        super().__init__("locked" if locked_until else "invalid")
        self.locked_until = locked_until

    @property
    def wait_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - timezone.now()).total_seconds() + 0.999))


@dataclass(frozen=True)
class TotpSetup:
    device: TOTPDevice
    secret: str  # base32, as authenticator apps ask for it when typed by hand
    config_url: str  # otpauth://…
    qr_svg: str  # an inline <svg> element


# --- Selectors --------------------------------------------------------------------------------------------------


def totp_device_get(*, user, confirmed: bool | None = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.devices_for_user(user, confirmed=confirmed)
    return devices.order_by("pk").first()


def _enabled_cache_key(user_id: int) -> str:
    return f"accounts:2fa-enabled:{user_id}"


def two_factor_enabled(*, user) -> bool:
    """True when signing in needs a code: the user owns a confirmed device of any kind.

    Asked on every signed-in request, so cached; saving or deleting a device clears it (receivers below)."""
    if user is None or not user.is_authenticated:
        return False
    # The signed-in user of a request comes with the answer (shop.accounts.backends).
    if (read_with_user := getattr(user, "has_two_factor", None)) is not None:
        return read_with_user
    key = _enabled_cache_key(user.pk)
    enabled = cache.get(key)
    if enabled is None:
        enabled = any(True for _ in devices_for_user(user, confirmed=True))
        cache.set(key, enabled, 300)
    return enabled


def two_factor_cache_clear(*, user_id: int) -> None:
    cache.delete(_enabled_cache_key(user_id))


def backup_codes_remaining(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def backup_codes_list(*, user) -> list[str]:
    return list(
        StaticToken.objects.filter(device__user=user, device__confirmed=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )


def totp_secret(*, device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode("ascii")


def totp_qr_svg(*, config_url: str) -> str:
    """The otpauth URL as an SVG element to place straight into the page (no image service, no script)."""
    # SvgPathImage with a white background (SvgPathFillImage): still scannable when the page is in dark mode.
    image = qrcode.make(config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    # Drop the XML declaration: it is not allowed inside an HTML document.
    return svg[svg.index("<svg") :]


def totp_setup_get(*, device: TOTPDevice) -> TotpSetup:
    return TotpSetup(
        device=device,
        secret=totp_secret(device=device),
        config_url=device.config_url,
        qr_svg=totp_qr_svg(config_url=device.config_url),
    )


def token_normalise(token: str) -> str:
    """Codes as people type them on a phone: full-width digits, spaces or hyphens ("123 456", "abcd-efgh")."""
    token = unicodedata.normalize("NFKC", token or "")
    return "".join(ch for ch in token if ch.isalnum()).lower()


# --- Services ---------------------------------------------------------------------------------------------------


def totp_device_start(*, user) -> TOTPDevice:
    """The unconfirmed device an enrolment works on: the same one (and so the same QR code) until confirmed."""
    with transaction.atomic():
        device = totp_device_get(user=user, confirmed=False)
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, user, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app; returns it and fresh backup codes (shown once).

    Raises TwoFactorError for a wrong or throttled code; the device then stays unconfirmed.
    """
    token = token_normalise(token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise TwoFactorError()
        _check_allowed(device)
        # A wrong code leaves the block normally, so the failure count verify_token recorded is committed.
        accepted = device.verify_token(token)
        if accepted:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if not accepted:
        raise TwoFactorError()
    return device, backup_codes_regenerate(user=user)


def totp_device_create_confirmed(*, user, key_hex: str | None = None) -> TOTPDevice:
    """A confirmed device made without a code from the app (the enrol command, demo data): replaces any other."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        fields = {"user": user, "name": TOTP_DEVICE_NAME, "confirmed": True}
        if key_hex:
            fields["key"] = key_hex
        return TOTPDevice.objects.create(**fields)


def totp_device_ensure(*, user, key_hex: str) -> TOTPDevice:
    """A confirmed device with exactly this key (the demo's fixed secret); left alone when it already is one."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key_hex).first()
        if device is not None and not TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).exists():
            return device
        return totp_device_create_confirmed(user=user, key_hex=key_hex)


def backup_codes_regenerate(*, user) -> list[str]:
    """Replace every backup code of the user with BACKUP_CODE_COUNT new ones."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        device.token_set.all().delete()
        codes = _unique_codes(BACKUP_CODE_COUNT)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def backup_codes_ensure(*, user, minimum: int) -> list[str]:
    """The user's unused backup codes, regenerated first when fewer than `minimum` remain."""
    with transaction.atomic():
        if backup_codes_remaining(user=user) < minimum:
            return backup_codes_regenerate(user=user)
        return backup_codes_list(user=user)


def two_factor_verify(*, user, token: str):
    """The confirmed device that accepts `token` (a 6-digit TOTP code or a backup code), or TwoFactorError.

    Six digits are tried against the authenticator only and anything else against the backup codes only, so a
    mistyped code counts against one device's throttle, not both. A used code never works again (TOTPDevice keeps
    the last time step it accepted; a static token is deleted when used).
    """
    token = token_normalise(token)
    if not token:
        raise TwoFactorError()
    # Backup codes have 8 characters, so they are never taken for a 6-digit code.
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():
        devices = list(model.objects.devices_for_user(user, confirmed=True).select_for_update().order_by("pk"))
        if not devices:
            raise TwoFactorError()
        for device in devices:
            _check_allowed(device)
        accepted = next((device for device in devices if device.verify_token(token)), None)
    if accepted is None:
        raise TwoFactorError()
    return accepted


def two_factor_session_verify(*, request, token: str):
    """Check a code for the signed-in user and mark the session as verified by the device that accepted it."""
    device = two_factor_verify(user=request.user, token=token)
    two_factor_session_mark(request=request, device=device)
    return device


def two_factor_session_mark(*, request, device) -> None:
    """Record in the session that this device verified the user (django-otp keeps its persistent id there)."""
    otp_login(request, device)


def two_factor_disable(*, user, request=None) -> int:
    """Delete every OTP device of the user (also their verified state in this session); returns how many."""
    with transaction.atomic():
        count = sum(model.objects.filter(user=user).delete()[1].get(model._meta.label, 0) for model in DEVICE_MODELS)
    if request is not None:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        if hasattr(request.user, "otp_device"):
            request.user.otp_device = None
    return count


# --- Helpers ----------------------------------------------------------------------------------------------------


def _check_allowed(device) -> None:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return
    locked_until = None
    if details and details.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        locked_until = details.get("locked_until")
    raise TwoFactorError(locked_until=locked_until or timezone.now() + timedelta(seconds=1))


def _unique_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(StaticToken.random_token())
    return sorted(codes)


def key_hex_from_base32(secret: str) -> str:
    """A TOTPDevice key (hex) from a base32 secret such as an authenticator app shows."""
    return b32decode(secret.upper()).hex()
