"""Transactional messages through the outbox: each written once, in the recipient's language, with its content,
by e-mail and (for LINE-linked members) by LINE; the daily jobs write only what is due."""

import datetime
import io
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from loyalty.services import points as points_services
from loyalty.services.ranks import rank_recompute
from payments import emails, reminders
from payments import services as payment_services
from payments.models import PaymentSettings
from shop.notifications import services
from shop.notifications.models import Notification
from shop.orders import services as order_services
from shop.orders.models import Cart, Order
from social import digest
from social.models import Comment, Follow, Like, Post
from tests.factories import UserFactory, VariantFactory
from tests.loyalty.conftest import make_order
from tests.payments.support import details

from .conftest import jst

Status = Notification.Status
pytestmark = pytest.mark.django_db

DECLINED = "Your card was declined. Please try another card or another payment method."


def _place(*, payment_method=Order.PaymentMethod.BANK_TRANSFER, user=None, language="ja", email=None) -> Order:
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=VariantFactory(price=1980, stock=10).pk, quantity=2)
    return payment_services.checkout_place_order(
        cart=cart,
        checkout_token=uuid.uuid4(),
        details=details(payment_method=payment_method, language=language, email=email or "hanako@example.jp"),
        user=user,
    )


def _rows(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("id"))


# --- Order confirmation -------------------------------------------------------------------------------------------


def test_confirmation_written_once_by_email_and_line_for_a_linked_member(
    linked_user, line_stub, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(user=linked_user)
    assert emails.order_confirmation_enqueue(order_id=order.pk) is False  # a repeat writes nothing

    rows = _rows("order_confirmation")
    assert sorted(row.channel for row in rows) == ["email", "line"]
    assert {row.batch_key for row in rows} == {f"order_confirmation:{order.pk}"}
    assert {row.status for row in rows} == {Status.SENT}
    [message] = mail.outbox
    bank = PaymentSettings.load()
    assert bank.bank_account_number in message.body and "¥4,560（税込）" in message.body
    [push] = line_stub.pushes
    text = push.json["messages"][0]["text"]
    assert order.number in text and bank.bank_account_number in text and "¥4,560（税込）" in text
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None


def test_card_order_confirmed_only_once_paid(settings, django_capture_on_commit_callbacks):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_shop", "pk_test_shop"
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(payment_method=Order.PaymentMethod.CARD, language="en")
    assert not _rows("order_confirmation")
    assert emails.order_confirmations_catch_up() == 0  # not due: the card is not paid

    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_mark_paid(order_id=order.pk)

    [row] = _rows("order_confirmation")
    assert row.language == "en" and row.status == Status.SENT
    [message] = mail.outbox
    assert "Thank you for your order" in message.subject and "We have received your payment." in message.body


def test_catch_up_writes_a_confirmation_whose_signal_was_lost():
    order = _place()  # on-commit callbacks are not run: as if the process died right after the commit
    assert not _rows("order_confirmation")

    out = io.StringIO()
    call_command("send_order_confirmations", stdout=out)

    assert out.getvalue().strip() == "Confirmations written: 1"
    [row] = _rows("order_confirmation")
    assert row.batch_key == f"order_confirmation:{order.pk}"
    assert emails.order_confirmations_catch_up() == 0


# --- Payment failed -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_declined_card_tells_the_shopper_once_with_the_pay_link(
    language, stripe_settings, shipping_methods, django_capture_on_commit_callbacks
):
    order = _place(payment_method=Order.PaymentMethod.CARD, language=language)
    payment_services.card_payment_prepare(order=order)

    with django_capture_on_commit_callbacks(execute=True):
        result = payment_services.card_payment_confirm(order=order, payment_method="pm_card_chargeCustomerFail")
    assert result.status == "failed"
    payment = order.payments.get()
    # The same failure reported again (a webhook, a reconciliation) writes nothing new.
    emails.payment_failed_enqueue(payment=payment, reason=DECLINED)

    [row] = _rows("payment_failed")
    assert row.batch_key == f"payment_failed:{payment.pk}" and row.language == language
    assert row.recipient == order.email and row.status == Status.SENT
    with translation.override(language):
        reason = gettext(DECLINED)
    [message] = mail.outbox
    assert order.number in message.subject
    assert reason in message.body
    assert f"https://shop.example.jp/checkout/pay/{order.number}/" in message.body
    assert f'lang="{language}"' in message.alternatives[0][0]
    assert not _rows("order_confirmation")  # a card order is not confirmed before it is paid


# --- Bank-transfer reminder ---------------------------------------------------------------------------------------


def test_reminder_only_for_bank_transfers_due_within_two_days(settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_shop", "pk_test_shop"
    now = jst(2026, 5, 11, 10, 0)
    due = _place()
    later = _place(email="later@example.jp")
    paid = _place(email="paid@example.jp")
    card = _place(payment_method=Order.PaymentMethod.CARD, email="card@example.jp")
    Order.objects.filter(pk__in=[due.pk, paid.pk, card.pk]).update(payment_due=datetime.date(2026, 5, 13))
    Order.objects.filter(pk=later.pk).update(payment_due=datetime.date(2026, 5, 14))
    order_services.order_mark_paid(order_id=paid.pk)

    assert reminders.bank_transfer_reminders_send(now=now) == 1
    assert reminders.bank_transfer_reminders_send(now=now) == 0  # once per order
    [row] = _rows("bank_transfer_reminder")
    assert row.recipient == "hanako@example.jp" and row.batch_key == f"bank_transfer_reminder:{due.pk}"
    assert due.number in row.subject and "2026年5月13日" in row.subject
    assert PaymentSettings.load().bank_account_number in row.body_text

    assert reminders.bank_transfer_reminders_send(now=now + datetime.timedelta(days=1)) == 1  # "later" is due now
    out = io.StringIO()
    call_command("send_payment_reminders", stdout=out)
    assert out.getvalue().strip() == "Reminders written: 0"  # today (real time) nothing is within two days


# --- Shipped and delivered ----------------------------------------------------------------------------------------


def test_shipped_notice_reaches_a_linked_member_on_line_with_the_tracking_number(
    linked_user, line_stub, django_capture_on_commit_callbacks
):
    order = _place(user=linked_user)
    order_services.order_mark_paid(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_mark_shipped(order_id=order.pk, carrier="ヤマト運輸", tracking_number="4321-5678-9012")
    with django_capture_on_commit_callbacks(execute=True):
        from shop.orders import tasks

        tasks.send_order_shipped(order.pk)  # a second delivery of the task writes nothing

    rows = _rows("order_shipped")
    assert sorted(row.channel for row in rows) == ["email", "line"]
    [push] = line_stub.pushes
    text, card = push.json["messages"]
    assert "4321-5678-9012" in text["text"] and "ヤマト運輸" in text["text"]
    assert card["type"] == "flex"
    bubble_text = [item["text"] for item in card["contents"]["body"]["contents"]]
    assert any("4321-5678-9012" in line for line in bubble_text)
    assert card["contents"]["footer"]["contents"][0]["action"]["uri"].startswith(
        f"https://shop.example.jp/orders/{order.number}/"
    )
    [message] = mail.outbox
    assert "4321-5678-9012" in message.body and order.number in message.subject


def test_delivered_order_gets_one_review_request_with_signed_links(user, django_capture_on_commit_callbacks):
    order = _place(user=user, language="en")
    order_services.order_mark_paid(order_id=order.pk)
    order_services.order_mark_shipped(order_id=order.pk, carrier="ヤマト運輸", tracking_number="1")
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_mark_delivered(order_id=order.pk)

    [row] = _rows("review_request")
    assert row.language == "en" and row.batch_key == f"review_request:{order.pk}"
    [message] = mail.outbox
    assert "Please write a review" in message.subject
    assert "https://shop.example.jp/reviews/r/" in message.body


# --- Points and ranks ---------------------------------------------------------------------------------------------


@pytest.fixture
def ranks(db):
    import importlib

    from loyalty.models import Rank

    defaults = importlib.import_module("loyalty.migrations.0002_default_ranks").DEFAULTS
    return {row["code"]: Rank.objects.get_or_create(code=row["code"], defaults=row)[0] for row in defaults}


def test_points_earned_once_with_the_amount_and_the_date_usable(user, ranks):
    paid_at = jst(2026, 4, 1, 12, 0)
    order = make_order(user, subtotal=10_000, paid_at=paid_at, language="en")

    entry = points_services.points_award_for_order(order_id=order.pk, now=paid_at)
    assert points_services.points_award_for_order(order_id=order.pk, now=paid_at) is None

    [row] = _rows("points_earned")
    assert row.batch_key == f"points_earned:{order.pk}" and row.language == "en"
    assert f"You earned {entry.amount:,} points" in row.subject
    usable = entry.available_at.astimezone(paid_at.tzinfo)
    with translation.override("en"):
        from django.utils.formats import date_format

        assert date_format(usable.date(), "DATE_FORMAT") in row.body_text


def test_points_expiring_once_per_member_and_date(user):
    points_services.send_expiry_notice(user=user, points=1200, expires_on=datetime.date(2027, 4, 1))
    points_services.send_expiry_notice(user=user, points=1200, expires_on=datetime.date(2027, 4, 1))
    [row] = _rows("points_expiring")
    assert row.batch_key == f"points_expiring:{user.pk}:2027-04-01"
    assert "1,200" in row.subject and "2027年4月1日" in row.subject
    points_services.send_expiry_notice(user=user, points=50, expires_on=datetime.date(2027, 5, 1))
    assert len(_rows("points_expiring")) == 2


def test_rank_up_is_announced_with_its_benefits_and_a_rank_down_is_not(user, ranks):
    now = jst(2026, 4, 1, 12, 0)
    rank_recompute(user_id=user.pk, now=now)
    gold = ranks["gold"]
    make_order(user, subtotal=gold.min_spend, paid_at=now - datetime.timedelta(days=1))

    change = rank_recompute(user_id=user.pk, now=now)

    assert change.new_rank == gold
    [row] = _rows("rank_up")
    assert row.batch_key == f"rank_up:{change.pk}"
    assert gold.name in row.subject
    assert f"{gold.earn_multiplier_percent / 100:g}" in row.body_text
    Order.objects.filter(user=user).update(paid_at=now - datetime.timedelta(days=800))
    down = rank_recompute(user_id=user.pk, now=now)
    assert down is not None and down.new_rank != gold
    assert len(_rows("rank_up")) == 1


# --- Daily social digest ------------------------------------------------------------------------------------------

DIGEST_AT = jst(2026, 6, 1, 19, 0)


def _at(obj, when):
    type(obj).objects.filter(pk=obj.pk).update(created_at=when)


@pytest.fixture
def activity(user):
    """Within the last 24 hours: 2 likes and 1 comment on one post of the user's, 1 like on another, 1 new
    follower; and older activity (2 days ago) and the user's own like, which do not count."""
    fans = [UserFactory(display_name=f"fan{index}") for index in range(3)]
    popular = Post.objects.create(author=user, body="夏のコーデ")
    other = Post.objects.create(author=user, body="新しいリップ")
    recent = DIGEST_AT - datetime.timedelta(hours=3)
    old = DIGEST_AT - datetime.timedelta(days=2)
    for fan in fans[:2]:
        _at(Like.objects.create(post=popular, user=fan), recent)
    _at(Like.objects.create(post=other, user=fans[2]), recent)
    _at(Like.objects.create(post=other, user=user), recent)
    _at(Comment.objects.create(post=popular, user=fans[0], body="素敵！"), recent)
    _at(Comment.objects.create(post=other, user=fans[1], body="前の"), old)
    _at(Follow.objects.create(follower=fans[0], followee=user), recent)
    _at(Follow.objects.create(follower=fans[1], followee=user), old)
    return fans


def test_digest_counts_the_last_24_hours_and_lists_the_top_items(user, activity):
    assert digest.social_digests_send(now=DIGEST_AT) == 1
    assert digest.social_digests_send(now=DIGEST_AT + datetime.timedelta(hours=1)) == 0  # same day: once

    [row] = _rows("social_digest")
    assert row.user == user and row.batch_key == f"social_digest:{user.pk}:2026-06-01"
    assert row.is_marketing is False
    with translation.override("ja"):
        counts = gettext("Likes: %(likes)s / Comments: %(comments)s / New followers: %(followers)s") % {
            "likes": 3,
            "comments": 1,
            "followers": 1,
        }
    assert counts in row.body_text
    popular = Post.objects.get(body="夏のコーデ")
    assert row.body_text.index("夏のコーデ") < row.body_text.index("新しいリップ")  # most liked and commented first
    assert f"https://shop.example.jp/feed/p/{popular.pk}/" in row.body_text
    assert "fan0" in row.body_text and "fan1" not in row.body_text  # fan1 followed two days ago

    # The fans got nothing: they had no activity on posts of their own.
    assert Notification.objects.filter(kind="social_digest").count() == 1


def test_nothing_new_means_no_digest(user, activity):
    assert digest.social_digests_send(now=DIGEST_AT + datetime.timedelta(days=2)) == 0
    out = io.StringIO()
    call_command("send_social_digest", stdout=out)
    assert out.getvalue().strip() == "Digests written: 0"
    assert not _rows("social_digest")


def test_switching_the_digest_off_stops_it_but_never_the_order_confirmation(
    user, activity, django_capture_on_commit_callbacks
):
    services.preferences_save(user=user, choices={("social", "email"): False, ("orders", "email"): False})

    with django_capture_on_commit_callbacks(execute=True):
        digest.social_digests_send(now=DIGEST_AT)
        order = _place(user=user)

    [skipped] = _rows("social_digest")
    assert skipped.status == Status.SKIPPED and skipped.last_error_type == "preference_off"
    [confirmation] = _rows("order_confirmation")
    assert confirmation.status == Status.SENT
    [message] = mail.outbox
    assert order.number in message.subject
