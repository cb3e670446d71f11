"""Reads of recommendations: the lists a page shows, from the precomputed table, in one query (plus the images)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, Sum
from django.utils import timezone

from shop.accounts.models import Consent
from shop.accounts.privacy_selectors import consent_current
from shop.catalog.models import Product, ProductImage

from .models import Recommendation, RecommendationStat, Slot

LIMIT = 8


@dataclass
class RecommendationBlock:
    slot: str
    products: list[Product] = field(default_factory=list)
    personal: bool = False
    source: str = ""  # which list was shown: "personal", "bought_together", "category", "popular"


def personalisation_allowed(*, user) -> bool:
    """Personal lists only with the personalisation consent (the latest record wins; none means no)."""
    return bool(
        user is not None
        and user.is_authenticated
        and consent_current(user=user, purpose=Consent.Purpose.PERSONALISATION)
    )


def _rows(condition: Q) -> list[Recommendation]:
    now = timezone.now()
    return list(
        Recommendation.objects.filter(condition, product__is_active=True, product__in_stock=True)
        .filter(Q(product__available_until__isnull=True) | Q(product__available_until__gt=now))
        .select_related("product")
        .prefetch_related(Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by("position", "pk")
    )


def _pick(rows, preferences: list[tuple[str, str, str]], *, exclude=frozenset(), limit=LIMIT):
    """The first list in order of preference that has items; (products, source)."""
    for slot, key, source in preferences:
        products = [
            row.product for row in rows if row.slot == slot and row.key == key and row.product_id not in exclude
        ]
        if products:
            return products[:limit], source
    return [], ""


def recommendations_for_page(
    *,
    slot: str,
    user=None,
    personal: bool = False,
    product_id: int | None = None,
    category_id: int | None = None,
    cart_product_ids: list[int] | tuple = (),
    landing_category_id: int | None = None,
    limit: int = LIMIT,
) -> RecommendationBlock:
    """What a slot shows, read in one query joined to the products (and one for their images).

    home: "for you" (with consent), else popular in the category the visitor came in through, else popular.
    product: bought together with this product, else popular in its category, else popular.
    cart: bought together with the items in the cart (best rank first), else "for you" (with consent), else popular.
    """
    personal = personal and user is not None and user.is_authenticated
    user_key = str(user.pk) if personal else None
    if slot == Slot.PRODUCT:
        preferences = [(Slot.PRODUCT, str(product_id), "bought_together")]
        if category_id:
            preferences.append((Slot.HOME, f"category:{category_id}", "category"))
        preferences.append((Slot.HOME, "popular", "popular"))
        exclude = {product_id}
    elif slot == Slot.CART:
        preferences = [(Slot.PRODUCT, str(pid), "bought_together") for pid in cart_product_ids]
        if user_key:
            preferences.append((Slot.HOME, user_key, "personal"))
        preferences.append((Slot.HOME, "popular", "popular"))
        exclude = set(cart_product_ids)
    else:
        preferences = [(Slot.HOME, user_key, "personal")] if user_key else []
        if landing_category_id:
            preferences.append((Slot.HOME, f"category:{landing_category_id}", "category"))
        preferences.append((Slot.HOME, "popular", "popular"))
        exclude = set()
    condition = Q()
    for list_slot, key, _source in preferences:
        condition |= Q(slot=list_slot, key=key)
    rows = _rows(condition)
    if slot == Slot.CART and cart_product_ids:
        # Several items: merge their "bought together" lists by best rank, then fill from the other lists.
        merged: dict[int, tuple[int, Product]] = {}
        for row in rows:
            if row.slot == Slot.PRODUCT and row.product_id not in exclude:
                best = merged.get(row.product_id)
                if best is None or row.position < best[0]:
                    merged[row.product_id] = (row.position, row.product)
        products = [product for _position, product in sorted(merged.values(), key=lambda item: (item[0], item[1].pk))]
        if products:
            return RecommendationBlock(slot=slot, products=products[:limit], source="bought_together")
        preferences = [pref for pref in preferences if pref[0] == Slot.HOME]
    products, source = _pick(rows, preferences, exclude=exclude, limit=limit)
    return RecommendationBlock(slot=slot, products=products, personal=source == "personal", source=source)


def segment_related_products(product_id: int, *, limit: int = LIMIT) -> list[int]:
    """Products bought together with this one (the product page's list), best first: for coupons on related items
    offered to the buyers of a product."""
    return list(
        Recommendation.objects.filter(slot=Slot.PRODUCT, key=str(product_id))
        .order_by("position")
        .values_list("product_id", flat=True)[:limit]
    )


@dataclass(frozen=True)
class SlotTotals:
    slot: str
    label: str
    impressions: int
    clicks: int
    attributed_orders: int

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None


def recommendation_slot_totals(*, since=None) -> list[SlotTotals]:
    """Impressions, clicks, CTR and attributed orders per slot (one query)."""
    rows = RecommendationStat.objects.all()
    if since is not None:
        rows = rows.filter(day__gte=since)
    sums = {
        row["slot"]: row
        for row in rows.values("slot").annotate(
            impressions_sum=Sum("impressions"), clicks_sum=Sum("clicks"), orders_sum=Sum("attributed_orders")
        )
    }
    return [
        SlotTotals(
            slot=slot.value,
            label=slot.label,
            impressions=(sums.get(slot.value) or {}).get("impressions_sum") or 0,
            clicks=(sums.get(slot.value) or {}).get("clicks_sum") or 0,
            attributed_orders=(sums.get(slot.value) or {}).get("orders_sum") or 0,
        )
        for slot in Slot
    ]
