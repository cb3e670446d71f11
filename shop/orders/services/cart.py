from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.catalog.models import Variant

from ..exceptions import CartError
from ..hooks import purchase_problems
from ..models import Cart, CartLine

SESSION_CART_KEY = "cart_token"


def _check_quantity(*, variant: Variant, quantity: int) -> None:
    if quantity < 1:
        raise CartError(_("Please enter a quantity of 1 or more."))
    if quantity > settings.SHOP_MAX_LINE_QUANTITY:
        raise CartError(
            _("You can buy at most %(max)d of one item per order.") % {"max": settings.SHOP_MAX_LINE_QUANTITY}
        )
    if not variant.is_active or not variant.product.is_buyable or variant.stock <= 0:
        raise CartError(_("Sorry, “%(item)s” is sold out.") % {"item": variant})
    if quantity > variant.stock:
        raise CartError(
            _("Only %(stock)d of “%(item)s” left. Please choose %(stock)d or fewer.")
            % {"stock": variant.stock, "item": variant}
        )


def cart_get_or_create(*, user, session) -> Cart:
    """The shopper's cart, created on first use. Guests' carts are tied to their session by token."""
    if user is not None and user.is_authenticated:
        cart, _created = Cart.objects.get_or_create(user=user)
        cart.user = user  # the access checks read it: no query
        return cart
    token = session.get(SESSION_CART_KEY)
    cart = Cart.objects.filter(token=token, user__isnull=True).first() if token else None
    if cart is None:
        cart = Cart.objects.create()
        session[SESSION_CART_KEY] = str(cart.token)
    return cart


def _line_limit(variant: Variant) -> int:
    """The most units of the variant one cart line may hold."""
    return min(variant.stock, settings.SHOP_MAX_LINE_QUANTITY)


def cart_add(*, cart: Cart, variant_id: int, quantity: int) -> CartLine:
    """Add units of a variant; the line's total may not exceed the stock nor the most one line may hold.

    The units go in with one statement (`_line_add`): two tabs adding at once cannot pass the limit together, and a
    double click adds twice or says how many are left, never more."""
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None:
        raise CartError(_("This item is no longer available."))
    _check_quantity(variant=variant, quantity=quantity)
    # Access rules (members-only sales, early access) belong to higher layers, which this one cannot import:
    # they register their checks in shop.orders.hooks, so a crafted POST is refused here too.
    problems = purchase_problems(user=cart.user if cart.user_id else None, variants=[variant])
    if problems:
        raise CartError(" ".join(problems))
    added = _line_add(cart_id=cart.pk, variant_id=variant.pk, quantity=quantity, limit=_line_limit(variant))
    if added is None:  # the line already holds so many that the total would pass the limit: say which one
        held = CartLine.objects.filter(cart=cart, variant=variant).values_list("quantity", flat=True).first() or 0
        _check_quantity(variant=variant, quantity=held + quantity)
        raise CartError(_("Sorry, “%(item)s” is sold out.") % {"item": variant})  # the stock went meanwhile
    line_id, total = added
    # The caller's message reads the variant and its product, already loaded: no query.
    line = CartLine(pk=line_id, cart=cart, variant=variant, quantity=total)
    line._state.adding = False
    return line


_LINE_ADD_SQL = (
    "INSERT INTO orders_cartline (created_at, updated_at, cart_id, variant_id, quantity) VALUES (%s, %s, %s, %s, %s)"
    " ON CONFLICT (cart_id, variant_id) DO UPDATE"
    " SET quantity = orders_cartline.quantity + excluded.quantity, updated_at = excluded.updated_at"
    " WHERE orders_cartline.quantity + excluded.quantity <= %s"
    " RETURNING id, quantity"
)


def _line_add(*, cart_id: int, variant_id: int, quantity: int, limit: int) -> tuple[int, int] | None:
    """Insert the line, or add to the existing one if the new total stays within limit: (line id, new quantity),
    or None when the total would pass the limit (nothing changed). PostgreSQL and SQLite both take this upsert."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_LINE_ADD_SQL, [now, now, cart_id, variant_id, quantity, limit])
        return cursor.fetchone()


def cart_line_set_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine:
    with transaction.atomic():
        line = (
            CartLine.objects.select_for_update()
            .select_related("variant__product")
            .filter(pk=line_id, cart=cart)
            .first()
        )
        if line is None:
            raise CartError(_("That item is no longer in your cart."))
        _check_quantity(variant=line.variant, quantity=quantity)
        line.quantity = quantity
        line.save(update_fields=["quantity", "updated_at"])
        return line


def cart_line_remove(*, cart: Cart, line_id: int) -> None:
    deleted, _rows = CartLine.objects.filter(pk=line_id, cart=cart).delete()
    if not deleted:
        raise CartError(_("That item is no longer in your cart."))


def cart_merge_guest_into_user(*, user, session) -> Cart | None:
    """At sign-in, move the guest cart's lines into the user's cart (quantities added, capped at stock)."""
    token = session.get(SESSION_CART_KEY)
    if not token:
        return None
    with transaction.atomic():
        guest = Cart.objects.select_for_update().filter(token=token, user__isnull=True).first()
        session.pop(SESSION_CART_KEY, None)
        if guest is None:
            return None
        cart, _created = Cart.objects.get_or_create(user=user)
        existing = {line.variant_id: line for line in CartLine.objects.select_for_update().filter(cart=cart)}
        for line in guest.lines.select_related("variant"):
            limit = _line_limit(line.variant)
            target = existing.get(line.variant_id)
            if target:
                target.quantity = max(1, min(target.quantity + line.quantity, limit))
                target.save(update_fields=["quantity", "updated_at"])
            elif limit > 0:
                CartLine.objects.create(cart=cart, variant=line.variant, quantity=min(line.quantity, limit))
        guest.delete()
        return cart
