"""Writes for legal pages, consents and the customer's rights under APPI: disclosure (download my data),
correction and deletion."""

import csv
import io
import json
import secrets
import zipfile
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_otp import devices_for_user

from shop.core.local_copies import local_forget

from . import privacy_selectors as selectors
from .models import Address, Consent, LegalPage, LegalPageVersion, PolicyAcceptance, PrivacyRequest, User


def legal_page_version_add(
    *, page: LegalPage, body: str, change_summary: str, effective_at: datetime, created_by=None
) -> LegalPageVersion:
    """Versions are append-only: a change is a new version with the next number, never an edit."""
    with transaction.atomic():
        LegalPage.objects.select_for_update().filter(pk=page.pk).first()
        top = page.versions.aggregate(top=Max("version"))["top"] or 0
        version = LegalPageVersion.objects.create(
            page=page,
            version=top + 1,
            body=body,
            change_summary=change_summary,
            effective_at=effective_at,
            created_by=created_by if created_by is not None and created_by.is_authenticated else None,
        )
        # Cleared now and again after commit, in case a request re-filled it from the old state meanwhile.
        _forget_current_versions()
        transaction.on_commit(_forget_current_versions)
    return version


def _forget_current_versions() -> None:
    cache.delete(selectors.CURRENT_ACCEPTANCE_CACHE_KEY)
    local_forget(selectors.CURRENT_ACCEPTANCE_CACHE_KEY)


def legal_versions_accept(*, user, version_ids: list[int]) -> int:
    """Record that the user accepted these versions; accepting one twice records it once. Returns new rows."""
    created = 0
    with transaction.atomic():
        for version in LegalPageVersion.objects.filter(pk__in=version_ids):
            _row, was_created = PolicyAcceptance.objects.get_or_create(user=user, version=version)
            created += was_created
    return created


def legal_accept_current(*, user) -> int:
    """A new account accepts the privacy policy and terms in force when it signs up."""
    versions = selectors.legal_versions_current_requiring_acceptance()
    return legal_versions_accept(user=user, version_ids=[version.pk for version in versions])


def consent_record(*, purpose: str, granted: bool, source: str, user=None, visitor_id: str = "") -> Consent:
    """Append the choice with the privacy policy version in force. Repeating the same choice under the same
    policy adds nothing: the history shows changes, not clicks."""
    if purpose not in Consent.Purpose.values:
        raise ValueError(f"Unknown consent purpose {purpose!r}")
    user = user if user is not None and user.is_authenticated else None
    if user is None and not visitor_id:
        raise ValueError("A consent needs a user or a visitor id")
    policy = selectors.legal_version_current(kind=LegalPage.Kind.PRIVACY)
    with transaction.atomic():
        if user is not None:
            User.objects.select_for_update().filter(pk=user.pk).first()  # one writer per user: no lost updates
        latest = selectors.consent_latest(user=user, visitor_id=visitor_id, purpose=purpose)
        if latest is not None and latest.granted == granted and latest.policy_version_id == (policy and policy.pk):
            return latest
        if user is not None:
            # The cached choice goes now and again at commit (a page may have cached the old one in between).
            key = selectors.analytics_choice_cache_key(user.pk)
            cache.delete(key)
            transaction.on_commit(lambda: cache.delete(key))
        consent = Consent.objects.create(
            user=user,
            visitor_id="" if user is not None else visitor_id,
            purpose=purpose,
            granted=granted,
            policy_version=policy,
            source=source[:30],
        )
        if user is not None and purpose == Consent.Purpose.ANALYTICS:
            user.analytics_consent = granted  # the request's user read the old choice with it (accounts.backends)
        return consent


def privacy_export_request(*, user) -> PrivacyRequest:
    """Ask for the "download my data" ZIP; built by a task. A request still being built is reused."""
    from . import tasks

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        request = PrivacyRequest.objects.filter(
            user=user, kind=PrivacyRequest.Kind.DISCLOSURE, status=PrivacyRequest.Status.OPEN
        ).first()
        if request is None:
            request = PrivacyRequest.objects.create(user=user, kind=PrivacyRequest.Kind.DISCLOSURE)
        request_id = request.pk
        transaction.on_commit(lambda: tasks.build_personal_data_export.delay(request_id))
    return request


def _csv_bytes(rows: list[dict]) -> bytes:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns or ["(empty)"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    # With a BOM, Excel on Japanese Windows reads the UTF-8 file correctly instead of as Shift_JIS.
    return buffer.getvalue().encode("utf-8-sig")


def personal_data_zip(*, user) -> bytes:
    data = selectors.personal_data_collect(user=user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for section, rows in data.items():
            archive.writestr(f"{section}.csv", _csv_bytes(rows))
    return buffer.getvalue()


def privacy_export_build(*, request_id: int) -> PrivacyRequest:
    """Build the ZIP for an open disclosure request. Idempotent: a finished request is left as it is."""
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update(of=("self",)).select_related("user").get(pk=request_id)
        if request.kind != PrivacyRequest.Kind.DISCLOSURE or request.status != PrivacyRequest.Status.OPEN:
            return request
        if request.user is None or request.user.anonymised_at is not None:
            request.status = PrivacyRequest.Status.REJECTED
            request.handled_at = timezone.now()
            request.save(update_fields=["status", "handled_at"])
            return request
        # A random name: the file is served only through the owner-checking view, and cannot be guessed.
        name = f"{secrets.token_urlsafe(32)}.zip"
        request.export_file.save(name, ContentFile(personal_data_zip(user=request.user)), save=False)
        request.status = PrivacyRequest.Status.DONE
        request.handled_at = timezone.now()
        request.save(update_fields=["export_file", "status", "handled_at"])
    return request


def privacy_correction_request(*, user, details: str) -> PrivacyRequest:
    return PrivacyRequest.objects.create(user=user, kind=PrivacyRequest.Kind.CORRECTION, details=details.strip())


def privacy_request_handle(*, request_id: int, status: str, response: str, staff) -> PrivacyRequest:
    """Staff answer a request; who and when are recorded with the answer."""
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=request_id)
        request.status = status
        request.response = response
        request.handled_by = staff
        request.handled_at = timezone.now()
        request.save(update_fields=["status", "response", "handled_by", "handled_at"])
    return request


def _sessions_end(*, user) -> None:
    """End every session of the user (their rows also hold IP addresses and browsers)."""
    if not apps.is_installed("allauth.usersessions"):
        return
    # Imported here: allauth refuses to load these models when its sessions app is not installed.
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(user=user):
        session.end()


def account_delete(*, user) -> PrivacyRequest:
    """Delete the account at the user's request. The row stays because orders point to it (kept for accounting,
    as the tax law requires) but nothing in it, or in the orders, identifies the person any more."""
    files_to_delete: list[str] = []
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        for source in selectors.personal_data_sources.values():
            if source.anonymise is not None:
                source.anonymise(user=user)
        for purpose in Consent.Purpose.values:
            if selectors.consent_current(user=user, purpose=purpose):
                consent_record(user=user, purpose=purpose, granted=False, source="account_deleted")
        Address.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        SocialAccount.objects.filter(user=user).delete()
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        _sessions_end(user=user)
        for request in PrivacyRequest.objects.filter(user=user):
            if request.export_file:
                files_to_delete.append(request.export_file.name)
            request.export_file = ""
            request.details = ""
            request.save(update_fields=["export_file", "details"])
        if user.avatar:
            files_to_delete.append(user.avatar.name)
        user.email = f"deleted-{user.pk}@invalid.example"
        user.display_name = ""
        user.avatar = ""
        user.birth_month = None
        user.gender = ""
        user.age_band = ""
        user.is_active = False
        # A new password hash also invalidates every session of the account (Django checks it on each request).
        user.set_unusable_password()
        user.anonymised_at = timezone.now()
        user.save()
        deletion = PrivacyRequest.objects.create(
            user=user,
            kind=PrivacyRequest.Kind.DELETION,
            status=PrivacyRequest.Status.DONE,
            handled_at=user.anonymised_at,
        )
        transaction.on_commit(lambda: [default_storage.delete(name) for name in files_to_delete])
    return deletion
