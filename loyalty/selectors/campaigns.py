"""Reads for campaigns: who is in a segment, the banned-word check, where a tracked link goes, results per variant."""

import datetime
import hashlib
import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from shop.accounts.models import Consent
from shop.notifications.models import Notification
from shop.orders.models import CartLine, Order, OrderLine

from ..models import BannedWord, Campaign, CampaignRecipient, CampaignVariant, CouponRedemption, Segment

# Age band and gender are used for targeting only with this consent: choosing who gets which offer from someone's
# profile is personalisation ("We use what you view, like and buy to recommend ..."), not marketing as such.
PROFILE_CONSENT = Consent.Purpose.PERSONALISATION
ATTRIBUTION_WINDOW = datetime.timedelta(days=7)
# Orders that count as bought: paid and not (fully) cancelled or refunded.
NOT_BOUGHT = [Order.Status.PENDING_PAYMENT, Order.Status.CANCELLED, Order.Status.REFUNDED]


def _paid_orders():
    return Order.objects.filter(paid_at__isnull=False).exclude(status__in=NOT_BOUGHT)


def segment_users(
    *, segment: Segment, rank_ids: list[int] | None = None, now: datetime.datetime | None = None
) -> QuerySet:
    """Active, not anonymised members matching every condition the segment sets, as one query (subqueries only).

    rank_ids: the ranks to use instead of the segment's saved ones (the admin's count of a form not saved yet).
    """
    now = now or timezone.now()
    users = get_user_model().objects.filter(is_active=True, anonymised_at__isnull=True)
    paid = _paid_orders().filter(user=OuterRef("pk"))

    if segment.bought_product_id or segment.bought_category_id:
        lines = OrderLine.objects.filter(order__user=OuterRef("pk"), order__paid_at__isnull=False).exclude(
            order__status__in=NOT_BOUGHT
        )
        if segment.bought_within_days is not None:
            lines = lines.filter(order__paid_at__gte=now - datetime.timedelta(days=segment.bought_within_days))
        if segment.bought_product_id:
            lines = lines.filter(variant__product_id=segment.bought_product_id)
        if segment.bought_category_id:
            # Three levels of the category tree, in the same query.
            category = segment.bought_category_id
            lines = lines.filter(
                Q(variant__product__category_id=category)
                | Q(variant__product__category__parent_id=category)
                | Q(variant__product__category__parent__parent_id=category)
            )
        users = users.filter(Exists(lines))
    elif segment.bought_within_days is not None:
        users = users.filter(
            Exists(paid.filter(paid_at__gte=now - datetime.timedelta(days=segment.bought_within_days)))
        )

    if segment.min_spend is not None:
        spend = paid
        if segment.spend_within_days is not None:
            spend = spend.filter(paid_at__gte=now - datetime.timedelta(days=segment.spend_within_days))
        spend = spend.order_by().values("user").annotate(total=Sum(F("total") - F("refunded_amount"))).values("total")
        users = users.alias(spend=Subquery(spend)).filter(spend__gte=segment.min_spend)

    if segment.no_order_days is not None:
        recent = paid.filter(paid_at__gte=now - datetime.timedelta(days=segment.no_order_days))
        users = users.filter(Exists(paid)).exclude(Exists(recent))

    if segment.abandoned_cart_hours is not None:
        stale = CartLine.objects.filter(
            cart__user=OuterRef("pk"), updated_at__lte=now - datetime.timedelta(hours=segment.abandoned_cart_hours)
        ).exclude(Exists(Order.objects.filter(user=OuterRef("cart__user"), created_at__gte=OuterRef("updated_at"))))
        users = users.filter(Exists(stale))

    rank_ids = list(segment.ranks.values_list("pk", flat=True)) if rank_ids is None and segment.pk else rank_ids
    if rank_ids:
        users = users.filter(point_account__rank_id__in=rank_ids)

    if segment.line_linked is not None:
        users = users.filter(line_link__isnull=not segment.line_linked)

    if segment.age_bands or segment.genders:
        latest = Consent.objects.filter(user=OuterRef("pk"), purpose=PROFILE_CONSENT).order_by("-created_at", "-id")
        users = users.alias(profile_consent=Subquery(latest.values("granted")[:1])).filter(profile_consent=True)
        if segment.age_bands:
            users = users.filter(age_band__in=segment.age_bands)
        if segment.genders:
            users = users.filter(gender__in=segment.genders)
    return users.order_by("pk")


def segment_count(*, segment: Segment, rank_ids: list[int] | None = None) -> int:
    return segment_users(segment=segment, rank_ids=rank_ids).count()


def segment_reachable_count(*, segment: Segment, rank_ids: list[int] | None = None) -> int:
    """Members of the segment who currently consent to marketing (the others get nothing from a campaign)."""
    latest = Consent.objects.filter(user=OuterRef("pk"), purpose=Consent.Purpose.MARKETING).order_by(
        "-created_at", "-id"
    )
    return (
        segment_users(segment=segment, rank_ids=rank_ids)
        .alias(marketing=Subquery(latest.values("granted")[:1]))
        .filter(marketing=True)
        .count()
    )


# --- Content check ----------------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """NFKC folds full-width letters and half-width katakana, casefold ignores case: ＳＡＬＥ, sale and SALE match."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def banned_words_in(*, texts: list[str]) -> list[str]:
    """The banned words (as staff wrote them) found in any of the texts."""
    haystack = "\n".join(_normalise(text) for text in texts)
    return [word for word in BannedWord.objects.values_list("word", flat=True) if _normalise(word) in haystack]


def campaign_texts(*, campaign: Campaign) -> list[str]:
    texts = [campaign.subject, campaign.text]
    if campaign.pk:
        for variant in campaign.variants.all():
            texts += [variant.subject, variant.text]
    return texts


def campaign_banned_words(*, campaign: Campaign) -> list[str]:
    return banned_words_in(texts=campaign_texts(campaign=campaign))


# --- Variants and links -----------------------------------------------------------------------------------------------


def campaign_variant_for(
    *, campaign: Campaign, variants: list[CampaignVariant], user_id: int
) -> CampaignVariant | None:
    """The same member always gets the same variant of a campaign: a hash of the campaign and user ids picks a
    point on the variants' weights."""
    if not variants:
        return None
    total = sum(variant.weight for variant in variants)
    digest = hashlib.sha256(f"{campaign.pk}:{user_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in variants:
        if point < variant.weight:
            return variant
        point -= variant.weight
    return variants[-1]


def campaign_message_for(*, campaign: Campaign, variant: CampaignVariant | None) -> tuple[str, str]:
    subject = (variant.subject if variant else "") or campaign.subject
    text = (variant.text if variant else "") or campaign.text
    return subject, text


def safe_internal_path(path: str) -> bool:
    """A path on this shop ("/features/summer/"), never another site, "//host" or a scheme."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    return url_has_allowed_host_and_scheme(path, allowed_hosts=set(), require_https=False)


def campaign_target_path(*, campaign: Campaign, target: str = "") -> str:
    """Where a tracked link of the campaign leads: the survey for ?to=survey, else the product, the staff-set
    page of this shop, or the home page. An unsafe link_path falls back to the home page."""
    if target == "survey" and campaign.survey_id:
        return campaign.survey.get_absolute_url()
    if campaign.product_id:
        return campaign.product.get_absolute_url()
    if campaign.link_path and safe_internal_path(campaign.link_path):
        return campaign.link_path
    if campaign.survey_id:
        return campaign.survey.get_absolute_url()
    return reverse("catalog:home")


def recipient_by_token(*, token: str) -> CampaignRecipient | None:
    return CampaignRecipient.objects.select_related("campaign__product", "campaign__survey").filter(token=token).first()


# --- Results ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantResult:
    label: str
    recipients: int
    sent: int
    delivered: int
    skipped: int
    clicked: int
    orders: int
    coupon_uses: int
    is_total: bool = False

    @property
    def click_rate(self) -> str:
        return f"{self.clicked * 100 / self.sent:.1f}%" if self.sent else "–"


def _messages(status_in: list[str] | None = None, status_not_in: list[str] | None = None):
    rows = Notification.objects.filter(batch_key=OuterRef("message_key"))
    if status_in is not None:
        rows = rows.filter(status__in=status_in)
    if status_not_in is not None:
        rows = rows.exclude(status__in=status_not_in)
    return Exists(rows)


def campaign_results(*, campaign: Campaign) -> list[VariantResult]:
    """One row per variant (or one row "–" without variants), then the total when there are several.

    sent: recipients with a message written to the outbox for delivery (not skipped for consent, preference or
    the weekly cap); delivered: a channel reported it sent; clicked: opened a tracked link; orders: paid orders
    (not cancelled or refunded) by recipients within 7 days after their first click; coupon uses: the campaign's
    personal coupon copies used on a paid order.
    """
    Status = Notification.Status
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    counts = {
        row["variant_id"]: row
        for row in recipients.order_by()
        .values("variant_id")
        .annotate(
            recipients=Count("pk"),
            sent=Count("pk", filter=Q(_messages(status_not_in=[Status.SKIPPED, Status.CANCELLED]))),
            delivered=Count("pk", filter=Q(_messages(status_in=[Status.SENT]))),
            skipped=Count("pk", filter=~Q(_messages(status_not_in=[Status.SKIPPED, Status.CANCELLED]))),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
    }
    attributed = (
        _paid_orders()
        .filter(
            Exists(
                CampaignRecipient.objects.filter(
                    campaign=campaign,
                    user=OuterRef("user"),
                    clicked_at__isnull=False,
                    clicked_at__lte=OuterRef("paid_at"),
                    clicked_at__gte=OuterRef("paid_at") - ATTRIBUTION_WINDOW,
                ).values("pk")
            )
        )
        .annotate(
            variant_id=Subquery(
                CampaignRecipient.objects.filter(campaign=campaign, user=OuterRef("user")).values("variant_id")[:1]
            )
        )
        .order_by()
        .values("variant_id")
        .annotate(n=Count("pk"))
    )
    orders = {row["variant_id"]: row["n"] for row in attributed}
    uses = (
        CouponRedemption.objects.filter(
            status=CouponRedemption.Status.USED, coupon__issue_key=campaign_coupon_key(campaign=campaign)
        )
        .annotate(
            variant_id=Subquery(
                CampaignRecipient.objects.filter(campaign=campaign, user=OuterRef("coupon__owner")).values(
                    "variant_id"
                )[:1]
            )
        )
        .order_by()
        .values("variant_id")
        .annotate(n=Count("pk"))
    )
    coupon_uses = {row["variant_id"]: row["n"] for row in uses}

    variants = [(variant.pk, variant.label) for variant in campaign.variants.all()] or [(None, "–")]
    rows = []
    for variant_id, label in variants:
        row = counts.get(variant_id, {})
        rows.append(
            VariantResult(
                label=label,
                recipients=row.get("recipients", 0),
                sent=row.get("sent", 0),
                delivered=row.get("delivered", 0),
                skipped=row.get("skipped", 0),
                clicked=row.get("clicked", 0),
                orders=orders.get(variant_id, 0),
                coupon_uses=coupon_uses.get(variant_id, 0),
            )
        )
    if len(rows) > 1:
        rows.append(
            VariantResult(
                label=_("Total"),
                is_total=True,
                **{
                    name: sum(getattr(row, name) for row in rows)
                    for name in ("recipients", "sent", "delivered", "skipped", "clicked", "orders", "coupon_uses")
                },
            )
        )
    return rows


def campaign_coupon_key(*, campaign: Campaign) -> str:
    return f"campaign:{campaign.pk}"


def campaigns_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Scheduled campaigns whose time has come, and any a stopped worker left half sent (sending is idempotent)."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            Q(status=Campaign.Status.SCHEDULED, send_at__lte=now) | Q(status=Campaign.Status.SENDING)
        )
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )
