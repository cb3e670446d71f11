"""Reads of share rewards: which campaigns an order falls under, the fraud checks, and a sharer's progress."""

import datetime
import ipaddress
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Payment
from shop.accounts.models import Address, User
from shop.catalog.models import Category, Product
from shop.orders.models import Order, OrderLine
from social.shares.models import Attribution, KnownDevice

from .models import ShareCampaign, SharePurchase, ShareReward, ShareTier

# Purchases that count towards the tiers; the others wait for staff, were rejected or were refunded.
COUNTING = (SharePurchase.Status.COUNTED, SharePurchase.Status.APPROVED)
# Purchases a full refund turns into REFUNDED (a rejected one stays rejected).
REFUNDABLE = (SharePurchase.Status.COUNTED, SharePurchase.Status.REVIEW, SharePurchase.Status.APPROVED)

OWN_LINK = "own_link"
SAME_EMAIL = "same_email"
SAME_CARD = "same_card"
SAME_ADDRESS = "same_address"
SAME_DEVICE = "same_device"
NEW_ACCOUNTS_NETWORK = "new_accounts_network"
SAME_NETWORK = "same_network"
DAILY_CAP = "daily_cap"

REASON_LABELS = {
    OWN_LINK: gettext_lazy("Own link"),
    SAME_EMAIL: gettext_lazy("Same e-mail address"),
    SAME_CARD: gettext_lazy("Same card"),
    SAME_ADDRESS: gettext_lazy("Same shipping address"),
    SAME_DEVICE: gettext_lazy("Same browser"),
    NEW_ACCOUNTS_NETWORK: gettext_lazy("Many new accounts from one network"),
    SAME_NETWORK: gettext_lazy("Same network as the sharer"),
    DAILY_CAP: gettext_lazy("Over the daily cap"),
}

_DIGIT_DASH = re.compile(r"(?<=\d)[ー‐‑‒–—―−](?=\d)")
_SPACE = re.compile(r"\s+")


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


# --- Which campaigns an order counts for ---------------------------------------------------------------------------


def campaign_category_ids(*, campaign: ShareCampaign) -> set[int]:
    """The campaign's categories and every category below them."""
    ids = {category.pk for category in campaign.categories.all()}
    frontier = set(ids)
    while frontier:
        children = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= children
        frontier = children
    return ids


@dataclass(frozen=True)
class CampaignScope:
    """A campaign with the products and categories (subcategories included) its purchases must contain."""

    campaign: ShareCampaign
    product_ids: frozenset[int]
    category_ids: frozenset[int]

    @property
    def everything(self) -> bool:
        return not self.product_ids and not self.category_ids

    def lines_q(self, *, prefix: str = "") -> Q | None:
        """A filter on orders having a line in the scope; None when every product counts."""
        if self.everything:
            return None
        condition = Q()
        if self.product_ids:
            condition |= Q(**{f"{prefix}lines__variant__product_id__in": sorted(self.product_ids)})
        if self.category_ids:
            condition |= Q(**{f"{prefix}lines__variant__product__category_id__in": sorted(self.category_ids)})
        return condition

    def covers(self, *, paid_at: datetime.datetime, lines: set[tuple[int, int]]) -> bool:
        """Whether an order paid then with these (product id, category id) lines falls under the campaign."""
        if not self.campaign.starts_at <= paid_at <= self.campaign.ends_at:
            return False
        return self.everything or any(
            product_id in self.product_ids or category_id in self.category_ids for product_id, category_id in lines
        )


def campaign_scopes() -> list[CampaignScope]:
    """Every active campaign with its scope, read once for a whole tally."""
    campaigns = ShareCampaign.objects.filter(is_active=True).prefetch_related("products", "categories")
    return [
        CampaignScope(
            campaign=campaign,
            product_ids=frozenset(product.pk for product in campaign.products.all()),
            category_ids=frozenset(campaign_category_ids(campaign=campaign)),
        )
        for campaign in campaigns.order_by("-starts_at", "pk")
    ]


def order_lines_products(*, order_ids: list[int]) -> dict[int, set[tuple[int, int]]]:
    """{order id: {(product id, category id)}} of the orders' lines whose variant still exists."""
    lines: dict[int, set[tuple[int, int]]] = {}
    rows = OrderLine.objects.filter(order_id__in=order_ids, variant__isnull=False).values_list(
        "order_id", "variant__product_id", "variant__product__category_id"
    )
    for order_id, product_id, category_id in rows:
        lines.setdefault(order_id, set()).add((product_id, category_id))
    return lines


def campaign_unrecorded_order_ids(*, scope: CampaignScope) -> list[int]:
    """Paid, attributed orders in the campaign's period and products that have no share purchase for it yet."""
    campaign = scope.campaign
    attributions = Attribution.objects.filter(
        order__paid_at__gte=campaign.starts_at, order__paid_at__lte=campaign.ends_at
    ).filter(
        Q(status__in=[Attribution.Status.PENDING, Attribution.Status.CONFIRMED])
        | Q(status=Attribution.Status.REJECTED, reason=Attribution.Reason.SELF_PURCHASE)
    )
    condition = scope.lines_q(prefix="order__")
    if condition is not None:
        attributions = attributions.filter(condition)
    recorded = SharePurchase.objects.filter(campaign=campaign).values("order_id")
    return sorted(set(attributions.exclude(order_id__in=recorded).values_list("order_id", flat=True)))


def share_attributions_paid(*, order_ids: list[int]) -> list[Attribution]:
    """The attributions of those of these orders that are paid, with order, buyer and sharer, in order id order."""
    return list(
        Attribution.objects.select_related("order__user", "link__sharer")
        .filter(order_id__in=order_ids, order__paid_at__isnull=False)
        .order_by("order_id")
    )


def share_purchases_recorded(*, order_ids: list[int]) -> dict[int, set[int]]:
    """{order id: {campaign ids it has a purchase in}}."""
    recorded: dict[int, set[int]] = {}
    rows = SharePurchase.objects.filter(order_id__in=order_ids).values_list("order_id", "campaign_id")
    for order_id, campaign_id in rows:
        recorded.setdefault(order_id, set()).add(campaign_id)
    return recorded


def campaign_scope(*, campaign: ShareCampaign) -> tuple[list[Product], list[Category]]:
    """What the campaign page lists: its products (buyable ones) and categories; both empty means everything."""
    products = list(campaign.products.filter(is_active=True).order_by("name"))
    return products, list(campaign.categories.filter(is_active=True).order_by("position", "name"))


# --- Fraud checks --------------------------------------------------------------------------------------------------


def normalised_address(*, postal_code: str, prefecture: str, city: str, street: str, building: str) -> str:
    """One comparable string: NFKC (full-width digits and letters), no spaces, any dash between digits as "-"."""
    text = unicodedata.normalize("NFKC", "".join([postal_code, prefecture, city, street, building or ""]))
    return _DIGIT_DASH.sub("-", _SPACE.sub("", text)).casefold()


def _order_address(order: Order) -> str:
    return normalised_address(
        postal_code=order.ship_postal_code,
        prefecture=order.ship_prefecture,
        city=order.ship_city,
        street=order.ship_street,
        building=order.ship_building,
    )


def ip_network(address: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to: one household, office or small provider block."""
    try:
        parsed = ipaddress.ip_address(address) if address else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return ipaddress.ip_network(f"{parsed}/{24 if parsed.version == 4 else 48}", strict=False)


def _in_network(address: str | None, network) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address) in network
    except ValueError:
        return False


def _finding(code: str, detail: str) -> dict:
    return {"code": code, "detail": detail}


def _check_own_link(order: Order, attribution: Attribution, sharer: User) -> list[dict]:
    if order.user_id is not None and order.user_id == sharer.pk:
        return [_finding(OWN_LINK, _("The sharer bought through their own link while signed in."))]
    if attribution.status == Attribution.Status.REJECTED and attribution.reason == Attribution.Reason.SELF_PURCHASE:
        return [_finding(OWN_LINK, _("The attribution was rejected as the sharer's own purchase."))]
    return []


def _check_same_email(order: Order, sharer: User) -> list[dict]:
    if order.email and sharer.email and order.email.strip().casefold() == sharer.email.strip().casefold():
        return [_finding(SAME_EMAIL, _("The order's e-mail address is the sharer's."))]
    return []


def _check_same_card(order: Order, sharer: User) -> list[dict]:
    fingerprints = set(
        Payment.objects.filter(order=order, method=Order.PaymentMethod.CARD, status=Payment.Status.SUCCEEDED)
        .exclude(card_fingerprint="")
        .values_list("card_fingerprint", flat=True)
    )
    if not fingerprints:
        return []
    match = (
        Payment.objects.filter(order__user=sharer, method=Order.PaymentMethod.CARD, card_fingerprint__in=fingerprints)
        .exclude(order=order)
        .select_related("order")
        .order_by("pk")
        .first()
    )
    if match is None:
        return []
    return [
        _finding(
            SAME_CARD,
            _("Paid with the same card (%(brand)s •••• %(last4)s) as the sharer's order %(number)s.")
            % {"brand": match.card_brand, "last4": match.card_last4, "number": match.order.number},
        )
    ]


def _check_same_address(order: Order, sharer: User) -> list[dict]:
    address = _order_address(order)
    for saved in Address.objects.filter(user=sharer):
        fields = saved.as_dict()
        fields.pop("name"), fields.pop("phone")
        if normalised_address(**fields) == address:
            return [_finding(SAME_ADDRESS, _("Ships to an address the sharer saved in their account."))]
    for other in Order.objects.filter(user=sharer).exclude(pk=order.pk).order_by("pk"):
        if _order_address(other) == address:
            return [
                _finding(
                    SAME_ADDRESS,
                    _("Ships to the address of the sharer's order %(number)s.") % {"number": other.number},
                )
            ]
    return []


def _check_same_device(attribution: Attribution, sharer: User) -> list[dict]:
    if not attribution.visitor_key:
        return []
    device = KnownDevice.objects.filter(user=sharer, visitor_key=attribution.visitor_key).first()
    if device is None:
        return []
    return [
        _finding(
            SAME_DEVICE,
            _("Ordered from a browser the sharer has signed in from (first seen %(date)s).")
            % {"date": formats.date_format(timezone.localtime(device.first_seen), "SHORT_DATE_FORMAT")},
        )
    ]


def _check_network(
    order: Order, attribution: Attribution, sharer: User, campaigns: list[ShareCampaign]
) -> dict[int, list[dict]]:
    """{campaign id: findings}: a member's network is judged by each campaign's window and limit."""
    buyer = order.user
    if buyer is None:
        found = _check_guest_network(attribution, sharer)
        return {campaign.pk: found for campaign in campaigns}
    network = ip_network(buyer.signup_ip)
    if network is None:
        return {campaign.pk: [] for campaign in campaigns}
    # The widest window once; each campaign counts the accounts inside its own.
    widest = datetime.timedelta(hours=max(campaign.network_window_hours for campaign in campaigns))
    neighbours = (
        User.objects.filter(
            signup_ip__isnull=False,
            date_joined__gte=buyer.date_joined - widest,
            date_joined__lte=buyer.date_joined + widest,
        )
        .exclude(pk=buyer.pk)
        .values_list("signup_ip", "date_joined")
    )
    joined = [when for address, when in neighbours if _in_network(address, network)]
    found = {}
    for campaign in campaigns:
        window = datetime.timedelta(hours=campaign.network_window_hours)
        others = sum(1 for when in joined if abs(when - buyer.date_joined) <= window)
        found[campaign.pk] = []
        if others >= campaign.network_max_accounts:
            detail = _(
                "The buyer's account is one of %(count)s made from the network %(network)s within %(hours)s hours."
            ) % {"count": others + 1, "network": network, "hours": campaign.network_window_hours}
            found[campaign.pk] = [_finding(NEW_ACCOUNTS_NETWORK, detail)]
    return found


def _check_guest_network(attribution: Attribution, sharer: User) -> list[dict]:
    # A guest has no account to compare; the network the order came from is compared with the sharer's sign-ins.
    network = ip_network(attribution.buyer_ip)
    if network is None:
        return []
    sharer_ips = KnownDevice.objects.filter(user=sharer, ip__isnull=False).values_list("ip", flat=True)
    if any(_in_network(address, network) for address in sharer_ips):
        return [
            _finding(
                SAME_NETWORK,
                _("The guest ordered from the network %(network)s, which the sharer signs in from.")
                % {"network": network},
            )
        ]
    return []


def share_purchase_findings(
    *, campaigns: list[ShareCampaign], order: Order, attribution: Attribution
) -> dict[int, list[dict]]:
    """Every fraud check but the daily cap (which depends on the other purchases, counted under a lock), run once
    for the order: {campaign id: findings}. Only the network check depends on the campaign.

    Each finding is {"code": ..., "detail": ...}, the detail a sentence for staff in the active language.
    """
    sharer = attribution.link.sharer
    common = [
        *_check_own_link(order, attribution, sharer),
        *_check_same_email(order, sharer),
        *_check_same_card(order, sharer),
        *_check_same_address(order, sharer),
        *_check_same_device(attribution, sharer),
    ]
    network = _check_network(order, attribution, sharer, campaigns)
    return {campaign.pk: [*common, *network[campaign.pk]] for campaign in campaigns}


def share_purchases_counted_by_day(*, campaign_id: int, sharer_days: set[tuple[int, datetime.date]]) -> Counter:
    """Purchases counting for each (sharer, day) whose payment fell on that day (Japan time)."""
    if not sharer_days:
        return Counter()
    days = {day for _sharer_id, day in sharer_days}
    start = timezone.make_aware(datetime.datetime.combine(min(days), datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(max(days), datetime.time.min)) + datetime.timedelta(days=1)
    paid = SharePurchase.objects.filter(
        campaign_id=campaign_id,
        sharer_id__in={sharer_id for sharer_id, _day in sharer_days},
        status__in=COUNTING,
        paid_at__gte=start,
        paid_at__lt=end,
    ).values_list("sharer_id", "paid_at")
    return Counter((sharer_id, timezone.localdate(paid_at)) for sharer_id, paid_at in paid)


def share_buyers_counted(*, campaign_id: int, sharer_id: int) -> list[tuple[str, datetime.datetime]]:
    """The distinct buyers counting for the sharer, each with their first counted payment, earliest first."""
    first: dict[str, datetime.datetime] = {}
    purchases = SharePurchase.objects.filter(campaign_id=campaign_id, sharer_id=sharer_id, status__in=COUNTING)
    for buyer_key, paid_at in purchases.order_by("paid_at", "pk").values_list("buyer_key", "paid_at"):
        first.setdefault(buyer_key, paid_at)
    return list(first.items())


# --- The shopper's page --------------------------------------------------------------------------------------------


@dataclass
class TierProgress:
    tier: ShareTier
    reached: bool
    reward: ShareReward | None = None


@dataclass
class CampaignProgress:
    campaign: ShareCampaign
    buyers: int
    tiers: list[TierProgress]
    next_tier: ShareTier | None
    remaining: int
    in_review: int
    pending: list[ShareReward] = field(default_factory=list)
    confirmed: list[ShareReward] = field(default_factory=list)

    @property
    def is_running(self) -> bool:
        return self.campaign.starts_at <= timezone.now() <= self.campaign.ends_at


def share_rewards_for_sharer(
    *, user, now: datetime.datetime | None = None, recent_days: int = 180
) -> list[CampaignProgress]:
    """The sharer's campaigns (running or ended within recent_days, or with a reward) and their progress.

    Only counts leave this function: never who bought.
    """
    now = now or timezone.now()
    purchases = list(SharePurchase.objects.filter(sharer=user).values_list("campaign_id", "buyer_key", "status"))
    rewards = list(
        ShareReward.objects.filter(sharer=user).select_related("tier__coupon", "coupon").order_by("tier__buyers")
    )
    campaign_ids = {campaign_id for campaign_id, _key, _status in purchases} | {r.campaign_id for r in rewards}
    with_reward = {r.campaign_id for r in rewards if r.status != ShareReward.Status.CANCELLED}
    campaigns = (
        ShareCampaign.objects.filter(pk__in=campaign_ids)
        .filter(Q(ends_at__gte=now - datetime.timedelta(days=recent_days)) | Q(pk__in=with_reward))
        .prefetch_related("tiers")
        .order_by("-ends_at", "pk")
    )
    result = []
    for campaign in campaigns:
        buyers = len({key for cid, key, status in purchases if cid == campaign.pk and status in COUNTING})
        in_review = sum(
            1 for cid, _k, status in purchases if cid == campaign.pk and status == SharePurchase.Status.REVIEW
        )
        by_tier = {r.tier_id: r for r in rewards if r.campaign_id == campaign.pk}
        tiers = [
            TierProgress(tier=tier, reached=buyers >= tier.buyers, reward=by_tier.get(tier.pk))
            for tier in campaign.tiers.all()
        ]
        next_tier = next((row.tier for row in tiers if not row.reached), None)
        result.append(
            CampaignProgress(
                campaign=campaign,
                buyers=buyers,
                tiers=tiers,
                next_tier=next_tier,
                remaining=(next_tier.buyers - buyers) if next_tier else 0,
                in_review=in_review,
                pending=[r for r in by_tier.values() if r.status == ShareReward.Status.PENDING],
                confirmed=[r for r in by_tier.values() if r.status == ShareReward.Status.CONFIRMED],
            )
        )
    return result


def share_campaigns_running(*, now: datetime.datetime | None = None) -> list[ShareCampaign]:
    now = now or timezone.now()
    return list(
        ShareCampaign.objects.filter(is_active=True, starts_at__lte=now, ends_at__gte=now)
        .prefetch_related("tiers")
        .order_by("ends_at", "pk")
    )


def share_campaign_public(*, campaign_id: int) -> ShareCampaign | None:
    """A campaign as shown to anyone: active ones only."""
    return ShareCampaign.objects.filter(pk=campaign_id, is_active=True).prefetch_related("tiers__coupon").first()
