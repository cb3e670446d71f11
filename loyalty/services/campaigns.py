"""Writes for campaigns: the content check, the test send to staff, scheduling, sending to a segment, clicks.

Sending goes through the notifications outbox (shop.notifications), which applies the marketing consent, the
member's preferences and unsubscribes, quiet hours and the weekly cap. One message per member and campaign: the
recipient row is unique and the outbox dedupe key is "campaign:<campaign>:<user>", so a second run, a retried
task or two workers at once send nothing more.
"""

import datetime
import logging
import secrets
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.notifications.models import Channel, Notification
from shop.notifications.selectors import site_url
from shop.notifications.services import notification_enqueue

from ..exceptions import LoyaltyError
from ..models import Campaign, CampaignClick, CampaignRecipient, CampaignVariant, Coupon
from ..selectors.campaigns import (
    campaign_banned_words,
    campaign_coupon_key,
    campaign_message_for,
    campaign_target_path,
    campaign_variant_for,
    campaigns_due,
    segment_users,
)
from .coupons import coupon_issue_personal

logger = logging.getLogger(__name__)

Status = Campaign.Status
# The e-mail and LINE templates of a campaign message (templates/notifications/campaign_message/).
MESSAGE_TEMPLATE = "campaign_message"
# Staff test messages are account notices: they reach the staff member whatever their marketing choices.
TEST_KIND = "campaign_test"
EDITABLE = (Status.DRAFT, Status.SCHEDULED, Status.BLOCKED)
SKIPPED = (Notification.Status.SKIPPED, Notification.Status.CANCELLED)


class CampaignError(LoyaltyError):
    """Staff asked for something the campaign's state does not allow; the message says why."""


def _channels(campaign: Campaign) -> list[str] | None:
    if campaign.channel == Campaign.Channel.EMAIL:
        return [Channel.EMAIL]
    if campaign.channel == Campaign.Channel.LINE:
        return [Channel.LINE]
    return None  # both: e-mail, and LINE for members who linked it


def _absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else site_url() + path


def _message_context(
    *,
    campaign: Campaign,
    variant: CampaignVariant | None,
    link_url: str,
    survey_url: str,
    coupon_code: str,
    subject_prefix: str = "",
) -> dict:
    subject, text = campaign_message_for(campaign=campaign, variant=variant)
    image_url = _absolute(campaign.image.url) if campaign.image else ""
    context = {
        "subject": f"{subject_prefix}{subject}",
        "text": text,
        "url": link_url,
        "image_url": image_url,
        "survey_url": survey_url,
        "survey_title": campaign.survey.title if campaign.survey_id else "",
        "coupon_code": coupon_code,
        "coupon_name": campaign.coupon.name if campaign.coupon_id else "",
        "coupon_description": campaign.coupon.description if campaign.coupon_id else "",
        "product_name": campaign.product.name if campaign.product_id else "",
    }
    if campaign.product_id:
        context["line_card"] = {
            "title": campaign.product.name,
            "text": campaign.product.brand,
            "image_url": image_url if image_url.startswith("https://") else "",
            "button_url": link_url,
            "price": campaign.product.price_money.format_tax_included(),
            "code": coupon_code,
            "alt_text": subject,
        }
    return context


def _block(campaign: Campaign, words: list[str]) -> str:
    reason = _("Contains banned words: %(words)s") % {"words": ", ".join(f"「{word}」" for word in words)}
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.BLOCKED, blocked_reason=reason[:300])
    campaign.status, campaign.blocked_reason = Status.BLOCKED, reason[:300]
    logger.warning("Campaign %s blocked: %s", campaign.pk, words)
    return reason


def campaign_check_content(*, campaign: Campaign) -> list[str]:
    """Blocks a campaign whose subject or text (of any variant) contains a banned word; returns the words found.
    A blocked campaign is unblocked by the next test send or schedule once the words are gone."""
    words = campaign_banned_words(campaign=campaign)
    if words and campaign.status in EDITABLE:
        _block(campaign, words)
    return words


def _require_clean(campaign: Campaign) -> None:
    words = campaign_banned_words(campaign=campaign)
    if words:
        raise CampaignError(_block(campaign, words))


def campaign_send_test(*, campaign: Campaign, staff_users, now: datetime.datetime | None = None) -> int:
    """Sends every variant of the message to the given staff members only (others in the list are ignored) and
    records the time; links are not tracked and nothing counts in the results. Returns the outbox rows written."""
    now = now or timezone.now()
    staff = [user for user in staff_users if user.is_staff and user.is_active and not user.anonymised_at]
    if not staff:
        raise CampaignError(_("A test is sent to staff members only, and none was chosen."))
    if campaign.status not in EDITABLE:
        raise CampaignError(_("This campaign has already been sent."))
    _require_clean(campaign)
    variants = list(campaign.variants.all()) or [None]
    link_url = _absolute(campaign_target_path(campaign=campaign))
    survey_url = _absolute(campaign.survey.get_absolute_url()) if campaign.survey_id else ""
    written = 0
    with transaction.atomic():
        for user in staff:
            for variant in variants:
                label = variant.label if variant else "-"
                context = _message_context(
                    campaign=campaign,
                    variant=variant,
                    link_url=link_url,
                    survey_url=survey_url,
                    coupon_code=campaign.coupon.code if campaign.coupon_id else "",
                    subject_prefix=_("[Test %(variant)s] ") % {"variant": label},
                )
                rows = notification_enqueue(
                    kind=TEST_KIND,
                    user=user,
                    context=context,
                    dedupe_key=f"campaign:{campaign.pk}:test:{now.timestamp():.6f}:{user.pk}:{label}",
                    channels=_channels(campaign),
                    template=MESSAGE_TEMPLATE,
                    source=f"campaign:{campaign.pk}:test",
                    now=now,
                )
                written += len(rows)
        campaign.test_sent_at = now
        update = ["test_sent_at", "updated_at"]
        if campaign.status == Status.BLOCKED:
            campaign.status, campaign.blocked_reason = Status.DRAFT, ""
            update += ["status", "blocked_reason"]
        campaign.save(update_fields=update)
    return written


def campaign_content_changed(*, campaign: Campaign) -> None:
    """After an edit of the message, a new test is needed before it can go out (a scheduled send is put back to
    draft)."""
    if campaign.status in EDITABLE:
        Campaign.objects.filter(pk=campaign.pk).update(status=Status.DRAFT, test_sent_at=None, blocked_reason="")
        campaign.status, campaign.test_sent_at, campaign.blocked_reason = Status.DRAFT, None, ""


def campaign_schedule(
    *, campaign: Campaign, send_at: datetime.datetime | None = None, now: datetime.datetime | None = None
) -> Campaign:
    """Schedules the send for send_at (else the campaign's send time, else now: the next minute's run sends it).
    Needs a test send first and no banned word."""
    now = now or timezone.now()
    if campaign.status not in EDITABLE:
        raise CampaignError(_("This campaign has already been sent."))
    if campaign.test_sent_at is None:
        raise CampaignError(_("Send a test to yourself before scheduling the campaign."))
    weights = [variant.weight for variant in campaign.variants.all()]
    if weights and sum(weights) != 100:
        raise CampaignError(_("The variants' shares must add up to 100%."))
    _require_clean(campaign)
    campaign.status = Status.SCHEDULED
    campaign.send_at = send_at or campaign.send_at or now
    campaign.blocked_reason = ""
    campaign.save(update_fields=["status", "send_at", "blocked_reason", "updated_at"])
    return campaign


def _send_to(*, campaign: Campaign, variants: list[CampaignVariant], user, now: datetime.datetime) -> bool:
    """The campaign's message to one member, once; True if a recipient was recorded now."""
    key = f"campaign:{campaign.pk}:{user.pk}"
    with transaction.atomic():
        recipient, created = CampaignRecipient.objects.get_or_create(
            campaign=campaign,
            user=user,
            defaults={
                "variant": campaign_variant_for(campaign=campaign, variants=variants, user_id=user.pk),
                "message_key": key,
                "token": secrets.token_urlsafe(16),
            },
        )
        if not created and recipient.notification_id is not None:
            return False
        coupon, coupon_code = None, ""
        if campaign.coupon_id:
            issue_key = campaign_coupon_key(campaign=campaign)
            coupon = coupon_issue_personal(template=campaign.coupon, user=user, issue_key=issue_key)
            existing = coupon or Coupon.objects.filter(owner=user, issue_key=issue_key).first()
            coupon_code = existing.code if existing else ""
        click_url = _absolute(reverse("campaigns:click", kwargs={"token": recipient.token}))
        survey_url = f"{click_url}?{urlencode({'to': 'survey'})}" if campaign.survey_id else ""
        rows = notification_enqueue(
            kind="campaign",
            user=user,
            context=_message_context(
                campaign=campaign,
                variant=recipient.variant,
                link_url=click_url,
                survey_url=survey_url,
                coupon_code=coupon_code,
            ),
            dedupe_key=key,
            channels=_channels(campaign),
            is_marketing=True,
            template=MESSAGE_TEMPLATE,
            source=f"campaign:{campaign.pk}",
            cap_per_week=campaign.segment.cap_per_week,
            now=now,
        )
        if coupon is not None and all(row.status in SKIPPED for row in rows):
            # The member gets no message (no consent, opted out or over the cap), so no coupon either.
            coupon.delete()
        if rows:
            recipient.notification = rows[0]
            recipient.save(update_fields=["notification"])
    return created


def campaign_send(*, campaign_id: int, now: datetime.datetime | None = None, chunk_size: int = 500) -> int:
    """Sends a scheduled campaign (when its time has come) to every member of its segment; returns how many
    members were newly recorded as recipients. Safe to run again, or to resume after a worker stopped."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("segment", "product", "coupon", "survey")
            .filter(pk=campaign_id)
            .first()
        )
        if campaign is None or campaign.status not in (Status.SCHEDULED, Status.SENDING):
            return 0
        if campaign.status == Status.SCHEDULED and campaign.send_at and campaign.send_at > now:
            return 0
        words = campaign_banned_words(campaign=campaign)
        if words:
            _block(campaign, words)
            return 0
        if campaign.status == Status.SCHEDULED:
            campaign.status = Status.SENDING
            campaign.save(update_fields=["status", "updated_at"])
    variants = list(campaign.variants.all())
    recorded = 0
    for user in segment_users(segment=campaign.segment, now=now).iterator(chunk_size=chunk_size):
        recorded += _send_to(campaign=campaign, variants=variants, user=user, now=now)
    Campaign.objects.filter(pk=campaign.pk, status=Status.SENDING).update(status=Status.SENT, sent_at=now)
    logger.info("Campaign %s sent: %s new recipients", campaign.pk, recorded)
    return recorded


def campaigns_send_due(*, now: datetime.datetime | None = None) -> int:
    """What the beat task and `manage.py send_scheduled_campaigns` run every minute."""
    now = now or timezone.now()
    return sum(campaign_send(campaign_id=campaign_id, now=now) for campaign_id in campaigns_due(now=now))


def campaign_click_record(*, recipient: CampaignRecipient, url: str, now: datetime.datetime | None = None) -> None:
    """Every click is kept; the first one is also the recipient's click time (orders are attributed from it)."""
    now = now or timezone.now()
    with transaction.atomic():
        CampaignClick.objects.create(recipient=recipient, url=url[:500], created_at=now)
        CampaignRecipient.objects.filter(pk=recipient.pk, clicked_at__isnull=True).update(clicked_at=now)
