"""The orders' part of a user's personal data, contributed to the accounts app's registry (accounts is the lower
layer and cannot import orders): rows for "download my data", and anonymisation when an account is deleted.
Orders themselves stay, with their amounts, for accounting."""

from django.utils import timezone

from shop.accounts.privacy_selectors import personal_data_register

from .models import Order, OrderEvent

ANONYMISED_NAME = "削除済み"


def orders_export(*, user) -> list[dict]:
    rows = []
    orders = Order.objects.filter(user=user).prefetch_related("lines").order_by("created_at", "pk")
    for order in orders:
        items = " / ".join(
            f"{line.product_name} {line.variant_label} × {line.quantity}".strip() for line in order.lines.all()
        )
        rows.append(
            {
                "number": order.number,
                "ordered_at": timezone.localtime(order.created_at).isoformat(),
                "status": order.status,
                "email": order.email,
                "payment_method": order.payment_method,
                "items": items,
                "currency": order.currency,
                "subtotal": order.subtotal,
                "shipping_fee": order.shipping_fee,
                "payment_fee": order.payment_fee,
                "discount": order.discount,
                "total": order.total,
                "refunded": order.refunded_amount,
                "ship_name": order.ship_name,
                "ship_postal_code": order.ship_postal_code,
                "ship_prefecture": order.ship_prefecture,
                "ship_city": order.ship_city,
                "ship_street": order.ship_street,
                "ship_building": order.ship_building,
                "ship_phone": order.ship_phone,
                "shipping_method": order.shipping_method_name,
                "tracking_number": order.tracking_number,
            }
        )
    return rows


def orders_anonymise(*, user) -> None:
    """Keep what accounting needs (number, dates, lines, amounts, prefecture for the shipping fee); erase the rest."""
    Order.objects.filter(user=user).update(
        email=f"deleted-{user.pk}@invalid.example",
        ship_name=ANONYMISED_NAME,
        ship_postal_code="",
        ship_city="",
        ship_street="",
        ship_building="",
        ship_phone="",
    )
    # The customer's own actions (e.g. a cancellation) were labelled with their name or e-mail.
    OrderEvent.objects.filter(actor=user).update(actor_label=ANONYMISED_NAME)


def register() -> None:
    personal_data_register(name="orders", export=orders_export, anonymise=orders_anonymise)
