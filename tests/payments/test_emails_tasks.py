"""The order confirmation (through the real signal -> receiver -> notifications outbox path), and the payment jobs."""

import io
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from payments import emails, tasks
from payments.models import Payment, PaymentSettings
from payments.services import checkout_place_order
from shop.notifications import services as notification_services
from shop.notifications.models import Notification
from shop.orders import services as order_services
from shop.orders.models import Cart, Order, ShippingMethod
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

PHISHING_NOTICE = "We will never ask for your password or card number by e-mail or LINE."


def _cart(*, quantity: int = 2, price: int = 1980) -> Cart:
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=VariantFactory(price=price, stock=10).pk, quantity=quantity)
    return cart


def _details(*, payment_method: str, language: str = "ja") -> order_services.CheckoutDetails:
    return order_services.CheckoutDetails(
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


@pytest.fixture
def place(django_capture_on_commit_callbacks):
    """Place an order through the real checkout; its on-commit signals fire, so the tasks run (eagerly)."""

    def place(*, payment_method: str, language: str = "ja") -> Order:
        cart = _cart()
        with django_capture_on_commit_callbacks(execute=True):
            order = checkout_place_order(
                cart=cart,
                checkout_token=uuid.uuid4(),
                details=_details(payment_method=payment_method, language=language),
            )
        order.refresh_from_db()
        return order

    return place


@pytest.fixture
def card_enabled(settings):
    # Placing a card order only needs the gateway configured; nothing here talks to Stripe.
    settings.STRIPE_SECRET_KEY = "sk_test_shop"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_shop"


def _html(message) -> str:
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return content


def test_bank_transfer_order_gets_one_japanese_confirmation_with_the_bank_account(place, settings):
    settings.SITE_URL = ""
    order = place(payment_method=Order.PaymentMethod.BANK_TRANSFER)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    bank = PaymentSettings.load()
    with translation.override("ja"):
        deadline = date_format(order.payment_due, "DATE_FORMAT")
        notice = gettext(PHISHING_NOTICE)
    assert message.to == ["hanako@example.jp"]
    assert order.number in message.subject
    html = _html(message)
    for body in (message.body, html):
        for expected in (
            bank.bank_name,
            bank.bank_branch,
            bank.bank_account_number,
            bank.bank_account_holder,
            deadline,
            "¥4,560（税込）",  # 2 × ¥1,980 + ¥600 shipping
            "¥1,980",
            "宅配便（通常配送）",
            "〒150-0001",
            "東京都渋谷区神南1-2-3",
            f"http://127.0.0.1:8000/orders/{order.number}/",
            notice,
        ):
            assert expected in body, expected
    assert "年" in deadline
    assert "(tax incl.)" not in message.body
    assert 'lang="ja"' in html
    assert "&amp;" not in message.body  # the text part is not HTML-escaped
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None


def test_english_order_gets_an_english_confirmation(place, settings):
    settings.SITE_URL = "https://shop.example.jp/"
    order = place(payment_method=Order.PaymentMethod.BANK_TRANSFER, language="en")

    [message] = mail.outbox
    with translation.override("en"):
        deadline = date_format(order.payment_due, "DATE_FORMAT")
    assert "Thank you for your order" in message.subject
    assert "Dear 山田 花子," in message.body
    assert "¥4,560 (tax incl.)" in message.body
    assert deadline in message.body and "年" not in deadline
    assert PHISHING_NOTICE in message.body
    assert f"https://shop.example.jp/orders/{order.number}/" in message.body
    assert "（税込）" not in message.body
    assert 'lang="en"' in _html(message)


def test_sending_again_sends_nothing_more(place, django_capture_on_commit_callbacks):
    order = place(payment_method=Order.PaymentMethod.BANK_TRANSFER)
    assert len(mail.outbox) == 1

    tasks.send_order_confirmation.delay(order.pk)
    tasks.send_order_confirmation(order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_mark_paid(order_id=order.pk)  # order_paid asks for the confirmation once more

    assert len(mail.outbox) == 1


def test_a_failed_outbox_write_releases_the_claim_and_a_failed_send_is_retried_once(
    monkeypatch, django_capture_on_commit_callbacks
):
    # Without the on-commit callbacks nothing is written at placement; the service is driven by hand.
    order = checkout_place_order(
        cart=_cart(), checkout_token=uuid.uuid4(), details=_details(payment_method="bank_transfer")
    )

    def outbox_broken(**kwargs):
        raise RuntimeError("template error")

    with monkeypatch.context() as patch:
        patch.setattr(emails, "notification_enqueue", outbox_broken)
        with pytest.raises(RuntimeError):
            emails.order_confirmation_enqueue(order_id=order.pk)
    order.refresh_from_db()
    assert order.confirmation_sent_at is None  # rolled back with the failed write: the next call writes it
    assert not Notification.objects.exists()

    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", smtp_down)
        assert emails.order_confirmation_enqueue(order_id=order.pk) is True
        assert emails.order_confirmation_enqueue(order_id=order.pk) is False
    [row] = Notification.objects.all()
    assert row.status == Notification.Status.FAILED and row.next_attempt_at is not None
    assert mail.outbox == []
    order.refresh_from_db()
    assert order.confirmation_sent_at == row.created_at  # when it was written to the outbox

    later = row.next_attempt_at
    assert notification_services.notifications_sweep(now=later) == {"sent": 1}
    assert notification_services.notifications_sweep(now=later) == {}
    [message] = mail.outbox
    assert order.number in message.subject


def test_cash_on_delivery_order_gets_one_confirmation_with_the_fee(place):
    order = place(payment_method=Order.PaymentMethod.COD)

    [message] = mail.outbox
    assert order.payment_fee == PaymentSettings.load().cod_fee == 330
    assert "¥330（税込）" in message.body
    assert f"¥{order.total:,}（税込）" in message.body
    assert "¥330" in _html(message)
    assert PaymentSettings.load().bank_name not in message.body


def test_card_order_is_confirmed_once_paid_not_when_placed(place, card_enabled, django_capture_on_commit_callbacks):
    order = place(payment_method=Order.PaymentMethod.CARD)
    assert mail.outbox == []
    tasks.send_order_confirmation(order.pk)  # a stray delivery before payment changes nothing either
    assert mail.outbox == []
    order.refresh_from_db()
    assert order.confirmation_sent_at is None

    Payment.objects.create(
        order=order, method="card", status=Payment.Status.SUCCEEDED, amount=order.total,
        card_brand="visa", card_last4="4242",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_mark_paid(order_id=order.pk, note="Card payment received")

    [message] = mail.outbox
    assert "4242" in message.body
    assert "VISA" in message.body
    assert PaymentSettings.load().bank_name not in message.body
    tasks.send_order_confirmation(order.pk)
    assert len(mail.outbox) == 1


def test_cancelled_order_gets_no_confirmation():
    order = checkout_place_order(
        cart=_cart(), checkout_token=uuid.uuid4(), details=_details(payment_method="bank_transfer")
    )
    order_services.order_cancel(order_id=order.pk)

    tasks.send_order_confirmation(order.pk)

    assert mail.outbox == []


def test_reconcile_command_and_task_with_no_open_card_payments():
    out = io.StringIO()
    call_command("reconcile_payments", stdout=out)
    assert out.getvalue().strip() == "Payments changed: 0"
    assert tasks.reconcile_payments() == 0


def test_beat_schedule_names_registered_tasks(settings):
    from shop.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {
        "payments.tasks.reconcile_payments",
        "shop.orders.tasks.release_expired_reservations",
    } <= {entry["task"] for entry in schedule.values()}
    for entry in schedule.values():
        assert entry["task"] in app.tasks
