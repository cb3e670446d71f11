"""Reads for legal pages, consents and privacy requests (APPI). Other apps ask `consent_current` before they
market to, personalise for or track a user."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.core.local_copies import local_get

from .models import Address, Consent, LegalPage, LegalPageVersion, PolicyAcceptance, PrivacyRequest

# What each consent is for, shown next to its switch: a consent without a stated purpose is not a consent.
CONSENT_PURPOSE_TEXTS = {
    Consent.Purpose.MARKETING: _(
        "We send you news of sales, new arrivals and coupons by e-mail and LINE. Order and shipping messages are "
        "sent either way."
    ),
    Consent.Purpose.PERSONALISATION: _(
        "We use what you view, like and buy to recommend items and posts you may like. Without it you see the "
        "same recommendations as everyone."
    ),
    Consent.Purpose.ANALYTICS: _(
        "Analytics cookies count page views and how visitors move through the shop so we can improve it. They "
        "are never used for advertising by other companies."
    ),
}


# A higher app (orders now; reviews, posts, points later) contributes its part of a user's personal data by
# registering here from its AppConfig.ready(): this app may not import them (DESIGN.md, dependency direction).
@dataclass(frozen=True)
class PersonalDataSource:
    name: str
    # Rows (flat dicts of JSON-friendly values) of the user's data, for the "download my data" export.
    export: Callable[..., list[dict]]
    # Erases or anonymises the user's data in that app when the account is deleted; runs inside the transaction.
    anonymise: Callable[..., None] | None = None


personal_data_sources: dict[str, PersonalDataSource] = {}

ANALYTICS_COOKIE = "analytics_consent"
VISITOR_COOKIE = "visitor_id"
CURRENT_ACCEPTANCE_CACHE_KEY = "legal:acceptance-version-ids"


def legal_version_current(*, kind: str, at: datetime | None = None) -> LegalPageVersion | None:
    """The version in force: the highest version already effective."""
    at = at or timezone.now()
    return (
        LegalPageVersion.objects.select_related("page")
        .filter(page__kind=kind, effective_at__lte=at)
        .order_by("-version")
        .first()
    )


def legal_page_history(*, page: LegalPage, at: datetime | None = None) -> list[LegalPageVersion]:
    """Versions in force now or before, newest first (versions scheduled for later are not shown yet)."""
    at = at or timezone.now()
    return list(page.versions.filter(effective_at__lte=at).order_by("-version"))


def legal_versions_current_requiring_acceptance(*, at: datetime | None = None) -> list[LegalPageVersion]:
    at = at or timezone.now()
    latest = (
        LegalPageVersion.objects.filter(page__requires_acceptance=True, effective_at__lte=at)
        .values("page")
        .annotate(top=Max("version"))
    )
    condition = Q(pk__in=[])
    for row in latest:
        condition |= Q(page_id=row["page"], version=row["top"])
    return list(LegalPageVersion.objects.select_related("page").filter(condition).order_by("page__kind"))


def legal_version_ids_requiring_acceptance() -> frozenset[int]:
    """Asked on every signed-in request by the middleware, so cached briefly (with a one-second copy in the process,
    shop.core.local_copies); a new version clears it."""
    return frozenset(local_get(CURRENT_ACCEPTANCE_CACHE_KEY, _version_ids_requiring_acceptance, 60))


def _version_ids_requiring_acceptance() -> list[int]:
    return [version.pk for version in legal_versions_current_requiring_acceptance()]


def legal_versions_to_accept(*, user) -> list[LegalPageVersion]:
    """Current versions of the privacy policy / terms this signed-in user has not accepted yet."""
    if user is None or not user.is_authenticated:
        return []
    current = legal_versions_current_requiring_acceptance()
    accepted = set(PolicyAcceptance.objects.filter(user=user, version__in=current).values_list("version_id", flat=True))
    return [version for version in current if version.pk not in accepted]


def consent_latest(*, user=None, visitor_id: str = "", purpose: str) -> Consent | None:
    if user is not None and user.is_authenticated:
        rows = Consent.objects.filter(user=user)
    elif visitor_id:
        rows = Consent.objects.filter(user=None, visitor_id=visitor_id)
    else:
        return None
    return rows.filter(purpose=purpose).order_by("-created_at", "-id").first()


# Short: a change made while Redis is unreachable cannot clear the entry, and must still take effect soon.
ANALYTICS_CHOICE_CACHE_SECONDS = 5 * 60
_CHOICE_TO_CACHE = {True: "granted", False: "denied", None: "none"}
_CACHE_TO_CHOICE = {cached: choice for choice, cached in _CHOICE_TO_CACHE.items()}
_NOT_READ = object()


def analytics_choice_cache_key(user_id: int) -> str:
    return f"accounts:consent:analytics:{user_id}"


def analytics_choice(*, user) -> bool | None:
    """The member's latest choice on analytics cookies (None: never chosen). Every page reads it for the cookie
    banner. The signed-in user of a request comes with it (shop.accounts.backends: `analytics_consent`); for a user
    loaded otherwise it is cached per member, and privacy_services.consent_record clears the entry when it changes."""
    read_with_user = getattr(user, "analytics_consent", _NOT_READ)
    if read_with_user is not _NOT_READ:
        return read_with_user
    key = analytics_choice_cache_key(user.pk)
    cached = cache.get(key)
    if cached in _CACHE_TO_CHOICE:
        return _CACHE_TO_CHOICE[cached]
    latest = consent_latest(user=user, purpose=Consent.Purpose.ANALYTICS)
    choice = None if latest is None else latest.granted
    cache.set(key, _CHOICE_TO_CACHE[choice], ANALYTICS_CHOICE_CACHE_SECONDS)
    return choice


def consent_current(*, user, purpose: str) -> bool:
    """Whether the user has consented to this purpose now: the latest record wins; no record means no."""
    latest = consent_latest(user=user, purpose=purpose)
    return bool(latest and latest.granted)


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    label: str
    purpose_text: str
    granted: bool
    changed_at: datetime | None
    policy_version: int | None


def consent_states(*, user) -> list[ConsentState]:
    """One line per purpose for the account privacy page."""
    states = []
    for purpose in Consent.Purpose:
        latest = consent_latest(user=user, purpose=purpose)
        states.append(
            ConsentState(
                purpose=purpose.value,
                label=purpose.label,
                purpose_text=CONSENT_PURPOSE_TEXTS[purpose],
                granted=bool(latest and latest.granted),
                changed_at=latest.created_at if latest else None,
                policy_version=latest.policy_version.version if latest and latest.policy_version else None,
            )
        )
    return states


def privacy_requests_of_user(*, user) -> list[PrivacyRequest]:
    return list(PrivacyRequest.objects.filter(user=user).order_by("-created_at")[:20])


def privacy_export_of_owner(*, user, request_id: int) -> PrivacyRequest | None:
    """The finished export of this request, only if it belongs to this user."""
    if user is None or not user.is_authenticated:
        return None
    return (
        PrivacyRequest.objects.filter(
            pk=request_id, user=user, kind=PrivacyRequest.Kind.DISCLOSURE, status=PrivacyRequest.Status.DONE
        )
        .exclude(export_file="")
        .first()
    )


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def personal_data_collect(*, user) -> dict[str, list[dict]]:
    """Everything the shop holds about the user, section by section, each a list of flat rows."""
    data: dict[str, list[dict]] = {
        "profile": [
            {
                "email": user.email,
                "display_name": user.display_name,
                "birth_month": user.birth_month or "",
                "gender": user.gender,
                "age_band": user.age_band,
                "has_profile_picture": bool(user.avatar),
                "date_joined": _when(user.date_joined),
                "last_login": _when(user.last_login),
            }
        ],
        "addresses": [
            {**address.as_dict(), "is_default": address.is_default, "updated_at": _when(address.updated_at)}
            for address in Address.objects.filter(user=user).order_by("pk")
        ],
        "consents": [
            {
                "purpose": row.purpose,
                "granted": row.granted,
                "time": _when(row.created_at),
                "privacy_policy_version": row.policy_version.version if row.policy_version else "",
                "source": row.source,
            }
            for row in Consent.objects.filter(user=user).select_related("policy_version").order_by("created_at", "id")
        ],
        "policy_acceptances": [
            {"page": row.version.page.kind, "version": row.version.version, "accepted_at": _when(row.accepted_at)}
            for row in PolicyAcceptance.objects.filter(user=user)
            .select_related("version__page")
            .order_by("accepted_at", "id")
        ],
        "privacy_requests": [
            {
                "kind": row.kind,
                "status": row.status,
                "details": row.details,
                "requested_at": _when(row.created_at),
                "response": row.response,
            }
            for row in PrivacyRequest.objects.filter(user=user).order_by("created_at", "id")
        ],
    }
    for name, source in sorted(personal_data_sources.items()):
        data[name] = source.export(user=user)
    return data


def personal_data_register(
    *, name: str, export: Callable[..., list[dict]], anonymise: Callable[..., None] | None = None
):
    """Called from a higher app's AppConfig.ready(); registering the same name again replaces it (autoreload)."""
    personal_data_sources[name] = PersonalDataSource(name=name, export=export, anonymise=anonymise)
