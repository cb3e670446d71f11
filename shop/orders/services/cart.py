import datetime
import uuid
from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.catalog.models import Product, Variant

from ..exceptions import CartError
from ..hooks import purchase_checks_needed_sql, purchase_problems
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
    double click adds twice or says how many are left, never more. The line returned carries `cart_units`, the
    units in the whole cart after the add (for the header badge)."""
    item = _item_read(cart_where=_CART_WITH_ID, cart_key=cart.pk, variant_id=variant_id)
    _item_check(item, quantity=quantity, user=lambda: cart.user if cart.user_id else None)
    return _line_add_within_limit(cart_id=cart.pk, variant=item.variant, quantity=quantity)


def cart_add_for_shopper(*, user, session, variant_id: int, quantity: int) -> CartLine:
    """cart_add to the shopper's own cart (created on first use), found in the statement that reads the item."""
    if user is not None and user.is_authenticated:
        cart_where, cart_key = _CART_OF_USER, user.pk
    else:
        cart_where, cart_key = _CART_OF_GUEST, _token_value(session.get(SESSION_CART_KEY))
        user = None
    item = _item_read(cart_where=cart_where, cart_key=cart_key, variant_id=variant_id)
    _item_check(item, quantity=quantity, user=lambda: user)
    cart_id = item.cart_id or cart_get_or_create(user=user, session=session).pk
    return _line_add_within_limit(cart_id=cart_id, variant=item.variant, quantity=quantity)


class _Item(NamedTuple):
    variant: Variant | None  # with its product; None when there is no such variant
    cart_id: int | None  # None when the shopper has no cart yet
    checks_needed: bool  # whether purchase_problems() may find a problem


# One statement reads what an add needs: the variant and its product (only the columns the checks and the messages
# read), the cart's id and whether a purchase check must run (shop.orders.hooks): a rule made active a moment ago
# is seen at once. Raw SQL: compiling the equivalent ORM queries cost more CPU than running them.
_ITEM_SQL = (
    "SELECT v.id, v.product_id, v.size, v.colour, v.stock, v.is_active,"
    " p.category_id, p.name, p.is_active, p.available_until, c.id, {checks_needed}"
    " FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id"
    " LEFT JOIN orders_cart c ON {cart_where}"
    " WHERE v.id = %s"
)
_CART_WITH_ID = "c.id = %s"
_CART_OF_USER = "c.user_id = %s"
_CART_OF_GUEST = "c.token = %s AND c.user_id IS NULL"
_ID_MAX = 2**63 - 1  # a larger number (a crafted form) would make the database raise, not find nothing


def _item_read(*, cart_where: str, cart_key, variant_id: int) -> _Item:
    if not 0 < variant_id <= _ID_MAX:
        return _Item(None, None, False)
    sql = _ITEM_SQL.format(cart_where=cart_where, checks_needed=purchase_checks_needed_sql())
    with connection.cursor() as cursor:
        cursor.execute(sql, [cart_key, variant_id])
        row = cursor.fetchone()
    if row is None:
        return _Item(None, None, False)
    pk, product_id, size, colour, stock, is_active, category_id, name, on_sale, until, cart_id, needed = row
    product = _loaded(
        Product, id=product_id, category_id=category_id, name=name, is_active=on_sale, available_until=until
    )
    variant = _loaded(Variant, id=pk, product_id=product_id, size=size, colour=colour, stock=stock, is_active=is_active)
    variant.product = product
    return _Item(variant, cart_id, bool(needed))


def _loaded(model, **row):
    """An instance as `.only(*row)` would load it: reading a field not in the row runs a query (never a wrong
    default). Values converted by their fields, as the ORM would (SQLite gives datetimes naive, in UTC)."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in row:
            value = row[field.attname]
            if value is not None and not field.is_relation:
                value = field.to_python(value)
                if isinstance(value, datetime.datetime) and timezone.is_naive(value):
                    value = timezone.make_aware(value, datetime.UTC)
            names.append(field.attname)
            values.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def _token_value(token: str | None):
    """The session's cart token as the database compares it (None, matching no cart, when there is none)."""
    return Cart._meta.get_field("token").get_db_prep_value(uuid.UUID(token), connection) if token else None


def _item_check(item: _Item, *, quantity: int, user: Callable) -> None:
    """Raise CartError unless the shopper may add quantity units of the item. user() gives the shopper (None for
    guests), asked only when a purchase check runs."""
    if item.variant is None:
        raise CartError(_("This item is no longer available."))
    _check_quantity(variant=item.variant, quantity=quantity)
    if item.checks_needed:
        # Access rules (members-only sales, early access) belong to higher layers, which this one cannot import:
        # they register their checks in shop.orders.hooks, so a crafted POST is refused here too.
        problems = purchase_problems(user=user(), variants=[item.variant])
        if problems:
            raise CartError(" ".join(problems))


def _line_add_within_limit(*, cart_id: int, variant: Variant, quantity: int) -> CartLine:
    added = _line_add(cart_id=cart_id, variant_id=variant.pk, quantity=quantity, limit=_line_limit(variant))
    if added is None:  # the line already holds so many that the total would pass the limit: say which one
        held = CartLine.objects.filter(cart_id=cart_id, variant=variant).values_list("quantity", flat=True).first()
        _check_quantity(variant=variant, quantity=(held or 0) + quantity)
        raise CartError(_("Sorry, “%(item)s” is sold out.") % {"item": variant})  # the stock went meanwhile
    line_id, total, cart_units = added
    # The caller's message reads the variant and its product, already loaded: no query.
    line = CartLine(pk=line_id, cart_id=cart_id, variant=variant, quantity=total)
    line._state.adding = False
    line.cart_units = cart_units
    return line


_LINE_ADD_SQL = (
    "INSERT INTO orders_cartline (created_at, updated_at, cart_id, variant_id, quantity) VALUES (%s, %s, %s, %s, %s)"
    " ON CONFLICT (cart_id, variant_id) DO UPDATE"
    " SET quantity = orders_cartline.quantity + excluded.quantity, updated_at = excluded.updated_at"
    " WHERE orders_cartline.quantity + excluded.quantity <= %s"
    " RETURNING id, quantity, quantity + ("
    "SELECT COALESCE(SUM(other.quantity), 0) FROM orders_cartline other"
    " WHERE other.cart_id = orders_cartline.cart_id AND other.variant_id <> orders_cartline.variant_id)"
)


def _line_add(*, cart_id: int, variant_id: int, quantity: int, limit: int) -> tuple[int, int, int] | None:
    """Insert the line, or add to the existing one if the new total stays within limit: (line id, new quantity,
    units in the cart), or None when the total would pass the limit (nothing changed). PostgreSQL and SQLite both
    take this upsert."""
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
