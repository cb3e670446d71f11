from dataclasses import dataclass

from django.db.models import Expression, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce

from shop.catalog.models import ProductImage
from shop.core.compiled import CompiledQuery
from shop.core.money import Money

from .models import Cart, CartLine, Order
from .services import SESSION_CART_KEY


@dataclass
class CartView:
    cart: Cart | None
    lines: list[CartLine]
    total: Money

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)


def cart_find(*, user, session) -> Cart | None:
    """The shopper's cart if they have one; never creates one."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    token = session.get(SESSION_CART_KEY)
    return Cart.objects.filter(token=token, user__isnull=True).first() if token else None


def _member_units(user):
    """A member's units in their cart (none: no row); `user` an id or OuterRef("pk")."""
    return (
        CartLine.objects.filter(cart__user_id=user)
        .order_by()
        .values("cart__user_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )


def member_cart_units() -> Expression:
    """The units as a column of the user's own statement (shop.accounts.backends.user_extra_register, in
    OrdersConfig.ready): the badge is on every page a member sees, and this saves it a statement."""
    return Coalesce(Subquery(_member_units(OuterRef("pk"))), 0)


# A member's units, compiled once (shop.core.compiled), when the user was not read with them.
_MEMBER_UNITS = CompiledQuery(
    lambda *, user_id: _member_units(user_id),
    "user_id",
)


def cart_item_count(*, user, session, user_read_now: bool = False) -> int:
    """Units in the cart, in one query, for the header badge. user_read_now: nothing changed the cart since the user
    was read, so their `cart_units` (member_cart_units) are current."""
    if user is not None and user.is_authenticated:
        units = getattr(user, "cart_units", None)
        if user_read_now and units is not None:
            return units
        rows = _MEMBER_UNITS.rows(user_id=user.pk)
        return rows[0]["total"] if rows else 0
    token = session.get(SESSION_CART_KEY)
    if not token:
        return 0
    lines = CartLine.objects.filter(cart__token=token, cart__user__isnull=True)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


def cart_view(*, cart: Cart | None) -> CartView:
    """Lines with variant, product and first image; each line notes a stock problem if it has one."""
    if cart is None:
        return CartView(cart=None, lines=[], total=Money.zero())
    lines = list(
        cart.lines.select_related("variant__product").prefetch_related(
            Prefetch("variant__product__images", queryset=ProductImage.objects.order_by("position", "id"))
        )
    )
    for line in lines:
        variant = line.variant
        line.unit_price = variant.price_money
        line.subtotal = variant.price_money * line.quantity
        line.max_quantity = max(1, variant.max_quantity)
        if not variant.is_active or not variant.product.is_buyable or variant.stock <= 0:
            line.problem = "sold_out"
        elif line.quantity > variant.stock:
            line.problem = "too_many"
        else:
            line.problem = ""
    total = Money.sum((line.subtotal for line in lines), currency="JPY")
    return CartView(cart=cart, lines=lines, total=total)


def order_for_visitor(*, number: str, user, session_numbers: list[str]) -> Order | None:
    """The order if this visitor may see it: its signed-in owner, or the browser session that placed it."""
    order = Order.objects.filter(number=number).select_related("user").first()
    if order is None:
        return None
    if user is not None and user.is_authenticated and order.user_id == user.pk:
        return order
    return order if number in session_numbers else None


def order_list_for_user(*, user):
    return Order.objects.filter(user=user).prefetch_related("lines").order_by("-created_at")


def order_detail(*, order: Order) -> Order:
    return Order.objects.filter(pk=order.pk).prefetch_related("lines", "events").get()
