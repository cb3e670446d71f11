"""The "my coupons" page and the coupon admin."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from loyalty.models import Coupon, CouponRedemption, LoyaltySettings, PointAccount, Rank
from loyalty.services import coupons as services
from shop.accounts.privacy_services import legal_accept_current
from shop.notifications.services import line_link_set
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
URL = "/account/coupons/"


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages in English (the language switcher's cookie), so the texts asserted do not follow the ja catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def member(client):
    user = UserFactory(email="hanako@example.jp")
    legal_accept_current(user=user)
    client.force_login(user)
    return user


def page(client):
    response = client.get(URL)
    assert response.status_code == 200
    return response


def section(html: str, code: str) -> str:
    start = html.index(f'data-coupon-code="{code}"')
    return html[start : html.index("</li>", start)]


def test_url_name():
    assert reverse("loyalty:coupons") == URL


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_personal_and_shared_coupons_with_their_terms(client, member):
    birthday = Coupon.objects.create(code="BDAY", name="Birthday", kind="percent", value=10, is_active=False)
    personal = services.coupon_issue_personal(
        template=birthday,
        user=member,
        issue_key="birthday:2099",
        valid_until=datetime.datetime(2099, 5, 31, 23, 59, 59, tzinfo=TOKYO),
    )
    Coupon.objects.filter(pk=personal.pk).update(min_subtotal=3000, max_discount=1000)
    Coupon.objects.create(
        is_listed=True, code="SPRING", name="Spring sale", value=500, description="Sale items excluded"
    )
    Coupon.objects.create(
        is_listed=True, code="SOON", name="Summer", value=800, valid_from=datetime.datetime(2099, 7, 1, tzinfo=TOKYO)
    )
    Coupon.objects.create(is_listed=True, code="OFF", name="Stopped", value=800, is_active=False)
    gold = Rank.objects.create(code="c-gold", name="Gold", min_spend=1)
    Coupon.objects.create(is_listed=True, code="GOLDONLY", name="Gold", value=900).ranks.set([gold])
    Coupon.objects.create(is_listed=True, code="LINEONLY", name="LINE", value=300, channel=Coupon.Channel.LINE)
    Coupon.objects.create(code="SECRET", name="Influencer code", value=700)  # not listed: only its holders know it
    services.coupon_issue_personal(template=birthday, user=UserFactory(), issue_key="birthday:2099")

    response = page(client)
    html = response.content.decode()
    assert response.context["account_section"] == "coupons"

    mine = section(html, personal.code)
    assert "10% off (up to ¥1,000)" in mine
    assert "¥3,000 (tax incl.) or more" in mine
    assert "2099年5月31日 23:59" in mine
    assert "Only for you" in mine and "Up to 1 use(s) per member" in mine
    assert "Can be used" in mine

    spring = section(html, "SPRING")
    assert "¥500 off" in spring and "Sale items excluded" in spring and "No end date" in spring
    assert "Can be used" in spring
    soon = section(html, "SOON")
    assert "This coupon can be used from 2099年7月1日 00:00." in soon
    # Shared codes the member cannot use are not offered; nor are the template and other members' copies.
    for hidden in ('"OFF"', '"GOLDONLY"', '"LINEONLY"', '"BDAY"', '"SECRET"'):
        assert f"data-coupon-code={hidden}" not in html
    assert html.count('data-coupon-code="BDAY-') == 1


def test_rank_and_line_coupons_appear_for_members_who_may_use_them(client, member):
    gold = Rank.objects.create(code="c-gold", name="Gold", min_spend=1)
    PointAccount.objects.create(user=member, rank=gold, rank_updated_at=timezone.now())
    line_link_set(user=member, line_user_id="U1", source="code")
    Coupon.objects.create(is_listed=True, code="GOLDONLY", name="Gold", value=900).ranks.set([gold])
    Coupon.objects.create(is_listed=True, code="LINEONLY", name="LINE", value=300, channel=Coupon.Channel.LINE)
    html = page(client).content.decode()
    assert "Ranks: Gold" in section(html, "GOLDONLY")
    assert "LINE-linked members only" in section(html, "LINEONLY")


def test_used_and_expired_coupons_are_listed_apart(client, member):
    template = Coupon.objects.create(code="THANKS", name="Thanks", value=300, is_active=False)
    used = services.coupon_issue_personal(template=template, user=member, issue_key="a")
    expired = services.coupon_issue_personal(
        template=template, user=member, issue_key="b", valid_until=datetime.datetime(2020, 1, 31, 23, 59, tzinfo=TOKYO)
    )
    fresh = services.coupon_issue_personal(template=template, user=member, issue_key="c")
    order = OrderFactory(user=member)
    services.coupon_hold_for_order(code=used.code, order=order, user=member)
    services.coupon_use_for_order(order_id=order.pk)
    shared = Coupon.objects.create(is_listed=True, code="ONCEEACH", name="Once", value=100)
    shared_order = OrderFactory(user=member)
    services.coupon_hold_for_order(code="ONCEEACH", order=shared_order, user=member)

    response = page(client)
    current = [row.coupon.code for row, _terms in response.context["current"]]
    past = {row.coupon.code: row.why_not for row, _terms in response.context["past"]}
    assert current == [fresh.code]
    assert past == {used.code: "Used", expired.code: "Expired on 2020年1月31日 23:59", shared.code: "Used"}
    html = response.content.decode()
    assert html.index("Used and expired coupons") < html.index(f'data-coupon-code="{used.code}"')


def test_japanese_page(client, member, settings):
    template = Coupon.objects.create(code="BDAY", name="誕生日クーポン", value=500, min_subtotal=3000, is_active=False)
    services.coupon_issue_personal(
        template=template,
        user=member,
        issue_key="birthday:2099",
        valid_until=datetime.datetime(2099, 5, 31, 23, 59, 59, tzinfo=TOKYO),
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    html = page(client).content.decode()
    assert "誕生日クーポン" in html and "2099年5月31日 23:59" in html and "¥3,000（税込）" in html


def test_empty_page(client, member):
    LoyaltySettings.load()
    html = page(client).content.decode()
    assert "You have no coupons to use right now." in html


# --- admin --------------------------------------------------------------------------------------------------------


def test_admin_list_filters_and_search(admin_client_verified):
    owner = UserFactory(email="owner@example.jp")
    template = Coupon.objects.create(code="WELCOME", name="Welcome", value=300, max_uses=10)
    services.coupon_issue_personal(template=template, user=owner, issue_key="welcome")
    url = reverse("admin:loyalty_coupon_changelist")
    with translation.override("en"):
        assert admin_client_verified.get(url).status_code == 200
        shared = admin_client_verified.get(url, {"personal": "no"})
        assert [c.code for c in shared.context["cl"].result_list] == ["WELCOME"]
        assert "0 / 10" in shared.content.decode()
        personal = admin_client_verified.get(url, {"q": "owner@example.jp"})
        assert [c.owner for c in personal.context["cl"].result_list] == [owner]
        for validity in ("current", "upcoming", "expired"):
            assert admin_client_verified.get(url, {"validity": validity}).status_code == 200


def test_admin_add_normalises_the_code_and_checks_percent(admin_client_verified):
    url = reverse("admin:loyalty_coupon_add")
    data = {
        "code": " ｓｕｍｍｅｒ２０ ",
        "name": "Summer",
        "description": "",
        "is_active": "on",
        "kind": "percent",
        "value": "120",
        "min_subtotal": "0",
        "max_uses_per_user": "1",
        "channel": "",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
    }
    with translation.override("en"):
        response = admin_client_verified.post(url, data)
        assert response.status_code == 200
        assert "A percentage must be between 1 and 100." in response.content.decode()
        response = admin_client_verified.post(url, {**data, "value": "20"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Coupon.objects.get().code == "SUMMER20"


def test_admin_change_page_shows_uses_and_deactivate_action(admin_client_verified):
    member = UserFactory()
    coupon = Coupon.objects.create(code="INUSE", name="In use", value=300)
    services.coupon_hold_for_order(code="INUSE", order=OrderFactory(user=member), user=member)
    with translation.override("en"):
        response = admin_client_verified.get(reverse("admin:loyalty_coupon_change", args=[coupon.pk]))
    assert response.status_code == 200
    assert member.email in response.content.decode()
    response = admin_client_verified.post(
        reverse("admin:loyalty_coupon_changelist"), {"action": "deactivate", "_selected_action": [coupon.pk]}
    )
    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.is_active is False


def test_redemption_admin_is_read_only(admin_client_verified):
    member = UserFactory()
    Coupon.objects.create(code="RO", name="Read only", value=300)
    redemption = services.coupon_hold_for_order(code="RO", order=OrderFactory(user=member), user=member)
    assert admin_client_verified.get(reverse("admin:loyalty_couponredemption_changelist")).status_code == 200
    change = reverse("admin:loyalty_couponredemption_change", args=[redemption.pk])
    assert admin_client_verified.get(change).status_code == 200
    assert admin_client_verified.post(change, {"status": "used"}).status_code == 403
    assert admin_client_verified.get(reverse("admin:loyalty_couponredemption_add")).status_code == 403
    redemption.refresh_from_db()
    assert redemption.status == CouponRedemption.Status.HELD
