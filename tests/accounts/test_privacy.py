"""Privacy under APPI: legal pages with versions, re-acceptance, consents, the cookie banner, "download my data"
and account deletion (orders kept for accounting without personal data)."""

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from payments.services import checkout_place_order
from shop.accounts import privacy_selectors, privacy_services
from shop.accounts.models import (
    Address,
    Consent,
    LegalPage,
    LegalPageVersion,
    PolicyAcceptance,
    PrivacyRequest,
    User,
)
from shop.orders.models import Cart, Order
from shop.orders.services import cart_add
from tests.factories import UserFactory, VariantFactory
from tests.payments.support import details

PASSWORD = "correct-horse-battery"


def _order_for(user, *, name: str, phone: str, postal_code: str) -> Order:
    cart = Cart.objects.create(user=user)
    cart_add(cart=cart, variant_id=VariantFactory().pk, quantity=1)
    return checkout_place_order(
        cart=cart,
        checkout_token=uuid.uuid4(),
        user=user,
        details=details(
            payment_method="bank_transfer", email=user.email, name=name, phone=phone, postal_code=postal_code
        ),
    )


@pytest.fixture
def hanako(db, shipping_methods):
    user = UserFactory(email="hanako.yamada@example.jp", display_name="やまはな", birth_month=4, gender="female")
    Address.objects.create(
        user=user,
        name="山田 花子",
        postal_code="150-0001",
        prefecture="東京都",
        city="渋谷区",
        street="神宮前1-2-3",
        building="つなぐビル 401",
        phone="09012345678",
        is_default=True,
    )
    _order_for(user, name="山田 花子", phone="09012345678", postal_code="150-0001")
    return user


@pytest.fixture
def taro(db, shipping_methods):
    user = UserFactory(email="taro.suzuki@example.jp", display_name="すずたろ")
    Address.objects.create(
        user=user,
        name="鈴木 太郎",
        postal_code="530-0001",
        prefecture="大阪府",
        city="大阪市北区",
        street="梅田9-9-9",
        phone="08098765432",
    )
    _order_for(user, name="鈴木 太郎", phone="08098765432", postal_code="530-0001")
    return user


def _signed_in(client, user):
    client.force_login(user)
    privacy_services.legal_accept_current(user=user)
    return client


def _zip_of(privacy_request: PrivacyRequest) -> zipfile.ZipFile:
    privacy_request.export_file.open("rb")
    try:
        return zipfile.ZipFile(io.BytesIO(privacy_request.export_file.read()))
    finally:
        privacy_request.export_file.close()


# --- legal pages ----------------------------------------------------------------------------------------------


def test_migration_seeds_the_five_pages_and_the_privacy_policy_states_the_six_items(db):
    assert set(LegalPage.objects.values_list("kind", flat=True)) == set(LegalPage.Kind.values)
    body = privacy_selectors.legal_version_current(kind="privacy").body
    for item in ("取得の目的", "利用目的", "第三者への提供", "開示・訂正", "Cookie", "無効化", "改定の履歴"):
        assert item in body
    tokushoho = privacy_selectors.legal_version_current(kind="tokushoho").body
    for item in ("販売事業者", "所在地", "消費税込み", "クレジットカード", "銀行振込", "代金引換", "返品"):
        assert item in tokushoho


def test_legal_page_shows_current_text_and_revision_history(client, db):
    page = LegalPage.objects.get(kind="returns")
    privacy_services.legal_page_version_add(
        page=page, body="新しい返品条件です。", change_summary="返品期限を変更", effective_at=timezone.now()
    )
    privacy_services.legal_page_version_add(
        page=page,
        body="まだ施行されていない条件",
        change_summary="来月から",
        effective_at=timezone.now() + timedelta(days=30),
    )
    html = client.get(reverse("legal:page", args=["returns"])).content.decode()
    assert "新しい返品条件です。" in html
    assert "返品期限を変更" in html and "初版" in html
    assert "まだ施行されていない条件" not in html and "来月から" not in html
    old = client.get(reverse("legal:page_version", args=["returns", 1])).content.decode()
    assert "商品到着後8日以内" in old
    assert client.get(reverse("legal:page_version", args=["returns", 3])).status_code == 404
    assert client.get("/legal/nothing/").status_code == 404


def test_footer_links_every_legal_page(client, db):
    html = client.get(reverse("legal:page", args=["terms"])).content.decode()
    for kind in LegalPage.Kind.values:
        assert reverse("legal:page", args=[kind]) in html


def test_new_privacy_version_asks_signed_in_user_to_accept_again(client, db):
    user = UserFactory()
    _signed_in(client, user)
    assert client.get("/").status_code == 200
    page = LegalPage.objects.get(kind="privacy")
    new = privacy_services.legal_page_version_add(
        page=page, body="改定版", change_summary="第三者提供先を追加", effective_at=timezone.now()
    )

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:privacy_accept"))
    # Legal pages, the privacy area and sign-out stay reachable.
    assert client.get(reverse("legal:page", args=["privacy"])).status_code == 200
    assert client.get(reverse("accounts:privacy")).status_code == 200
    page_html = client.get(response["Location"]).content.decode()
    assert "第三者提供先を追加" in page_html

    refused = client.post(reverse("accounts:privacy_accept"), {"next": "/"})
    assert refused.status_code == 400
    assert not PolicyAcceptance.objects.filter(user=user, version=new).exists()

    accepted = client.post(reverse("accounts:privacy_accept"), {"agree": "on", "next": "/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/"
    assert PolicyAcceptance.objects.filter(user=user, version=new).exists()
    assert client.get("/").status_code == 200


def test_shipping_page_changes_do_not_ask_for_acceptance(client, db):
    _signed_in(client, UserFactory())
    privacy_services.legal_page_version_add(
        page=LegalPage.objects.get(kind="shipping"), body="送料改定", change_summary="", effective_at=timezone.now()
    )
    assert client.get("/").status_code == 200


def test_sign_up_accepts_current_privacy_policy_and_terms(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.jp", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.jp")
    accepted = set(PolicyAcceptance.objects.filter(user=user).values_list("version__page__kind", flat=True))
    assert accepted == {"privacy", "terms"}


# --- consents and the cookie banner ---------------------------------------------------------------------------


def test_consent_changes_are_appended_and_the_latest_wins(client, db):
    user = UserFactory()
    _signed_in(client, user)
    assert privacy_selectors.consent_current(user=user, purpose="marketing") is False

    client.post(reverse("accounts:privacy_consent"), {"purpose": "marketing", "granted": "1"})
    assert privacy_selectors.consent_current(user=user, purpose="marketing") is True
    client.post(reverse("accounts:privacy_consent"), {"purpose": "marketing", "granted": "0"})
    assert privacy_selectors.consent_current(user=user, purpose="marketing") is False
    client.post(reverse("accounts:privacy_consent"), {"purpose": "marketing", "granted": "0"})

    rows = list(Consent.objects.filter(user=user, purpose="marketing").order_by("created_at", "id"))
    assert [row.granted for row in rows] == [True, False]
    assert all(row.policy_version == privacy_selectors.legal_version_current(kind="privacy") for row in rows)
    assert {row.source for row in rows} == {"account_privacy"}
    assert privacy_selectors.consent_current(user=user, purpose="personalisation") is False

    html = client.get(reverse("accounts:privacy")).content.decode()
    assert str(privacy_selectors.CONSENT_PURPOSE_TEXTS["marketing"]) in html


def test_cookie_banner_shown_until_a_choice_then_accept_and_decline(client, db):
    assert 'class="cookie-banner"' in client.get("/").content.decode()
    response = client.post(reverse("legal:cookie_choice"), {"choice": "accept", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[privacy_selectors.ANALYTICS_COOKIE].value == "granted"
    visitor_id = client.cookies[privacy_selectors.VISITOR_COOKIE].value
    assert Consent.objects.get(visitor_id=visitor_id, user=None).granted is True
    page = client.get("/")
    assert 'class="cookie-banner"' not in page.content.decode()
    assert bool(page.context["analytics_allowed"]) is True

    client.post(reverse("legal:cookie_choice"), {"choice": "decline", "next": "https://evil.example/"})
    assert client.cookies[privacy_selectors.ANALYTICS_COOKIE].value == "denied"
    assert bool(client.get("/").context["analytics_allowed"]) is False
    rows = Consent.objects.filter(visitor_id=visitor_id).order_by("created_at", "id")
    assert [row.granted for row in rows] == [True, False]


def test_cookie_banner_choice_of_signed_in_user_is_a_consent_row(client, db):
    user = UserFactory()
    _signed_in(client, user)
    client.post(reverse("legal:cookie_choice"), {"choice": "decline", "next": "/"})
    assert Consent.objects.get(user=user, purpose="analytics").granted is False
    client.cookies.pop(privacy_selectors.ANALYTICS_COOKIE)
    # Known from the account even without the cookie (another browser): no banner again.
    assert 'class="cookie-banner"' not in client.get("/").content.decode()


def test_a_members_choice_made_on_another_device_shows_on_the_next_page(client, db):
    """The banner reads the choice with the signed-in user on every request (shop.accounts.backends): no cached copy
    to wait out."""
    user = UserFactory()
    _signed_in(client, user)
    assert 'class="cookie-banner"' in client.get("/products/").content.decode()
    Consent.objects.create(user=user, purpose="analytics", granted=False)  # as another browser's choice would be
    assert 'class="cookie-banner"' not in client.get("/products/").content.decode()


# --- download my data -----------------------------------------------------------------------------------------


def test_export_contains_the_users_data_and_nobody_elses(client, hanako, taro, django_capture_on_commit_callbacks):
    _signed_in(client, hanako)
    privacy_services.consent_record(user=hanako, purpose="marketing", granted=True, source="test")
    privacy_services.consent_record(user=taro, purpose="marketing", granted=True, source="test")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:privacy_export"))
    assert response.status_code == 302
    request = PrivacyRequest.objects.get(user=hanako, kind="disclosure")  # the (eager) task ran on commit
    assert request.status == "done" and request.export_file
    assert request.export_file.name.startswith("exports/") and "hanako" not in request.export_file.name

    archive = _zip_of(request)
    names = set(archive.namelist())
    assert {"data.json", "profile.csv", "addresses.csv", "orders.csv", "consents.csv"} <= names
    data = json.loads(archive.read("data.json"))
    assert data["profile"][0]["email"] == "hanako.yamada@example.jp"
    assert data["addresses"][0]["phone"] == "09012345678"
    assert [row["number"] for row in data["orders"]] == list(
        Order.objects.filter(user=hanako).values_list("number", flat=True)
    )
    assert data["consents"][0]["purpose"] == "marketing"
    assert {row["page"] for row in data["policy_acceptances"]} == {"privacy", "terms"}
    orders_csv = list(csv.DictReader(io.StringIO(archive.read("orders.csv").decode("utf-8-sig"))))
    assert orders_csv[0]["ship_name"] == "山田 花子"

    everything = b"".join(archive.read(name) for name in names).decode("utf-8", errors="replace")
    taro_order = Order.objects.get(user=taro).number
    for foreign in ("taro.suzuki@example.jp", "鈴木 太郎", "08098765432", "530-0001", "すずたろ", taro_order):
        assert foreign not in everything

    download = client.get(reverse("accounts:privacy_export_download", args=[request.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_export_task_is_idempotent(hanako):
    request = PrivacyRequest.objects.create(user=hanako, kind="disclosure")
    first = privacy_services.privacy_export_build(request_id=request.pk)
    name = first.export_file.name
    again = privacy_services.privacy_export_build(request_id=request.pk)
    assert again.export_file.name == name
    assert PrivacyRequest.objects.filter(user=hanako).count() == 1


def test_another_user_cannot_download_someones_export(client, hanako, taro):
    request = PrivacyRequest.objects.create(user=hanako, kind="disclosure")
    privacy_services.privacy_export_build(request_id=request.pk)
    _signed_in(client, taro)
    assert client.get(reverse("accounts:privacy_export_download", args=[request.pk])).status_code == 404
    client.logout()
    response = client.get(reverse("accounts:privacy_export_download", args=[request.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


# --- deletion and correction ----------------------------------------------------------------------------------


def _text_values(table: str, where: str, params) -> list[str]:
    """Every text column of the matching rows, read straight from the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND data_type IN ('character varying', 'text', 'jsonb')",
            [table],
        )
        columns = [row[0] for row in cursor.fetchall()]
        selected = ", ".join(f"{connection.ops.quote_name(column)}::text" for column in columns)
        # Table and condition are written by the tests themselves; values go in as parameters.
        cursor.execute(f"SELECT {selected} FROM {connection.ops.quote_name(table)} WHERE {where}", params)  # noqa: S608
        return [value for row in cursor.fetchall() for value in row if value]


def test_account_deletion_leaves_no_personal_data_and_keeps_orders(
    client, hanako, taro, django_capture_on_commit_callbacks
):
    privacy_services.consent_record(user=hanako, purpose="marketing", granted=True, source="test")
    export = PrivacyRequest.objects.create(user=hanako, kind="disclosure")
    privacy_services.privacy_export_build(request_id=export.pk)
    export.refresh_from_db()
    export_name = export.export_file.name
    order = Order.objects.get(user=hanako)
    totals = (order.subtotal, order.shipping_fee, order.payment_fee, order.total, order.number)
    _signed_in(client, hanako)

    wrong = client.post(reverse("accounts:privacy_delete"), {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400
    assert User.objects.get(pk=hanako.pk).anonymised_at is None

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:privacy_delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302

    user = User.objects.get(pk=hanako.pk)
    assert user.email == f"deleted-{user.pk}@invalid.example"
    assert not user.is_active and not user.has_usable_password() and user.anonymised_at is not None
    assert (user.display_name, user.birth_month, user.gender, user.age_band) == ("", None, "", "")
    assert not Address.objects.filter(user=user).exists()
    assert privacy_selectors.consent_current(user=user, purpose="marketing") is False
    assert PrivacyRequest.objects.filter(user=user, kind="deletion", status="done").exists()
    assert not default_storage.exists(export_name)

    secrets_of_hanako = ("hanako.yamada@example.jp", "山田 花子", "やまはな", "09012345678", "150-0001", "神宮前")
    texts = _text_values("accounts_user", "id = %s", [user.pk])
    texts += _text_values("accounts_address", "user_id = %s", [user.pk])
    texts += _text_values("orders_order", "user_id = %s", [user.pk])
    texts += _text_values("accounts_privacyrequest", "user_id = %s", [user.pk])
    texts += _text_values("account_emailaddress", "user_id = %s", [user.pk])
    for value in texts:
        for secret in secrets_of_hanako:
            assert secret not in value

    order.refresh_from_db()
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.total, order.number) == totals
    # Nobody else's data was touched.
    assert Order.objects.get(user=taro).ship_name == "鈴木 太郎"
    assert User.objects.get(pk=taro.pk).email == "taro.suzuki@example.jp"
    # Signed out, and cannot sign in again.
    assert client.get(reverse("accounts:privacy")).status_code == 302
    assert not client.login(email="hanako.yamada@example.jp", password=PASSWORD)


def test_correction_request_is_recorded_for_staff(client, db):
    user = UserFactory()
    _signed_in(client, user)
    assert client.post(reverse("accounts:privacy_correction"), {"details": ""}).status_code == 400
    client.post(reverse("accounts:privacy_correction"), {"details": "誕生月が間違っています（5月が正しい）"})
    request = PrivacyRequest.objects.get(user=user, kind="correction")
    assert request.status == "open" and "誕生月" in request.details
    staff = UserFactory(is_staff=True)
    privacy_services.privacy_request_handle(request_id=request.pk, status="done", response="修正しました", staff=staff)
    request.refresh_from_db()
    assert (request.status, request.handled_by, request.response) == ("done", staff, "修正しました")
    assert request.handled_at is not None


def test_published_versions_cannot_be_edited_in_admin(db):
    from django.contrib import admin

    version = LegalPageVersion.objects.get(page__kind="privacy", version=1)
    model_admin = admin.site._registry[LegalPageVersion]
    assert not model_admin.has_change_permission(request=None, obj=version)
    assert not model_admin.has_delete_permission(request=None, obj=version)
