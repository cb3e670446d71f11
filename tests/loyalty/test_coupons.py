"""Coupons: the checks and their messages, holding on an order, use and release, personal, welcome and birthday
coupons. Messages are compared in English (translation.override("en")); each refusal must write nothing."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone, translation

from loyalty import tasks
from loyalty.exceptions import CouponError
from loyalty.models import Coupon, CouponRedemption, LoyaltySettings, PointAccount, Rank
from loyalty.selectors.coupons import coupon_code_normalise
from loyalty.services import coupons as services
from shop.notifications.services import line_link_set
from social import services as social_services
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_coupon(**fields) -> Coupon:
    defaults = {"code": "SPRING500", "name": "春のクーポン", "kind": Coupon.Kind.FIXED, "value": 500}
    return Coupon.objects.create(**{**defaults, **fields})


@pytest.fixture
def member():
    return UserFactory(email="hanako@example.jp")


def quote(code, user, items_total=5000, shipping_fee=600):
    return services.coupon_quote(code=code, user=user, items_total=items_total, shipping_fee=shipping_fee)


def refused(code, user, *, items_total=5000, order=None) -> str:
    """The message of the quote and of the hold (they must agree), after checking that the hold wrote nothing."""
    with pytest.raises(CouponError) as quoted:
        quote(code, user, items_total=items_total)
    order = order or OrderFactory(
        user=user if user is not None and user.is_authenticated else None, subtotal=items_total
    )
    before = list(CouponRedemption.objects.values_list("pk", "status"))
    with pytest.raises(CouponError) as held:
        services.coupon_hold_for_order(code=code, order=order, user=user)
    assert list(CouponRedemption.objects.values_list("pk", "status")) == before
    assert str(held.value) == str(quoted.value)
    return str(quoted.value)


# --- discounts ---------------------------------------------------------------------------------------------------


def test_codes_are_normalised_so_full_width_and_lower_case_input_works(member):
    make_coupon(code="WELCOME10", kind=Coupon.Kind.PERCENT, value=10)
    assert coupon_code_normalise(" ｗｅｌｃｏｍｅ１０　") == "WELCOME10"
    assert quote(" ｗｅｌｃｏｍｅ１０　", member).discount == 500
    assert quote("welcome10", member).coupon.code == "WELCOME10"


def test_percent_rounds_down_and_is_capped(member):
    make_coupon(code="P15", kind=Coupon.Kind.PERCENT, value=15)
    assert quote("P15", member, items_total=1999).discount == 299  # 299.85 -> 299
    make_coupon(code="P50CAP", kind=Coupon.Kind.PERCENT, value=50, max_discount=1000)
    assert quote("P50CAP", member, items_total=1500).discount == 750
    assert quote("P50CAP", member, items_total=9000).discount == 1000


def test_fixed_is_never_more_than_the_items(member):
    make_coupon(code="YEN1000", value=1000)
    result = quote("YEN1000", member, items_total=800)
    assert (result.discount, result.free_shipping) == (800, False)
    assert quote("YEN1000", member, items_total=5000).discount == 1000


def test_free_shipping_takes_nothing_off_the_items(member):
    make_coupon(code="SHIPFREE", kind=Coupon.Kind.FREE_SHIPPING, value=0)
    result = quote("SHIPFREE", member)
    assert (result.discount, result.free_shipping) == (0, True)
    redemption = services.coupon_hold_for_order(code="SHIPFREE", order=OrderFactory(user=member), user=member)
    assert redemption.amount == 600  # the fee it saves, so order.discount covers it if the fee was not zeroed


# --- every refusal has its own message and writes nothing ---------------------------------------------------------


def test_unknown_inactive_and_empty_codes(member):
    make_coupon(code="OLD", is_active=False)
    assert refused("nosuch", member) == "“NOSUCH” is not a valid coupon code. Please check it and try again."
    assert refused("old", member) == "“OLD” is not a valid coupon code. Please check it and try again."
    assert refused("  ", member) == "Please enter a coupon code."


def test_not_yet_valid_says_from_when_in_japanese_date_format(member):
    make_coupon(code="SUMMER", valid_from=datetime.datetime(2099, 7, 1, 10, 0, tzinfo=TOKYO))
    assert refused("SUMMER", member) == "This coupon can be used from 2099年7月1日 10:00."


def test_expired_says_when_it_ended(member):
    make_coupon(code="WINTER", valid_until=datetime.datetime(2020, 2, 29, 23, 59, 59, tzinfo=TOKYO))
    assert refused("WINTER", member) == "This coupon expired on 2020年2月29日 23:59."


def test_below_minimum_says_how_much_more(member):
    make_coupon(code="MIN5000", min_subtotal=5000)
    message = refused("MIN5000", member, items_total=3800)
    assert message == "Spend ¥1,200 more to use this coupon (minimum purchase ¥5,000)."
    assert quote("MIN5000", member, items_total=5000).discount == 500


def test_minimum_message_in_japanese_names_the_amount(member):
    make_coupon(code="MIN5000", min_subtotal=5000)
    with translation.override("ja"), pytest.raises(CouponError) as error:
        quote("MIN5000", member, items_total=3800)
    assert "¥1,200" in str(error.value)


def test_wrong_rank_names_the_ranks(member):
    silver = Rank.objects.create(code="c-silver", name="Silver", min_spend=30000)
    gold = Rank.objects.create(code="c-gold", name="Gold", min_spend=100000)
    platinum = Rank.objects.create(code="c-platinum", name="Platinum", min_spend=300000)
    coupon = make_coupon(code="VIP")
    coupon.ranks.set([gold, platinum])
    PointAccount.objects.create(user=member, rank=silver, rank_updated_at=timezone.now())
    assert refused("VIP", member) == "This coupon is only for members of the rank Gold / Platinum."
    no_rank = UserFactory()
    assert refused("VIP", no_rank) == "This coupon is only for members of the rank Gold / Platinum."
    PointAccount.objects.filter(user=member).update(rank=gold)
    assert quote("VIP", member).discount == 500


def test_members_only_refuses_guests(member):
    make_coupon(code="MEMBERS", members_only=True)
    guest = AnonymousUser()
    assert refused("MEMBERS", guest) == "This coupon is for members only. Please log in to use it."
    assert refused("MEMBERS", None) == "This coupon is for members only. Please log in to use it."
    assert quote("MEMBERS", member).discount == 500


def test_someone_elses_personal_coupon_is_an_unknown_code(member):
    other = UserFactory()
    make_coupon(code="GIFT-ABC234", owner=other, max_uses=1)
    assert refused("GIFT-ABC234", member) == "“GIFT-ABC234” is not a valid coupon code. Please check it and try again."
    assert refused("GIFT-ABC234", AnonymousUser()) == "This coupon is for members only. Please log in to use it."
    assert quote("gift-abc234", other).discount == 500


def test_line_only_needs_a_linked_line_account(member):
    make_coupon(code="LINEFRIENDS", channel=Coupon.Channel.LINE)
    message = refused("LINEFRIENDS", member)
    assert message.startswith("This coupon is only for members who have linked their LINE account.")
    assert refused("LINEFRIENDS", AnonymousUser()) == "This coupon is for members only. Please log in to use it."
    SocialAccount.objects.create(user=member, provider="google", uid="g-1")
    assert refused("LINEFRIENDS", member) == message
    line_link_set(user=member, line_user_id="U1234567890", source="code")
    assert quote("LINEFRIENDS", member).discount == 500


def test_total_uses_exhausted(member):
    coupon = make_coupon(code="FIRST100", max_uses=2, max_uses_per_user=None)
    for i in range(2):
        services.coupon_hold_for_order(code="FIRST100", order=OrderFactory(email=f"g{i}@example.jp"), user=None)
    assert refused("FIRST100", member) == "Sorry, this coupon has reached its limit of uses."
    assert coupon.redemptions.count() == 2


def test_a_held_use_counts_until_it_is_released(member):
    make_coupon(code="ONCE", max_uses=1)
    order = OrderFactory(email="first@example.jp")
    services.coupon_hold_for_order(code="ONCE", order=order, user=None)
    assert refused("ONCE", member) == "Sorry, this coupon has reached its limit of uses."
    assert services.coupon_release_for_order(order_id=order.pk) is True
    assert quote("ONCE", member).discount == 500


def test_already_used_by_the_member(member):
    make_coupon(code="PERUSER")
    redemption = services.coupon_hold_for_order(code="PERUSER", order=OrderFactory(user=member), user=member)
    services.coupon_use_for_order(order_id=redemption.order_id)
    assert refused("PERUSER", member) == "You have already used this coupon."
    # Checking out as a guest with the member's e-mail does not get round it.
    guest_order = OrderFactory(email="HANAKO@example.jp")
    with pytest.raises(CouponError, match="already used"):
        services.coupon_hold_for_order(code="PERUSER", order=guest_order, user=None)


def test_guests_are_limited_by_the_order_email():
    make_coupon(code="GUEST1")
    services.coupon_hold_for_order(code="GUEST1", order=OrderFactory(email="guest@example.jp"), user=None)
    # The quote knows no e-mail yet; the hold (with the order) refuses.
    assert quote("GUEST1", None).discount == 500
    with pytest.raises(CouponError) as error:
        services.coupon_hold_for_order(code="GUEST1", order=OrderFactory(email="Guest@Example.jp"), user=None)
    assert str(error.value) == "You have already used this coupon."
    services.coupon_hold_for_order(code="GUEST1", order=OrderFactory(email="someone-else@example.jp"), user=None)
    assert CouponRedemption.objects.count() == 2


def test_per_user_limit_above_one(member):
    make_coupon(code="TWICE", max_uses_per_user=2)
    for _ in range(2):
        services.coupon_hold_for_order(code="TWICE", order=OrderFactory(user=member), user=member)
    assert refused("TWICE", member) == "You have already used this coupon."


# --- holding, using, releasing ------------------------------------------------------------------------------------


def test_hold_records_the_discount_on_the_order_subtotal(member):
    make_coupon(code="TEN", kind=Coupon.Kind.PERCENT, value=10)
    order = OrderFactory(user=member, subtotal=12345)
    redemption = services.coupon_hold_for_order(code="ｔｅｎ", order=order, user=member)
    assert (redemption.status, redemption.amount, redemption.email, redemption.user) == (
        CouponRedemption.Status.HELD,
        1234,
        member.email,
        member,
    )
    # The same checkout sent again gets the same hold, not a second use.
    assert services.coupon_hold_for_order(code="TEN", order=order, user=member).pk == redemption.pk
    make_coupon(code="OTHER")
    with pytest.raises(CouponError, match="already has a coupon"):
        services.coupon_hold_for_order(code="OTHER", order=order, user=member)


def test_use_and_release_are_idempotent(member):
    make_coupon(code="IDEM", max_uses=None, max_uses_per_user=None)
    paid = OrderFactory(user=member)
    cancelled = OrderFactory(user=member)
    services.coupon_hold_for_order(code="IDEM", order=paid, user=member)
    services.coupon_hold_for_order(code="IDEM", order=cancelled, user=member)
    assert services.coupon_use_for_order(order_id=paid.pk) is True
    assert services.coupon_use_for_order(order_id=paid.pk) is False
    assert services.coupon_release_for_order(order_id=paid.pk) is False  # a used coupon stays used
    assert services.coupon_release_for_order(order_id=cancelled.pk) is True
    assert services.coupon_release_for_order(order_id=cancelled.pk) is False
    assert services.coupon_use_for_order(order_id=cancelled.pk) is False
    assert services.coupon_use_for_order(order_id=OrderFactory().pk) is False  # no coupon on that order
    statuses = dict(CouponRedemption.objects.values_list("order_id", "status"))
    assert statuses == {paid.pk: "used", cancelled.pk: "released"}


def test_the_paid_and_cancelled_tasks_move_the_hold(member, monkeypatch):
    # The points half of these tasks is tested with points; here only the coupon half is of interest.
    monkeypatch.setattr(tasks.points, "points_award_for_order", lambda **kwargs: None)
    monkeypatch.setattr(tasks.points, "points_return_for_order", lambda **kwargs: None)
    monkeypatch.setattr(tasks.ranks, "rank_recompute_for_order", lambda **kwargs: None)
    make_coupon(code="TASKS", max_uses=None, max_uses_per_user=None)
    paid, cancelled = OrderFactory(user=member), OrderFactory(user=member)
    for order in (paid, cancelled):
        services.coupon_hold_for_order(code="TASKS", order=order, user=member)
    tasks.order_paid.delay(paid.pk)
    tasks.order_cancelled.delay(cancelled.pk)
    tasks.order_paid.delay(paid.pk)
    statuses = dict(CouponRedemption.objects.values_list("order_id", "status"))
    assert statuses == {paid.pk: "used", cancelled.pk: "released"}


# --- personal coupons ---------------------------------------------------------------------------------------------


def test_personal_copy_has_its_own_single_use_code(member):
    gold = Rank.objects.create(code="c-gold", name="Gold", min_spend=1)
    template = make_coupon(
        code="THANKS",
        kind=Coupon.Kind.PERCENT,
        value=20,
        max_discount=2000,
        min_subtotal=3000,
        max_uses=500,
        max_uses_per_user=3,
        description="セール品を除く",
        valid_until=datetime.datetime(2099, 1, 31, 23, 59, 59, tzinfo=TOKYO),
        is_active=False,
    )
    template.ranks.set([gold])
    copy = services.coupon_issue_personal(template=template, user=member, issue_key="share_reward:7")
    assert re.fullmatch(r"THANKS-[A-HJ-NP-Z2-9]{6}", copy.code)
    assert (copy.owner, copy.template, copy.issue_key, copy.is_active) == (member, template, "share_reward:7", True)
    assert (copy.kind, copy.value, copy.max_discount, copy.min_subtotal, copy.description) == (
        "percent",
        20,
        2000,
        3000,
        "セール品を除く",
    )
    assert (copy.max_uses, copy.max_uses_per_user, copy.valid_until) == (1, 1, template.valid_until)
    assert list(copy.ranks.all()) == [gold]
    assert services.coupon_issue_personal(template=template, user=member, issue_key="share_reward:7") is None
    later = datetime.datetime(2099, 3, 1, tzinfo=TOKYO)
    other = services.coupon_issue_personal(
        template=template, user=member, issue_key="share_reward:8", valid_until=later
    )
    assert other.code != copy.code and other.valid_until == later
    assert Coupon.objects.filter(owner=member).count() == 2


def test_personal_code_fits_even_for_a_long_template_code(member):
    template = make_coupon(code="X" * 40)
    copy = services.coupon_issue_personal(template=template, user=member, issue_key="k")
    assert len(copy.code) == 40


def test_personal_coupon_is_used_once(member):
    template = make_coupon(code="BDAY", max_uses=None, max_uses_per_user=None)
    copy = services.coupon_issue_personal(template=template, user=member, issue_key="birthday:2099")
    services.coupon_hold_for_order(code=copy.code, order=OrderFactory(user=member), user=member)
    assert refused(copy.code, member) == "Sorry, this coupon has reached its limit of uses."


# --- welcome coupon for new followers of the shop -----------------------------------------------------------------


@pytest.fixture
def welcome_template():
    template = make_coupon(code="WELCOME", value=300, is_active=False)
    settings_row = LoyaltySettings.load()
    settings_row.welcome_coupon = template
    settings_row.save()
    return template


def test_following_the_shop_gives_the_welcome_coupon_once_ever(
    member, welcome_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        social_services.follow_set(follower=member, followee_id=None, on=True)
    coupon = Coupon.objects.get(owner=member)
    assert (coupon.template, coupon.issue_key, coupon.value) == (welcome_template, "welcome", 300)
    with django_capture_on_commit_callbacks(execute=True):
        social_services.follow_set(follower=member, followee_id=None, on=False)
    with django_capture_on_commit_callbacks(execute=True):
        social_services.follow_set(follower=member, followee_id=None, on=True)
    assert Coupon.objects.filter(owner=member).count() == 1


def test_following_a_member_gives_no_welcome_coupon(member, welcome_template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        social_services.follow_set(follower=member, followee_id=UserFactory().pk, on=True)
    assert callbacks == []
    assert not Coupon.objects.filter(owner=member).exists()


def test_no_welcome_coupon_without_a_template_or_for_an_anonymised_member(member, welcome_template):
    member.anonymised_at = timezone.now()
    member.save()
    assert services.coupon_issue_welcome(user_id=member.pk) is None
    settings_row = LoyaltySettings.load()
    settings_row.welcome_coupon = None
    settings_row.save()
    assert services.coupon_issue_welcome(user_id=UserFactory().pk) is None
    assert not Coupon.objects.exclude(pk=welcome_template.pk).exists()


# --- birthday coupons ---------------------------------------------------------------------------------------------


@pytest.fixture
def birthday_template():
    template = make_coupon(code="HAPPYBDAY", kind=Coupon.Kind.PERCENT, value=10, is_active=False)
    settings_row = LoyaltySettings.load()
    settings_row.birthday_coupon = template
    settings_row.save()
    return template


def test_birthday_coupons_for_members_born_this_month(birthday_template):
    may = [UserFactory(birth_month=5), UserFactory(birth_month=5)]
    UserFactory(birth_month=6)
    UserFactory(birth_month=None)
    UserFactory(birth_month=5, is_active=False)
    UserFactory(birth_month=5, anonymised_at=timezone.now())

    assert services.coupons_issue_birthday(today=datetime.date(2026, 5, 1)) == 2
    issued = Coupon.objects.filter(template=birthday_template)
    assert {c.owner for c in issued} == set(may)
    assert {c.issue_key for c in issued} == {"birthday:2026"}
    assert {c.valid_until for c in issued} == {datetime.datetime(2026, 5, 31, 23, 59, 59, tzinfo=TOKYO)}
    # Again the same month (or any later day of it): nothing more.
    assert services.coupons_issue_birthday(today=datetime.date(2026, 5, 20)) == 0
    assert services.coupons_issue_birthday(today=datetime.date(2027, 5, 1)) == 2
    assert Coupon.objects.filter(template=birthday_template).count() == 4


def test_birthday_month_is_tokyo_time(birthday_template, settings):
    member = UserFactory(birth_month=3)
    # 2026-02-28 16:00 UTC is already 1 March in Tokyo.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: datetime.datetime(2026, 2, 28, 16, 0, tzinfo=datetime.UTC))
        assert services.coupons_issue_birthday() == 1
    coupon = Coupon.objects.get(owner=member)
    assert coupon.valid_until == datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=TOKYO)


def test_no_birthday_template_issues_nothing():
    UserFactory(birth_month=5)
    assert services.coupons_issue_birthday(today=datetime.date(2026, 5, 1)) == 0
    assert not Coupon.objects.exists()


def test_birthday_command(birthday_template, capsys):
    UserFactory(birth_month=12)
    call_command("issue_birthday_coupons", "--date", "2026-12-01")
    assert "Birthday coupons issued: 1" in capsys.readouterr().out


def test_segment_coupon_only_for_members_in_the_segment(member):
    from loyalty.models import Segment

    gold = Rank.objects.create(code="seg-gold", name="Gold", min_spend=1)
    segment = Segment.objects.create(name="gold members")
    segment.ranks.set([gold])
    make_coupon(code="GOLDSEG").segments.set([segment])
    with translation.override("en"):
        assert refused("GOLDSEG", member) == "This coupon is only for selected members."
        assert refused("GOLDSEG", AnonymousUser()) == "This coupon is for members only. Please log in to use it."
    account, _ = PointAccount.objects.get_or_create(user=member)
    account.rank, account.rank_updated_at = gold, timezone.now()
    account.save()
    assert quote("GOLDSEG", member).discount == 500
