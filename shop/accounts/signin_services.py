"""Account protection: every sign-in is recorded, and a sign-in from a browser the member has not used before (once we
know one they use) sends them a notice (time, device, approximate place, links to sign out other sessions and to change the password).

A browser is recognised by the long-lived signed "shop_device" cookie holding a random id; the id is remembered per
member in KnownBrowser. The receiver that calls these services cannot set a cookie, so it leaves the id on the
request and KnownBrowserCookieMiddleware writes it to the response.
"""

import datetime
import ipaddress
import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.notifications.selectors import JST, site_url
from shop.notifications.services import notification_enqueue

from .models import KnownBrowser, SignInEvent, User

DEVICE_COOKIE = "shop_device"
DEVICE_COOKIE_SALT = "accounts.known-browser"
DEVICE_COOKIE_MAX_AGE = 60 * 60 * 24 * 400  # browsers cap cookie lifetimes at about 400 days
# Where the receiver leaves the browser id for the middleware to set.
DEVICE_REQUEST_ATTR = "shop_device_id_to_set"
NOTICE_KIND = "new_sign_in"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

# No geo-IP database is available offline, so the place is named only for address ranges whose meaning is fixed by
# standard (RFC 1918, 4193, 5737, 3849); for everything else the notice says the place is unavailable.
_KNOWN_RANGES: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, object], ...] = tuple(
    (ipaddress.ip_network(network), label)
    for network, label in (
        ("127.0.0.0/8", _("this computer (local connection)")),
        ("::1/128", _("this computer (local connection)")),
        ("10.0.0.0/8", _("a private network (home, office or VPN)")),
        ("172.16.0.0/12", _("a private network (home, office or VPN)")),
        ("192.168.0.0/16", _("a private network (home, office or VPN)")),
        ("fc00::/7", _("a private network (home, office or VPN)")),
        ("192.0.2.0/24", _("a documentation/test network")),
        ("198.51.100.0/24", _("a documentation/test network")),
        ("203.0.113.0/24", _("a documentation/test network")),
        ("2001:db8::/32", _("a documentation/test network")),
    )
)
PLACE_UNAVAILABLE = _("approximate place unavailable")


# --- Small pure helpers (also used by the staff pages) -------------------------------------------------------------


def ip_clean(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def network_of(ip: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address is in, e.g. "203.0.113.0/24"; "" for no address."""
    if not ip:
        return ""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def place_of(ip: str | None):
    """A description of where an address is, honest about what we cannot know (a lazy translatable string)."""
    if ip:
        address = ipaddress.ip_address(ip)
        for network, label in _KNOWN_RANGES:
            if address.version == network.version and address in network:
                return label
    return PLACE_UNAVAILABLE


_BROWSERS = (
    (" Line/", "LINE"),
    ("Instagram", "Instagram"),
    ("FBAN", "Facebook"),
    ("FBAV", "Facebook"),
    ("Edg", "Edge"),
    ("SamsungBrowser", "Samsung Internet"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chromium", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "Mac"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Chrome on Android", "Safari on iPhone", "LINE on iPhone"… from the User-Agent; "" when it says nothing."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ""


def device_id_valid(value: str | None) -> str:
    return value if value and _DEVICE_ID.match(value) else ""


# --- Writes -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    event: SignInEvent
    device_id: str  # the browser id the response must (re)set in the cookie


def _notice_context(*, event: SignInEvent, now: datetime.datetime) -> dict:
    base = site_url()
    return {
        "signed_in_at": timezone.localtime(now, JST).strftime("%Y-%m-%d %H:%M"),
        "device": event.device_label or event.user_agent[:100] or "?",
        "ip": event.ip or "?",
        "network": event.network or "?",
        "place": place_of(event.ip),
        "sessions_url": base + reverse("usersessions_list"),
        "password_url": base + reverse("account_change_password"),
        "security_url": base + reverse("accounts:security"),
    }


def sign_in_record_success(
    *,
    user: User,
    ip: str | None,
    user_agent: str,
    device_id: str = "",
    now: datetime.datetime | None = None,
) -> SignInResult:
    """Records a sign-in; a browser not known for this member becomes known and the member gets exactly one
    "new sign-in" notice (an account notice: it cannot be switched off). The first browser we ever see for a member
    (the one they signed up in, or their first sign-in since this feature exists) is the baseline and sends none:
    a notice to everyone on their next visit would teach people to ignore these notices.

    device_id: the id from this browser's cookie ("" when it has none; another member's id is reused, one browser
    keeps one id)."""
    now = now or timezone.now()
    ip = ip_clean(ip)
    device_id = device_id_valid(device_id)
    label = device_label(user_agent)
    with transaction.atomic():
        known = bool(device_id) and KnownBrowser.objects.filter(user=user, device_id=device_id).update(
            last_seen=now, label=label
        )
        baseline = not known and not KnownBrowser.objects.filter(user=user).exists()
        if not known:
            device_id = device_id or secrets.token_urlsafe(24)
            KnownBrowser.objects.get_or_create(
                user=user, device_id=device_id, defaults={"label": label, "first_seen": now, "last_seen": now}
            )
        event = SignInEvent.objects.create(
            user=user,
            email=user.email,
            success=True,
            ip=ip,
            network=network_of(ip),
            user_agent=user_agent[:300],
            device_label=label,
            known_device=bool(known),
            created_at=now,
        )
        if not known and not baseline:
            rows = notification_enqueue(
                kind=NOTICE_KIND,
                user=user,
                context=_notice_context(event=event, now=now),
                dedupe_key=f"{NOTICE_KIND}:{event.pk}",
                source="accounts:sign_in",
                now=now,
            )
            if rows:
                event.notice_sent = True
                event.save(update_fields=["notice_sent"])
    return SignInResult(event=event, device_id=device_id)


def sign_in_record_failure(
    *, email: str, ip: str | None, user_agent: str, now: datetime.datetime | None = None
) -> SignInEvent:
    """Records a failed sign-in (wrong password, unknown address). Sends nothing: an attacker must not be able to
    flood a member's inbox; staff see the pattern in admin."""
    now = now or timezone.now()
    ip = ip_clean(ip)
    email = (email or "").strip().lower()[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    return SignInEvent.objects.create(
        user=user,
        email=email,
        success=False,
        ip=ip,
        network=network_of(ip),
        user_agent=user_agent[:300],
        device_label=device_label(user_agent),
        created_at=now,
    )


def sign_ins_export(*, user: User) -> list[dict]:
    """The member's sign-in history for "download my data"."""
    return [
        {
            "time": event.created_at.isoformat(),
            "succeeded": event.success,
            "ip": event.ip or "",
            "device": event.device_label,
            "known_browser": event.known_device,
        }
        for event in SignInEvent.objects.filter(user=user).order_by("created_at", "id")
    ]


def sign_ins_forget(*, user: User) -> None:
    """Account deletion: addresses and browsers are personal data; failed tries with the old address go too."""
    SignInEvent.objects.filter(user=user).delete()
    SignInEvent.objects.filter(user__isnull=True, email__iexact=user.email).delete()
    KnownBrowser.objects.filter(user=user).delete()
