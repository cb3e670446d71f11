"""Prize draws (F30): entry rules and period, one entry per person, a reproducible draw from a recorded seed, nobody
winning twice, the audit record, winners notified, anonymised winners on the result page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.notifications.models import Notification
from shop.orders.models import Order, OrderLine
from shop.reviews.models import Review
from social.draws import selectors, services
from social.draws.exceptions import DrawError
from social.draws.models import Draw, DrawAudit, DrawEntry, DrawWinner
from social.models import Follow
from tests.factories import VariantFactory
from tests.loyalty.conftest import make_order
from tests.social.conftest import make_member

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://shop.example.jp"


def make_draw(*, now=None, rule=Draw.Rule.APPLY, winners=1, status=Draw.Status.PUBLISHED, slug="spring", **fields):
    now = now or timezone.now()
    return Draw.objects.create(
        title="春のコスメセット プレゼント",
        slug=slug,
        prize="人気コスメ5点セット",
        rule=rule,
        starts_at=fields.pop("starts_at", now - DAY),
        ends_at=fields.pop("ends_at", now + DAY),
        winners_count=winners,
        odds_text="抽選で3名様",
        status=status,
        **fields,
    )


def members(n: int, prefix: str = "m") -> list:
    return [make_member(email=f"{prefix}{i}@example.jp", display_name=f"山田 花子{i}") for i in range(n)]


def enter_all(draw, users, *, now):
    return [services.draw_enter(draw=draw, user=user, now=now) for user in users]


# --- The draw itself ----------------------------------------------------------------------------------------------


def test_the_same_seed_and_entries_give_the_same_winners():
    entry_ids = list(range(101, 151))
    first = selectors.winners_from_seed(entry_ids=entry_ids, seed=20260401, count=5)
    again = selectors.winners_from_seed(entry_ids=list(reversed(entry_ids)), seed=20260401, count=5)
    other = selectors.winners_from_seed(entry_ids=entry_ids, seed=20260402, count=5)
    assert first == again
    assert first != other


@settings(max_examples=60, deadline=None)
@given(
    entry_ids=st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=40),
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    count=st.integers(min_value=1, max_value=50),
)
def test_nobody_wins_twice_and_the_draw_repeats(entry_ids, seed, count):
    winners = selectors.winners_from_seed(entry_ids=entry_ids, seed=seed, count=count)
    assert len(winners) == len(set(winners)) == min(count, len(entry_ids))
    assert set(winners) <= set(entry_ids)
    assert winners == selectors.winners_from_seed(entry_ids=entry_ids, seed=seed, count=count)


def test_draw_records_seed_and_audit_and_the_recorded_seed_repeats_the_result():
    now = timezone.now()
    draw = make_draw(now=now, winners=3)
    staff = make_member(email="staff@example.jp", is_staff=True)
    entries = enter_all(draw, members(10), now=now)

    winners = services.draw_perform(draw_id=draw.pk, actor=staff, now=now + 2 * DAY)

    draw.refresh_from_db()
    assert draw.status == Draw.Status.DRAWN and draw.drawn_by == staff and draw.seed
    audit = DrawAudit.objects.get(draw=draw)
    assert (audit.seed, audit.entry_count, audit.drawn_by) == (draw.seed, 10, staff)
    expected = selectors.winners_from_seed(entry_ids=[e.pk for e in entries], seed=int(draw.seed), count=3)
    assert audit.winner_entry_ids == expected == [w.entry_id for w in winners]
    assert [w.position for w in winners] == [1, 2, 3]
    assert len({w.user_id for w in winners}) == 3
    assert selectors.draw_audit_verify(audit=audit)


def test_a_seed_fixed_by_staff_gives_the_same_winners_as_the_same_seed_elsewhere():
    now = timezone.now()
    users = members(8)
    one = make_draw(now=now, winners=2, seed="987654321", slug="one")
    two = make_draw(now=now, winners=2, seed="987654321", slug="two")
    enter_all(one, users, now=now)
    enter_all(two, users, now=now)

    first = services.draw_perform(draw_id=one.pk, now=now + 2 * DAY)
    second = services.draw_perform(draw_id=two.pk, now=now + 2 * DAY)

    # Entries in the same order and the same seed: the same people win, in the same order.
    assert [w.user_id for w in first] == [w.user_id for w in second]


def test_more_winners_than_entries_makes_everyone_win_once():
    now = timezone.now()
    draw = make_draw(now=now, winners=5)
    enter_all(draw, members(3), now=now)
    winners = services.draw_perform(draw_id=draw.pk, now=now + 2 * DAY)
    assert len(winners) == 3 and DrawWinner.objects.filter(draw=draw).values("user").distinct().count() == 3


def test_drawing_twice_or_before_the_end_is_refused():
    now = timezone.now()
    draw = make_draw(now=now)
    enter_all(draw, members(3), now=now)
    with pytest.raises(DrawError):
        services.draw_perform(draw_id=draw.pk, now=now)
    assert not DrawWinner.objects.exists() and not Draw.objects.get(pk=draw.pk).seed

    services.draw_perform(draw_id=draw.pk, now=now + 2 * DAY)
    with pytest.raises(DrawError):
        services.draw_perform(draw_id=draw.pk, now=now + 3 * DAY)
    assert DrawWinner.objects.filter(draw=draw).count() == 1
    assert DrawAudit.objects.filter(draw=draw).count() == 1


def test_winners_are_notified_once_and_others_not():
    now = timezone.now()
    draw = make_draw(now=now, winners=2)
    enter_all(draw, members(5), now=now)
    winners = services.draw_perform(draw_id=draw.pk, now=now + 2 * DAY)

    notices = Notification.objects.filter(kind="draw_won")
    assert sorted(notices.values_list("user_id", flat=True)) == sorted(w.user_id for w in winners)
    assert all(w.notified_at is not None for w in DrawWinner.objects.filter(draw=draw))
    assert "人気コスメ5点セット" in notices.first().body_text
    assert "https://shop.example.jp/draws/spring/" in notices.first().body_text


def test_admin_action_draws_and_refuses_a_second_time(admin_client_verified):
    now = timezone.now()
    draw = make_draw(now=now, starts_at=now - 3 * DAY, ends_at=now - DAY)
    DrawEntry.objects.bulk_create([DrawEntry(draw=draw, user=user) for user in members(4)])
    url = reverse("admin:draws_draw_changelist")
    data = {"action": "draw_winners", "_selected_action": [draw.pk]}

    admin_client_verified.post(url, data)
    response = admin_client_verified.post(url, data, follow=True)

    assert DrawWinner.objects.filter(draw=draw).count() == 1
    assert DrawAudit.objects.get(draw=draw).drawn_by == admin_client_verified.user
    assert "すでに決定しています" in response.content.decode()  # "…have already been drawn…", in Japanese
    assert admin_client_verified.get(reverse("admin:draws_draw_change", args=[draw.pk])).status_code == 200


# --- Entering -----------------------------------------------------------------------------------------------------


def test_entries_before_the_start_and_after_the_end_are_refused():
    now = timezone.now()
    draw = make_draw(now=now, starts_at=now + HOUR, ends_at=now + DAY)
    [member] = members(1)
    with pytest.raises(DrawError, match="open"):
        services.draw_enter(draw=draw, user=member, now=now)
    with pytest.raises(DrawError, match="closed"):
        services.draw_enter(draw=draw, user=member, now=now + DAY + datetime.timedelta(seconds=1))
    services.draw_enter(draw=draw, user=member, now=now + 2 * HOUR)
    assert DrawEntry.objects.filter(draw=draw).count() == 1


def test_entry_after_the_end_through_the_page_shows_a_clear_message(client):
    now = timezone.now()
    draw = make_draw(now=now, starts_at=now - 3 * DAY, ends_at=now - HOUR)
    [member] = members(1)
    client.force_login(member)

    response = client.post(reverse("draws:enter", kwargs={"slug": draw.slug}), follow=True)

    assert response.status_code == 200
    assert "応募受付は終了しました" in response.content.decode()  # "Entries for this draw have closed."
    assert not DrawEntry.objects.exists()


def test_one_entry_per_person_through_the_page(client):
    draw = make_draw()
    [member] = members(1)
    client.force_login(member)
    url = reverse("draws:enter", kwargs={"slug": draw.slug})

    client.post(url)
    response = client.post(url, follow=True)

    assert DrawEntry.objects.filter(draw=draw, user=member).count() == 1
    assert response.status_code == 200


def test_entering_needs_sign_in(client):
    draw = make_draw()
    response = client.post(reverse("draws:enter", kwargs={"slug": draw.slug}))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not DrawEntry.objects.exists()


def test_draft_draws_are_not_shown_or_open():
    draw = make_draw(status=Draw.Status.DRAFT)
    [member] = members(1)
    with pytest.raises(DrawError):
        services.draw_enter(draw=draw, user=member)


def test_purchase_rule_needs_a_paid_order_in_the_period_of_a_listed_product():
    now = timezone.now()
    variant = VariantFactory()
    draw = make_draw(now=now, rule=Draw.Rule.PURCHASE)
    draw.products.add(variant.product)
    buyer, early, other_item, nobody = members(4)

    def order_of(user, *, paid_at, with_variant=None):
        order = make_order(user, subtotal=2000, paid_at=paid_at)
        if with_variant is not None:
            OrderLine.objects.create(
                order=order, variant=with_variant, sku=with_variant.sku, product_name="x", unit_price=2000, quantity=1
            )
        return order

    order_of(buyer, paid_at=now - HOUR, with_variant=variant)
    order_of(early, paid_at=now - 3 * DAY, with_variant=variant)  # before the draw started
    order_of(other_item, paid_at=now - HOUR, with_variant=VariantFactory())
    cancelled = order_of(nobody, paid_at=now - HOUR, with_variant=variant)
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)

    services.draw_enter(draw=draw, user=buyer, now=now)
    for user in (early, other_item, nobody):
        with pytest.raises(DrawError, match="order"):
            services.draw_enter(draw=draw, user=user, now=now)


def test_review_rule_needs_a_published_review_in_the_period():
    now = timezone.now()
    draw = make_draw(now=now, rule=Draw.Rule.REVIEW)
    reviewer, pending = members(2)
    product = VariantFactory().product
    Review.objects.create(product=product, user=reviewer, rating=5, title="良い", body="とても良い", status="published")
    Review.objects.create(product=product, user=pending, rating=4, title="普通", body="まあまあ", status="pending")

    services.draw_enter(draw=draw, user=reviewer, now=now + HOUR)
    with pytest.raises(DrawError, match="review"):
        services.draw_enter(draw=draw, user=pending, now=now + HOUR)


def test_follow_rule_needs_following_the_shop():
    draw = make_draw(rule=Draw.Rule.FOLLOW)
    follower, friend_only = members(2)
    Follow.objects.create(follower=follower, followee=None)
    Follow.objects.create(follower=friend_only, followee=follower)

    services.draw_enter(draw=draw, user=follower)
    with pytest.raises(DrawError, match="follow"):
        services.draw_enter(draw=draw, user=friend_only)


# --- Pages --------------------------------------------------------------------------------------------------------


def test_page_states_the_odds_and_how_to_enter(client):
    draw = make_draw(rule=Draw.Rule.FOLLOW, winners=3)
    response = client.get(reverse("draws:detail", kwargs={"slug": draw.slug}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "抽選で3名様" in html and 'data-rule="follow"' in html and 'data-entry-count="0"' in html
    assert reverse("account_login") in html


def test_result_page_lists_anonymised_winners(client):
    now = timezone.now()
    draw = make_draw(now=now, winners=2)
    hanako = make_member(email="hanako.yamada@example.jp", display_name="山田 花子")
    taro = make_member(email="taro@example.jp", display_name="")
    enter_all(draw, [hanako, taro], now=now)
    services.draw_perform(draw_id=draw.pk, now=now + 2 * DAY)
    draw.refresh_from_db()

    client.force_login(hanako)
    html = client.get(reverse("draws:detail", kwargs={"slug": draw.slug})).content.decode()

    assert "山田***" in html
    assert "山田 花子" not in html and "hanako.yamada" not in html and "taro@example.jp" not in html
    assert "data-my-result" in html
    with translation.override("en"):  # the page request above left Japanese active
        assert sorted(selectors.draw_winners_public(draw=draw)) == sorted(["山田***", "Member ***"])


def test_masked_names():
    class Person:
        anonymised_at = None

        def __init__(self, name):
            self.display_name = name

    assert selectors.masked_name(Person("山田 花子")) == "山田***"
    assert selectors.masked_name(Person("hanako")) == "han***"
    assert selectors.masked_name(Person("A")) == "A***"
    assert selectors.masked_name(Person("")) == "Member ***"


def test_list_page(client):
    make_draw()
    make_draw(slug="hidden", status=Draw.Status.DRAFT)
    html = client.get(reverse("draws:list")).content.decode()
    assert "/draws/spring/" in html and "/draws/hidden/" not in html
