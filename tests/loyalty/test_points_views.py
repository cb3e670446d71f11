"""The member's points page, the public rules page and the points admin (with the staff adjustment)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.models import LoyaltySettings, PointAccount, PointEntry, Rank
from loyalty.services import points as svc
from loyalty.services.ranks import rank_recompute
from shop.accounts.models import PersonalDataAccess
from tests.loyalty.conftest import days, make_member, make_order

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text with tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_points_page_needs_sign_in(client):
    response = client.get(reverse("loyalty:points"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_points_page_shows_balance_expiry_rank_and_history(client, member, ranks):
    now = timezone.now()
    svc.points_adjust(user=member, amount=1_234, reason="お詫びのポイント", actor=None, now=now - days(10))
    order = make_order(member, subtotal=50_000, shipping_fee=0, paid_at=now - days(2))
    svc.points_award_for_order(order_id=order.pk)  # 500, pending for 14 days
    rank_recompute(user_id=member.pk)
    client.force_login(member)

    response = client.get(reverse("loyalty:points"))

    assert response.status_code == 200
    assert response.context["account_section"] == "points"
    page = text(response)
    assert "マイページ" in page  # the account area, in Japanese
    assert re.search(r"data-points-available>\s*<strong>1,234</strong>", response.content.decode())
    assert re.search(r"data-points-pending>500 ", response.content.decode())
    expires = timezone.localtime(now - days(10) + days(365)).strftime("%Y/%m/%d")
    assert "1,234 pt" in page and expires in page
    assert "シルバー" in page  # ¥50,000 in the last year
    assert "¥30,000" in page  # still needed for gold (¥80,000)
    assert "ゴールド" in page
    assert "お詫びのポイント" in page and order.number in page
    assert "+1,234" in page and "+500" in page


def test_points_history_is_paginated(client, member):
    now = timezone.now()
    for n in range(25):
        svc.points_adjust(user=member, amount=n + 1, reason=f"理由{n}", actor=None, now=now)
    client.force_login(member)

    first = text(client.get(reverse("loyalty:points")))
    second = text(client.get(reverse("loyalty:points") + "?page=2"))

    assert "理由24" in first and "理由0 " not in first
    assert "理由0 " in second and "理由24" not in second


def test_rules_page_is_public_and_shows_what_staff_set(client, ranks):
    settings = LoyaltySettings.load()
    settings.earn_rate_percent = 2
    settings.review_points = 40
    settings.review_photo_points = 120
    settings.return_window_days = 10
    settings.expiry_days = 180
    settings.redeem_min = 300
    settings.redeem_max_percent = 50
    settings.save()
    Rank.objects.filter(code="gold").update(name="ゴールド会員", min_spend=75_000)

    response = client.get(reverse("loyalty:rules"))

    assert response.status_code == 200
    page = text(response)
    assert "200" in page  # ¥10,000 of items earn 200 points at 2 per ¥100
    assert re.search(r"(?<!\d)40(?!\d)", page) and re.search(r"(?<!\d)120(?!\d)", page)
    assert re.search(r"(?<!\d)10(?!\d)", page) and re.search(r"(?<!\d)180(?!\d)", page)
    assert "300" in page and "50%" in page
    for name in ("レギュラー", "シルバー", "ゴールド会員", "プラチナ"):
        assert name in page
    assert "¥75,000" in page and "¥200,000" in page
    assert "×1.5" in page and "×2" in page
    assert "送料無料" in page  # the ranks' benefits, as stored


# --- Admin --------------------------------------------------------------------------------------------------------


def _account_url(member):
    account, _created = PointAccount.objects.get_or_create(user=member)
    return reverse("admin:loyalty_pointaccount_change", args=[account.pk])


def test_admin_adjustment_adds_points_with_the_reason_and_who(admin_client_verified, member):
    url = _account_url(member)
    page = admin_client_verified.get(url)
    assert page.status_code == 200
    key = page.context["adminform"].form["adjust_key"].value()

    response = admin_client_verified.post(
        url, {"adjust_points": "500", "adjust_reason": "配送遅延のお詫び", "adjust_key": key, "_continue": "1"}
    )
    admin_client_verified.post(  # the same page sent twice
        url, {"adjust_points": "500", "adjust_reason": "配送遅延のお詫び", "adjust_key": key, "_continue": "1"}
    )

    assert response.status_code == 302
    entry = PointEntry.objects.get(user=member)
    assert (entry.amount, entry.kind, entry.note) == (500, PointEntry.Kind.ADJUSTMENT, "配送遅延のお詫び")
    assert entry.created_by == admin_client_verified.user
    shown = admin_client_verified.get(url)
    assert "500" in text(shown) and "配送遅延のお詫び" in text(shown)
    assert PersonalDataAccess.objects.filter(customer_id=member.pk, staff=admin_client_verified.user).exists()


def test_admin_adjustment_needs_a_reason_and_cannot_go_below_zero(admin_client_verified, member):
    url = _account_url(member)
    svc.points_adjust(user=member, amount=100, reason="初期", actor=None)

    no_reason = admin_client_verified.post(url, {"adjust_points": "50", "adjust_reason": " ", "adjust_key": "a"})
    too_much = admin_client_verified.post(url, {"adjust_points": "-101", "adjust_reason": "訂正", "adjust_key": "b"})

    assert no_reason.status_code == 200 and no_reason.context["adminform"].form.errors["adjust_reason"]
    assert too_much.status_code == 200 and too_much.context["adminform"].form.errors["adjust_points"]
    assert PointEntry.objects.filter(user=member).count() == 1

    taken = admin_client_verified.post(url, {"adjust_points": "-100", "adjust_reason": "訂正", "adjust_key": "c"})
    assert taken.status_code == 302
    assert sum(PointEntry.objects.filter(user=member).values_list("amount", flat=True)) == 0


def test_admin_ledger_is_read_only_filterable_and_searchable(admin_client_verified, member):
    other = make_member(email="taro@example.jp")
    svc.points_adjust(user=member, amount=100, reason="a", actor=None)
    svc.points_adjust(user=other, amount=200, reason="b", actor=None)
    entry = PointEntry.objects.get(user=member)
    changelist = reverse("admin:loyalty_pointentry_changelist")

    assert admin_client_verified.get(changelist + "?kind__exact=adjustment").status_code == 200
    found = admin_client_verified.get(changelist + "?q=taro@example.jp")
    assert list(found.context["cl"].result_list) == [PointEntry.objects.get(user=other)]
    mine = admin_client_verified.get(changelist + f"?user__id__exact={member.pk}")
    assert list(mine.context["cl"].result_list) == [entry]

    change = reverse("admin:loyalty_pointentry_change", args=[entry.pk])
    assert admin_client_verified.get(change).status_code == 200  # a view-only page
    assert admin_client_verified.post(change, {"amount": "9999"}).status_code == 403
    assert admin_client_verified.get(reverse("admin:loyalty_pointentry_add")).status_code == 403
    assert admin_client_verified.get(reverse("admin:loyalty_pointentry_delete", args=[entry.pk])).status_code == 403
    entry.refresh_from_db()
    assert entry.amount == 100


def test_admin_settings_is_one_row_and_rank_changes_read_only(admin_client_verified, ranks):
    response = admin_client_verified.get(reverse("admin:loyalty_loyaltysettings_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:loyalty_loyaltysettings_change", args=[LoyaltySettings.load().pk])
    assert admin_client_verified.get(reverse("admin:loyalty_loyaltysettings_add")).status_code == 403
    assert admin_client_verified.get(reverse("admin:loyalty_rankchange_changelist")).status_code == 200
    assert admin_client_verified.get(reverse("admin:loyalty_rankchange_add")).status_code == 403
    assert admin_client_verified.get(reverse("admin:loyalty_rank_changelist")).status_code == 200
