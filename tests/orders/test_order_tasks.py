"""The shipped e-mail (signal -> receiver -> task) and the job that releases expired stock reservations."""

import datetime
import io
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from payments.services import checkout_place_order
from shop.catalog.models import Variant
from shop.orders import services, tasks
from shop.orders.emails import SHIPPED_EMAIL_SENT
from shop.orders.models import Cart, Order, OrderEvent, ShippingMethod
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def _place(*, variant, payment_method: str = "bank_transfer", language: str = "ja", quantity: int = 2) -> Order:
    """An order placed through the real checkout. Its on-commit signals do not fire here (no captured callbacks)."""
    cart = Cart.objects.create()
    services.cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    details = services.CheckoutDetails(
        email="hanako@example.jp",
        name="山田 花子",
        postal_code="150-0001",
        prefecture="東京都",
        city="渋谷区",
        street="神南1-2-3",
        building="",
        phone="09012345678",
        shipping_method_id=ShippingMethod.objects.get(code="standard").pk,
        payment_method=payment_method,
        language=language,
    )
    return checkout_place_order(cart=cart, checkout_token=uuid.uuid4(), details=details)


@pytest.mark.parametrize(("language", "greeting"), [("ja", "山田 花子"), ("en", "Dear 山田 花子,")], ids=["ja", "en"])
def test_shipped_email_goes_out_once_with_the_tracking_number(language, greeting, django_capture_on_commit_callbacks):
    order = _place(variant=VariantFactory(stock=5), language=language)
    services.order_mark_paid(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.order_mark_shipped(order_id=order.pk, carrier="ヤマト運輸", tracking_number="4321-5678-9012")

    [message] = mail.outbox
    assert message.to == ["hanako@example.jp"]
    assert order.number in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for body in (message.body, html):
        assert "4321-5678-9012" in body
        assert "ヤマト運輸" in body
        assert greeting in body
    assert f'lang="{language}"' in html
    if language == "en":
        assert "Your order has shipped" in message.subject

    tasks.send_order_shipped(order.pk)
    tasks.send_order_shipped.delay(order.pk)
    assert len(mail.outbox) == 1
    assert OrderEvent.objects.filter(order=order, message=SHIPPED_EMAIL_SENT, is_public=False).count() == 1


def test_no_shipped_email_for_an_order_not_shipped():
    order = _place(variant=VariantFactory(stock=5))

    tasks.send_order_shipped(order.pk)

    assert mail.outbox == []
    assert not OrderEvent.objects.filter(order=order, message=SHIPPED_EMAIL_SENT).exists()


def test_release_command_cancels_expired_unpaid_orders_and_restocks():
    variant = VariantFactory(stock=10)
    expired = _place(variant=variant, quantity=3)
    still_held = _place(variant=variant, quantity=1)
    paid = _place(variant=variant, quantity=2)
    services.order_mark_paid(order_id=paid.pk)
    past = timezone.now() - datetime.timedelta(minutes=1)
    Order.objects.filter(pk__in=[expired.pk, paid.pk]).update(reserved_until=past)
    assert Variant.objects.get(pk=variant.pk).stock == 4

    out = io.StringIO()
    call_command("release_expired_orders", stdout=out)

    assert out.getvalue().strip() == "Expired orders released: 1"
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[expired.pk] == Order.Status.CANCELLED
    assert statuses[still_held.pk] == Order.Status.PENDING_PAYMENT
    assert statuses[paid.pk] == Order.Status.PAID
    assert Variant.objects.get(pk=variant.pk).stock == 7

    # The periodic task does the same work and finds nothing left to do.
    assert tasks.release_expired_reservations() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 7
