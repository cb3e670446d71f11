"""The points rules, one by one, with explicit numbers (default settings: 1 pt per ¥100, 14-day return window,
365-day expiry, at least 100 points per order)."""

import io
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import translation

from loyalty.exceptions import PointsError
from loyalty.models import Coupon, CouponRedemption, PointAccount, PointEntry
from loyalty.selectors.points import points_balance, points_redeemable
from loyalty.services import points as svc
from loyalty.services.ranks import rank_recompute
from shop.orders.models import Order
from shop.reviews.models import Review, ReviewPhoto
from tests.factories import ProductFactory, UserFactory
from tests.loyalty.conftest import T0, available_sum, days, ledger, make_member, make_order, refund

pytestmark = pytest.mark.django_db
Kind = PointEntry.Kind


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched in English: the shop's default language is Japanese, and the language a test
    starts in is whatever the test before it left active (Django keeps a request's language after it)."""
    with translation.override("en"):
        yield


def give(user, amount, *, at=T0, key=None):
    """Usable points at `at` (a staff adjustment, which is usable at once)."""
    return svc.points_adjust(user=user, amount=amount, reason="テスト", actor=None, key=key, now=at)


# --- Earning ------------------------------------------------------------------------------------------------------


def test_paid_order_earns_on_items_after_discount_pending_for_the_return_window(member):
    order = make_order(member, subtotal=12_345, discount=345, shipping_fee=800)

    entry = svc.points_award_for_order(order_id=order.pk, now=T0)

    assert entry.amount == 120  # (12,345 - 345) x 1%; shipping is not counted
    assert entry.source_key == f"order:{order.pk}:earn"
    assert entry.kind == Kind.ORDER
    assert entry.available_at == T0 + days(14)
    assert entry.expires_at == T0 + days(14 + 365)
    before = points_balance(user=member, now=T0 + days(13))
    assert (before.available, before.pending) == (0, 120)
    after = points_balance(user=member, now=T0 + days(14))
    assert (after.available, after.pending) == (120, 0)


def test_earning_rounds_down_and_uses_the_rate_staff_set(member, loyalty_settings):
    loyalty_settings.earn_rate_percent = "1.5"
    loyalty_settings.save()
    order = make_order(member, subtotal=9_999)

    assert svc.points_award_for_order(order_id=order.pk, now=T0).amount == 149  # 149.985


def test_rank_multiplies_the_points(member, ranks):
    make_order(member, subtotal=80_000, paid_at=T0 - days(30))
    rank_recompute(user_id=member.pk, now=T0)
    order = make_order(member, subtotal=10_000)

    assert svc.points_award_for_order(order_id=order.pk, now=T0).amount == 150  # gold: x1.5


def test_guest_unpaid_and_cancelled_orders_earn_nothing(member):
    guest = make_order(None, subtotal=10_000)
    unpaid = make_order(member, subtotal=10_000, paid_at=None)
    cancelled = make_order(member, subtotal=10_000, paid_at=None, status=Order.Status.CANCELLED)

    for order in (guest, unpaid, cancelled):
        assert svc.points_award_for_order(order_id=order.pk, now=T0) is None
    assert PointEntry.objects.count() == 0


def test_awarding_an_order_twice_gives_points_once(member):
    order = make_order(member, subtotal=10_000)

    assert svc.points_award_for_order(order_id=order.pk, now=T0).amount == 100
    assert svc.points_award_for_order(order_id=order.pk, now=T0 + days(1)) is None
    assert ledger(member) == [(f"order:{order.pk}:earn", 100)]


def test_generic_award_is_once_per_source_key(member):
    first = svc.points_award(user=member, amount=300, kind=Kind.SHARE_REWARD, source_key="share_reward:7", now=T0)
    again = svc.points_award(user=member, amount=300, kind=Kind.SHARE_REWARD, source_key="share_reward:7", now=T0)

    assert first.amount == 300 and first.expires_at == T0 + days(365)
    assert again is None
    assert points_balance(user=member, now=T0).available == 300


# --- Refunds ------------------------------------------------------------------------------------------------------


def test_partial_then_full_refund_of_pending_points_nets_the_pending_balance(member):
    order = make_order(member, subtotal=20_000, shipping_fee=0)  # 200 points, pending until T0 + 14 days
    earn = svc.points_award_for_order(order_id=order.pk, now=T0)
    give(member, 150, at=T0)  # usable points the reversal must not touch

    refund(order, 6_000)  # 30 %
    svc.points_reverse_for_order(order_id=order.pk, now=T0 + days(2))
    svc.points_reverse_for_order(order_id=order.pk, now=T0 + days(3))  # a second delivery changes nothing

    reversal = PointEntry.objects.get(source_key=f"order:{order.pk}:reversal:6000:pending")
    assert reversal.amount == -60
    assert reversal.available_at == earn.available_at
    balance = points_balance(user=member, now=T0 + days(3))
    assert (balance.available, balance.pending) == (150, 140)

    refund(order, 14_000)
    svc.points_reverse_for_order(order_id=order.pk, now=T0 + days(4))

    balance = points_balance(user=member, now=T0 + days(4))
    assert (balance.available, balance.pending) == (150, 0)
    assert points_balance(user=member, now=T0 + days(30)).available == 150


def test_refund_of_points_already_spent_leaves_a_shortfall_taken_from_later_points(member, ranks):
    first = make_order(member, subtotal=20_000, shipping_fee=0)
    svc.points_award_for_order(order_id=first.pk, now=T0)  # 200, usable at T0 + 14
    later = T0 + days(15)
    second = make_order(member, subtotal=5_000, paid_at=None)
    assert svc.points_redeem_for_order(user=member, order=second, points=150, now=later) == 150

    refund(first, 20_000)
    svc.points_reverse_for_order(order_id=first.pk, now=later)

    # 200 reversed: the 50 left are taken, the other 150 are owed; the balance stays at zero.
    assert points_balance(user=member, now=later).available == 0
    assert available_sum(member, later) == 0
    assert PointAccount.objects.get(user=member).shortfall == 150
    assert PointEntry.objects.get(source_key=f"order:{first.pk}:reversal:20000").amount == -200
    assert PointEntry.objects.get(source_key=f"order:{first.pk}:reversal:20000:owed").amount == 150
    svc.points_reverse_for_order(order_id=first.pk, now=later)
    assert PointAccount.objects.get(user=member).shortfall == 150  # not owed twice

    give(member, 100, at=later, key="a")  # all of it goes to what is owed
    assert PointEntry.objects.get(source_key="adjustment:a:shortfall").amount == -100
    assert points_balance(user=member, now=later).available == 0
    assert PointAccount.objects.get(user=member).shortfall == 50

    give(member, 80, at=later, key="b")
    assert points_balance(user=member, now=later).available == 30
    assert PointAccount.objects.get(user=member).shortfall == 0
    assert points_balance(user=member, now=later).shortfall == 0


def test_shortfall_taken_from_pending_order_points_stays_pending(member):
    first = make_order(member, subtotal=10_000, shipping_fee=0)
    svc.points_award_for_order(order_id=first.pk, now=T0)
    later = T0 + days(20)
    spend = make_order(member, subtotal=5_000, paid_at=None)
    svc.points_redeem_for_order(user=member, order=spend, points=100, now=later)
    refund(first, 10_000)
    svc.points_reverse_for_order(order_id=first.pk, now=later)
    assert PointAccount.objects.get(user=member).shortfall == 100

    next_order = make_order(member, subtotal=30_000, paid_at=later)
    earn = svc.points_award_for_order(order_id=next_order.pk, now=later)

    taken = PointEntry.objects.get(source_key=f"order:{next_order.pk}:earn:shortfall")
    assert (earn.amount, taken.amount, taken.available_at) == (300, -100, earn.available_at)
    assert points_balance(user=member, now=later).pending == 200
    assert points_balance(user=member, now=later + days(14)).available == 200


def test_full_refund_gives_back_the_points_used_once(member):
    give(member, 500)
    order = make_order(member, subtotal=3_000, paid_at=None)
    svc.points_redeem_for_order(user=member, order=order, points=300, now=T0)
    Order.objects.filter(pk=order.pk).update(
        discount=300, points_used=300, total=3_200, paid_at=T0, status=Order.Status.PAID
    )
    order.refresh_from_db()
    assert points_balance(user=member, now=T0).available == 200

    refund(order, 1_000)  # partial: the points used stay used
    svc.points_reverse_for_order(order_id=order.pk, now=T0 + days(1))
    assert points_balance(user=member, now=T0 + days(1)).available == 200

    refund(order, 2_200)
    svc.points_reverse_for_order(order_id=order.pk, now=T0 + days(2))
    svc.points_reverse_for_order(order_id=order.pk, now=T0 + days(2))

    returned = PointEntry.objects.get(source_key=f"order:{order.pk}:redeem-return")
    assert returned.amount == 300
    assert returned.expires_at == T0 + days(2) + days(365)
    assert points_balance(user=member, now=T0 + days(2)).available == 500


def test_refund_recorded_before_the_award_is_reversed_when_the_points_are_written(member):
    order = make_order(member, subtotal=10_000, shipping_fee=0, refunded_amount=5_000)

    svc.points_award_for_order(order_id=order.pk, now=T0)

    assert points_balance(user=member, now=T0).pending == 50


# --- Redeeming ----------------------------------------------------------------------------------------------------


def test_redeeming_checks_minimum_balance_and_limit_with_clear_messages(member, loyalty_settings):
    loyalty_settings.redeem_max_percent = 50
    loyalty_settings.save()
    give(member, 1_000)
    order = make_order(member, subtotal=1_200, paid_at=None)

    with pytest.raises(PointsError, match="100 points or more"):
        svc.points_redeem_for_order(user=member, order=order, points=99, now=T0)
    with pytest.raises(PointsError, match="1,000 points available"):
        svc.points_redeem_for_order(user=member, order=order, points=1_001, now=T0)
    with pytest.raises(PointsError, match="up to 600 points"):
        svc.points_redeem_for_order(user=member, order=order, points=601, now=T0)
    assert len(ledger(member)) == 1  # nothing written by the refused attempts

    assert svc.points_redeem_for_order(user=member, order=order, points=600, now=T0) == 600
    assert svc.points_redeem_for_order(user=member, order=order, points=600, now=T0) == 600  # same checkout again
    entry = PointEntry.objects.get(source_key=f"order:{order.pk}:redeem")
    assert (entry.amount, entry.kind, entry.order_id) == (-600, Kind.REDEMPTION, order.pk)
    assert points_balance(user=member, now=T0).available == 400


def test_redeemable_counts_the_coupon_and_the_minimum(member, loyalty_settings):
    give(member, 5_000)
    assert points_redeemable(user=member, items_total=3_000, now=T0) == 3_000
    assert points_redeemable(user=member, items_total=99, now=T0) == 0  # below the 100-point minimum
    assert points_redeemable(user=UserFactory(), items_total=3_000, now=T0) == 0

    order = make_order(member, subtotal=3_000, paid_at=None)
    coupon = Coupon.objects.create(code="SPRING", name="春", kind=Coupon.Kind.FIXED, value=1_000)
    CouponRedemption.objects.create(coupon=coupon, order=order, user=member, email=member.email, amount=1_000)
    with pytest.raises(PointsError, match="up to 2,000 points"):
        svc.points_redeem_for_order(user=member, order=order, points=2_500, now=T0)


def test_redeeming_needs_a_signed_in_owner(member):
    from django.contrib.auth.models import AnonymousUser

    give(member, 500)
    order = make_order(member, subtotal=3_000, paid_at=None)
    with pytest.raises(PointsError):
        svc.points_redeem_for_order(user=AnonymousUser(), order=order, points=100, now=T0)
    with pytest.raises(PointsError):
        svc.points_redeem_for_order(user=make_member(), order=order, points=100, now=T0)
    assert svc.points_redeem_for_order(user=member, order=order, points=0, now=T0) == 0
    assert not PointEntry.objects.filter(kind=Kind.REDEMPTION).exists()


def test_cancelled_order_gives_the_points_back_once(member):
    give(member, 500)
    order = make_order(member, subtotal=3_000, paid_at=None)
    svc.points_redeem_for_order(user=member, order=order, points=200, now=T0)

    svc.points_return_for_order(order_id=order.pk, now=T0)  # not cancelled: nothing comes back
    assert points_balance(user=member, now=T0).available == 300

    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    svc.points_return_for_order(order_id=order.pk, now=T0 + days(1))
    svc.points_return_for_order(order_id=order.pk, now=T0 + days(1))

    assert points_balance(user=member, now=T0 + days(1)).available == 500
    assert PointEntry.objects.get(source_key=f"order:{order.pk}:redeem-return").amount == 200


# --- Expiry -------------------------------------------------------------------------------------------------------


def test_points_are_used_oldest_expiry_first_and_the_rest_expires(member):
    old = give(member, 100, at=T0)  # expires T0 + 365
    new = give(member, 100, at=T0 + days(100))  # expires T0 + 465
    order = make_order(member, subtotal=5_000, paid_at=None)
    svc.points_redeem_for_order(user=member, order=order, points=150, now=T0 + days(200))

    assert svc.points_expire(now=T0 + days(366)) == 0  # the old lot was used up
    assert points_balance(user=member, now=T0 + days(366)).available == 50

    assert svc.points_expire(now=T0 + days(466)) == 1
    assert svc.points_expire(now=T0 + days(467)) == 0
    expiry = PointEntry.objects.get(kind=Kind.EXPIRY)
    assert (expiry.source_key, expiry.amount) == (f"expiry:{new.pk}", -50)
    assert not PointEntry.objects.filter(source_key=f"expiry:{old.pk}").exists()
    assert points_balance(user=member, now=T0 + days(467)).available == 0


def test_expired_points_are_not_usable_even_before_the_job_runs(member):
    give(member, 300, at=T0)
    later = T0 + days(366)
    assert points_balance(user=member, now=later).available == 0
    order = make_order(member, subtotal=5_000, paid_at=None)
    with pytest.raises(PointsError, match="0 points available"):
        svc.points_redeem_for_order(user=member, order=order, points=100, now=later)
    assert PointEntry.objects.filter(kind=Kind.EXPIRY).count() == 0  # the failed redemption rolled back


def test_balance_shows_the_next_expiry(member):
    give(member, 100, at=T0)
    give(member, 40, at=T0 + days(1))
    balance = points_balance(user=member, now=T0 + days(2))
    assert (balance.available, balance.expiring, str(balance.expiring_on)) == (140, 100, "2027-04-01")


def test_expire_points_command_prints_a_summary(member):
    give(member, 100, at=T0)
    svc.points_adjust(user=member, amount=100, reason="old", actor=None, now=T0 - days(400))
    out = io.StringIO()

    call_command("expire_points", "--no-notices", stdout=out)

    assert out.getvalue().strip() == "Points expiry entries written: 1; expiry notices sent: 0"
    assert PointEntry.objects.get(kind=Kind.EXPIRY).amount == -100


def test_expiry_notice_once_per_date_in_the_members_language(member, django_capture_on_commit_callbacks):
    give(member, 120, at=T0)  # expires 2027-04-01
    make_order(member, subtotal=1_000, language="en")
    soon = T0 + days(340)

    with django_capture_on_commit_callbacks(execute=True):  # the outbox delivers once the notice commits
        assert svc.points_expiry_notices_due(now=T0 + days(300)) == 0  # more than 30 days ahead
        assert svc.points_expiry_notices_due(now=soon) == 1
        assert svc.points_expiry_notices_due(now=soon + days(1)) == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "120 points expire" in message.subject
    assert "/account/points/" in message.body
    assert str(PointAccount.objects.get(user=member).expiry_notice_sent_for) == "2027-04-01"


def test_expiry_notice_in_japanese_by_default(member, django_capture_on_commit_callbacks):
    give(member, 120, at=T0)
    with django_capture_on_commit_callbacks(execute=True):
        svc.points_expiry_notices_due(now=T0 + days(340))
    assert "2027年4月1日" in mail.outbox[0].subject


# --- Reviews ------------------------------------------------------------------------------------------------------


def _review(user, **fields):
    return Review.objects.create(
        product=ProductFactory(), user=user, rating=5, title="とても良い", body="着心地がいい", **fields
    )


def test_review_points_photo_top_up_reversal_and_no_second_payment(member):
    review = _review(member, status=Review.Status.PUBLISHED)

    assert svc.points_award_for_review(review_id=review.pk, now=T0).amount == 30
    assert svc.points_award_for_review(review_id=review.pk, now=T0) is None
    ReviewPhoto.objects.create(review=review, image="reviews/x.jpg")
    assert svc.points_award_for_review(review_id=review.pk, now=T0).amount == 50  # 80 with a photo in all
    assert points_balance(user=member, now=T0).available == 80

    Review.objects.filter(pk=review.pk).update(status=Review.Status.HIDDEN)
    svc.points_reverse_for_review(review_id=review.pk, now=T0)
    svc.points_reverse_for_review(review_id=review.pk, now=T0)
    assert PointEntry.objects.get(source_key=f"review:{review.pk}:reversal").amount == -80
    assert points_balance(user=member, now=T0).available == 0

    Review.objects.filter(pk=review.pk).update(status=Review.Status.PUBLISHED)
    assert svc.points_award_for_review(review_id=review.pk, now=T0) is None
    assert points_balance(user=member, now=T0).available == 0


def test_review_with_photo_earns_photo_points_and_pending_review_earns_nothing(member):
    pending = _review(member)
    assert svc.points_award_for_review(review_id=pending.pk, now=T0) is None
    with_photo = _review(member, status=Review.Status.PUBLISHED)
    ReviewPhoto.objects.create(review=with_photo, image="reviews/y.jpg")

    assert svc.points_award_for_review(review_id=with_photo.pk, now=T0).amount == 80
    svc.points_reverse_for_review(review_id=with_photo.pk, now=T0)  # still published: a stale signal
    assert points_balance(user=member, now=T0).available == 80


# --- Staff adjustments --------------------------------------------------------------------------------------------


def test_adjustment_records_who_and_why_and_never_goes_below_zero(member):
    staff = UserFactory(is_staff=True)
    entry = svc.points_adjust(user=member, amount=500, reason=" お詫び ", actor=staff, now=T0)
    assert (entry.amount, entry.kind, entry.note, entry.created_by) == (500, Kind.ADJUSTMENT, "お詫び", staff)

    with pytest.raises(PointsError, match="only 500 points"):
        svc.points_adjust(user=member, amount=-501, reason="訂正", actor=staff, now=T0)
    with pytest.raises(PointsError, match="reason"):
        svc.points_adjust(user=member, amount=10, reason="  ", actor=staff, now=T0)
    with pytest.raises(PointsError):
        svc.points_adjust(user=member, amount=0, reason="訂正", actor=staff, now=T0)

    taken = svc.points_adjust(user=member, amount=-200, reason="訂正", actor=staff, key="k1", now=T0)
    again = svc.points_adjust(user=member, amount=-200, reason="訂正", actor=staff, key="k1", now=T0)
    assert again == taken
    assert points_balance(user=member, now=T0).available == 300


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_cannot_spend_the_same_points(ranks):
    """Two tabs redeem 600 of 1,000 points at the same moment: the account lock lets exactly one through."""
    member = make_member()
    give(member, 1_000)
    orders = [make_order(member, subtotal=5_000, paid_at=None) for _ in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def checkout(order):
        translation.activate("en")  # each thread starts in the default language (Japanese)
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                results.append(svc.points_redeem_for_order(user=member, order=order, points=600, now=T0))
        except PointsError as error:
            results.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results, key=str) == [600, "You have 400 points available."]
    assert available_sum(member, T0) == 400
