"""Staff admin for orders and payments, driven through the Django test client with orders placed by the services."""

import csv
import datetime
import io
import uuid

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from payments import services as payment_services
from payments.models import Payment, PaymentSettings, Refund, WebhookEvent
from shop.catalog.models import Variant
from shop.orders import services as order_services
from shop.orders.models import Cart, Order, OrderEvent, ShippingMethod
from tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"
# Session, user, two counts, the page of orders (with their members), the date hierarchy's dates, plus slack.
# What matters most: 30 orders cost no more queries than 5.
MAX_CHANGELIST_QUERIES = 10


@pytest.fixture
def staff(client, otp_login):
    user = UserFactory(email="staff@example.jp", is_staff=True, is_superuser=True, display_name="店長")
    otp_login(client, user)  # the admin requires a session verified by an OTP device
    return user


def place_order(
    *,
    method: str = "bank_transfer",
    items: list[tuple[Variant, int]] | None = None,
    name: str = "山田 花子",
    email: str = "hanako@example.jp",
    phone: str = "09012345678",
    user=None,
) -> Order:
    """An order placed the way checkout places it: a cart, then payments.services.checkout_place_order."""
    items = items or [(VariantFactory(price=3980, stock=10), 1)]
    cart = Cart.objects.get_or_create(user=user)[0] if user else Cart.objects.create()
    for variant, quantity in items:
        order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    details = order_services.CheckoutDetails(
        email=email,
        name=name,
        postal_code="150-0001",
        prefecture="東京都",
        city="渋谷区",
        street="神宮前1-2-3",
        building="つなぐハイツ101",
        phone=phone,
        shipping_method_id=ShippingMethod.objects.get(code="standard").pk,
        payment_method=method,
    )
    return payment_services.checkout_place_order(cart=cart, checkout_token=uuid.uuid4(), details=details, user=user)


def run_action(client, action: str, orders, **extra):
    data = {"action": action, "_selected_action": [order.pk for order in orders], "index": 0, **extra}
    return client.post(reverse(CHANGELIST), data)


def confirm_action(client, action: str, orders, **extra):
    """The second step of an action with an intermediate page (posted without "index", as Django's own do)."""
    data = {"action": action, "_selected_action": [order.pk for order in orders], "apply": "yes", **extra}
    return client.post(reverse(CHANGELIST), data)


def messages_of(client, response) -> list[tuple[int, str]]:
    found = [(message.level, str(message)) for message in get_messages(response.wsgi_request)]
    client.get(reverse("admin:index"))  # shows and so uses them up: the next request starts with none
    return found


def results(client, **params) -> set[str]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200, response.content[:500]
    return {order.number for order in response.context["cl"].result_list}


# --- List ---------------------------------------------------------------------------------------------------------


def test_changelist_shows_orders_and_filters_and_search_work(client, staff):
    bank = place_order(name="佐藤 一郎", email="ichiro@example.jp", phone="0312345678")
    cod = place_order(method="cod", name="鈴木 次郎", email="jiro@example.jp", phone="08011112222")
    old = place_order(name="高橋 三郎", email="saburo@example.jp")
    order_services.order_flag(order_id=cod.pk, reason="住所を確認")
    old_time = timezone.make_aware(datetime.datetime(2025, 1, 15, 23, 30))  # Tokyo time
    Order.objects.filter(pk=old.pk).update(created_at=old_time)

    page = client.get(reverse(CHANGELIST))
    html = page.content.decode()
    assert page.status_code == 200
    assert "佐藤 一郎" in html and "ichiro@example.jp" in html
    assert bank.total_money.format() in html

    assert results(client, status="processing") == {cod.number}
    assert results(client, payment_method="bank_transfer") == {bank.number, old.number}
    assert results(client, flagged="yes") == {cod.number}
    assert results(client, flagged="no") == {bank.number, old.number}
    assert results(client, created__gte="2025-01-15", created__lte="2025-01-15") == {old.number}
    assert results(client, created__lte="2025-01-14") == set()
    assert results(client, created__gte="2025-01-16") == {bank.number, cod.number}
    # A mistyped date narrows nothing and says so, instead of an error page.
    assert results(client, created__gte="2025-13-45") == {bank.number, cod.number, old.number}
    assert "2025-13-45" in client.get(reverse(CHANGELIST), {"created__gte": "2025-13-45"}).content.decode()

    assert results(client, q=bank.number) == {bank.number}
    assert results(client, q="jiro@example") == {cod.number}
    assert results(client, q="鈴木") == {cod.number}
    assert results(client, q="080-1111-2222") == {cod.number}
    assert results(client, q="０３１２３４５６７８") == {bank.number}
    # Search and a filter together: the phone search does not escape the filter.
    assert results(client, q="080-1111-2222", payment_method="bank_transfer") == set()


def test_changelist_queries_do_not_grow_with_the_number_of_orders(client, staff, django_assert_max_num_queries):
    member = UserFactory(email="member@example.jp", display_name="会員さん")
    variant = VariantFactory(price=1980, stock=100)
    for _ in range(5):
        place_order(items=[(variant, 1)], user=member)
    url = reverse(CHANGELIST)
    client.get(url)  # warm the session and the content-type cache

    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES) as with_five:
        response = client.get(url, {"status": "pending_payment"})
    assert len(response.context["cl"].result_list) == 5

    for _ in range(25):
        place_order(items=[(variant, 1)], user=member)
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES) as with_thirty:
        response = client.get(url, {"status": "pending_payment"})

    assert len(response.context["cl"].result_list) == 30
    assert "会員さん" in response.content.decode()
    assert len(with_thirty) == len(with_five)


# --- Change page --------------------------------------------------------------------------------------------------


def test_change_page_is_read_only_and_shows_lines_payments_and_timeline(client, staff):
    order = place_order(items=[(VariantFactory(sku="KNIT-NAVY-M", price=4980, stock=5), 2)])
    payment_services.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    url = reverse("admin:orders_order_change", args=[order.pk])

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "KNIT-NAVY-M" in html
    assert "¥9,960" in html  # the line and the order's subtotal
    assert 'name="_save"' not in html  # a view, not a form
    assert "店長" in html  # who recorded the payment (timeline and payment)
    assert reverse("admin:orders_order_refund", args=[order.pk]) in html

    response = client.post(url, {"total": 1, "status": "delivered", "ship_name": "改ざん"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.total, order.status, order.ship_name) == (9960, "paid", "山田 花子")
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    assert client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403


# --- Actions ------------------------------------------------------------------------------------------------------


def test_mark_paid_moves_a_bank_transfer_order_to_paid_and_records_the_staff_member(client, staff):
    bank = place_order()
    cod = place_order(method="cod")

    response = run_action(client, "mark_paid", [bank, cod])

    assert response.status_code == 302
    bank.refresh_from_db()
    cod.refresh_from_db()
    assert bank.status == Order.Status.PAID and bank.paid_at is not None
    assert cod.status == Order.Status.PROCESSING and cod.paid_at is not None  # COD is paid at the door
    event = OrderEvent.objects.filter(order=bank, status=Order.Status.PAID).get()
    assert event.actor == staff
    assert Payment.objects.get(order=bank).recorded_by == staff
    levels = [level for level, _text in messages_of(client, response)]
    assert levels == [messages.SUCCESS, messages.SUCCESS]

    again = run_action(client, "mark_paid", [bank])
    assert [level for level, _text in messages_of(client, again)] == [messages.INFO]
    assert OrderEvent.objects.filter(order=bank, status=Order.Status.PAID).count() == 1


def test_mark_paid_refuses_card_orders_with_a_message(client, staff, settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_x", "pk_test_x"  # cards offered
    card = place_order(method="card")

    response = run_action(client, "mark_paid", [card])

    assert response.status_code == 302
    [(level, text)] = messages_of(client, response)
    assert level == messages.ERROR and card.number in text
    card.refresh_from_db()
    assert card.paid_at is None


def test_ship_action_asks_carrier_and_tracking_then_ships(client, staff):
    paid = place_order()
    payment_services.manual_payment_mark_paid(order_id=paid.pk, actor=staff)
    cod = place_order(method="cod")
    unpaid = place_order()

    page = run_action(client, "mark_shipped", [paid, cod, unpaid])

    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "admin/payments/order_ship.html"
    html = page.content.decode()
    assert paid.number in html and cod.number in html
    assert [order.pk for order in page.context["orders"]] == [paid.pk, cod.pk]
    assert [order.pk for order in page.context["left_out"]] == [unpaid.pk]

    form = {
        "ship-TOTAL_FORMS": 2,
        "ship-INITIAL_FORMS": 2,
        "ship-0-order_id": paid.pk,
        "ship-0-carrier": "ヤマト運輸",
        "ship-0-tracking_number": "１２３４-５６７８-９０１２",
        "ship-1-order_id": cod.pk,
        "ship-1-carrier": "other",
        "ship-1-other_carrier": "エコ配",
        "ship-1-tracking_number": "",
    }
    missing = confirm_action(client, "mark_shipped", [paid, cod], **form)
    assert missing.status_code == 200
    assert missing.context["formset"].errors[1]["tracking_number"]
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID  # one bad row ships nothing

    done = confirm_action(client, "mark_shipped", [paid, cod], **{**form, "ship-1-tracking_number": "EC-0001"})

    assert done.status_code == 302
    paid.refresh_from_db()
    cod.refresh_from_db()
    assert (paid.status, paid.carrier, paid.tracking_number) == ("shipped", "ヤマト運輸", "1234-5678-9012")
    assert (cod.status, cod.carrier, cod.tracking_number) == ("shipped", "エコ配", "EC-0001")
    assert OrderEvent.objects.get(order=paid, status="shipped").actor == staff


def test_ship_action_with_nothing_shippable_says_so(client, staff):
    unpaid = place_order()

    response = run_action(client, "mark_shipped", [unpaid])

    assert response.status_code == 302
    assert [level for level, _text in messages_of(client, response)] == [messages.ERROR]
    unpaid.refresh_from_db()
    assert unpaid.status == Order.Status.PENDING_PAYMENT


def test_mark_delivered_only_for_shipped_orders(client, staff):
    cod = place_order(method="cod")
    order_services.order_mark_shipped(order_id=cod.pk, carrier="佐川急便", tracking_number="1", actor=staff)
    unpaid = place_order()

    response = run_action(client, "mark_delivered", [cod, unpaid])

    cod.refresh_from_db()
    unpaid.refresh_from_db()
    assert cod.status == Order.Status.DELIVERED
    assert unpaid.status == Order.Status.PENDING_PAYMENT
    assert sorted(level for level, _text in messages_of(client, response)) == [messages.SUCCESS, messages.ERROR]


def test_cancel_puts_the_stock_back_and_refuses_paid_orders(client, staff):
    shirt = VariantFactory(price=2980, stock=7)
    socks = VariantFactory(price=880, stock=3)
    unpaid = place_order(items=[(shirt, 2), (socks, 3)])
    paid = place_order(items=[(shirt, 1)])
    payment_services.manual_payment_mark_paid(order_id=paid.pk, actor=staff)
    shirt.refresh_from_db()
    socks.refresh_from_db()
    assert (shirt.stock, socks.stock) == (4, 0)

    confirm_page = run_action(client, "cancel_orders", [unpaid, paid])
    assert confirm_page.status_code == 200
    assert unpaid.number in confirm_page.content.decode()
    assert Order.objects.get(pk=unpaid.pk).status == Order.Status.PENDING_PAYMENT  # nothing yet

    response = confirm_action(client, "cancel_orders", [unpaid, paid])

    assert response.status_code == 302
    unpaid.refresh_from_db()
    paid.refresh_from_db()
    shirt.refresh_from_db()
    socks.refresh_from_db()
    assert unpaid.status == Order.Status.CANCELLED
    assert OrderEvent.objects.get(order=unpaid, status="cancelled").actor == staff
    assert (shirt.stock, socks.stock) == (6, 3)  # the paid order's shirt stays sold
    assert paid.status == Order.Status.PAID
    reported = messages_of(client, response)
    assert {level for level, _text in reported} == {messages.SUCCESS, messages.ERROR}
    assert any(paid.number in text for level, text in reported if level == messages.ERROR)


# --- Refunds ------------------------------------------------------------------------------------------------------


def refund_url(order: Order) -> str:
    return reverse("admin:orders_order_refund", args=[order.pk])


def post_refund(client, order: Order, amount, reason: str = "サイズ交換不可のため"):
    order.refresh_from_db()
    return client.post(
        refund_url(order), {"amount": amount, "reason": reason, "refunded_before": order.refunded_amount}
    )


def test_refund_partially_then_fully(client, staff):
    order = place_order(items=[(VariantFactory(price=4000, stock=5), 2)])  # 8,000 + free shipping over 5,000
    payment_services.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    assert order.total == 8000

    started = run_action(client, "refund", [order])
    assert started.status_code == 302 and started["Location"] == refund_url(order)
    page = client.get(refund_url(order))
    assert page.status_code == 200
    assert page.context["form"]["amount"].value() == 8000  # the rest, by default
    assert "¥8,000" in page.content.decode()

    partial = post_refund(client, order, "３，０００")
    assert partial.status_code == 302, partial.context["form"].errors
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 3000)
    assert client.get(refund_url(order)).context["form"]["amount"].value() == 5000

    full = post_refund(client, order, 5000)
    assert full.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.REFUNDED, 8000)
    refunds = list(Refund.objects.filter(payment__order=order).order_by("created_at"))
    assert [(r.amount, r.status, r.actor) for r in refunds] == [(3000, "succeeded", staff), (5000, "succeeded", staff)]
    assert Payment.objects.get(order=order, status="succeeded").refunded_amount == 8000
    assert OrderEvent.objects.filter(order=order, status="refunded", actor=staff).exists()
    change_page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "サイズ交換不可のため" in change_page


@pytest.mark.parametrize("amount", ["8001", "0", "-100", "abc", "12.5", ""])
def test_bad_refund_amounts_are_form_errors_and_change_nothing(client, staff, amount):
    order = place_order(items=[(VariantFactory(price=4000, stock=5), 2)])
    payment_services.manual_payment_mark_paid(order_id=order.pk, actor=staff)

    response = post_refund(client, order, amount)

    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PAID, 0)
    assert not Refund.objects.exists()


def test_over_refund_after_a_partial_refund_is_refused(client, staff):
    order = place_order(items=[(VariantFactory(price=4000, stock=5), 2)])
    payment_services.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    post_refund(client, order, 6000)

    response = post_refund(client, order, 2001)

    assert response.status_code == 200
    assert "¥2,000" in " ".join(response.context["form"].errors["amount"])
    order.refresh_from_db()
    assert order.refunded_amount == 6000


def test_a_second_submit_of_the_same_refund_page_refunds_nothing(client, staff):
    order = place_order(items=[(VariantFactory(price=4000, stock=5), 2)])
    payment_services.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    form = {"amount": 1000, "reason": "一部返品", "refunded_before": 0}

    assert client.post(refund_url(order), form).status_code == 302
    again = client.post(refund_url(order), form)

    assert again.status_code == 200
    assert again.context["form"].non_field_errors()
    order.refresh_from_db()
    assert order.refunded_amount == 1000


def test_refund_of_an_unpaid_order_or_of_several_orders_is_refused(client, staff):
    unpaid = place_order()
    other = place_order()

    page = client.get(refund_url(unpaid))
    assert page.status_code == 200
    assert page.context["payment"] is None
    response = post_refund(client, unpaid, 100)
    assert response.status_code == 200
    assert response.context["form"].errors
    several = run_action(client, "refund", [unpaid, other])
    assert several.status_code == 302
    assert [level for level, _text in messages_of(client, several)] == [messages.ERROR]
    assert not Refund.objects.exists()


def test_card_order_is_refunded_through_stripe(client, staff, stripe_settings):
    order = place_order(method="card", items=[(VariantFactory(price=6000, stock=5), 1)])
    payment_services.card_payment_prepare(order=order, user=None)
    result = payment_services.card_payment_confirm(order=order, payment_method="pm_card_visa")
    assert result.status == "succeeded"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    response = post_refund(client, order, 2500, reason="キャンセル（一部）")

    assert response.status_code == 302, response.context["form"].errors
    refund = Refund.objects.get(payment__order=order)
    assert refund.stripe_refund.startswith("re_")
    assert (refund.amount, refund.status) == (2500, Refund.Status.SUCCEEDED)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 2500)


# --- CSV ----------------------------------------------------------------------------------------------------------


def test_csv_export_is_utf8_with_bom_one_row_per_line_with_japanese_intact(client, staff):
    knit = VariantFactory(sku="KNIT-01", price=4980, stock=5, product=ProductFactory(name="ざっくりニット"))
    socks = VariantFactory(sku="SOCK-01", price=880, stock=5, colour="生成り", product=ProductFactory(name="靴下"))
    order = place_order(items=[(knit, 1), (socks, 2)], name="渡辺 美咲")
    other = place_order(name="=HYPERLINK(1)")

    response = run_action(client, "export_csv", [order, other])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, data = rows[0], rows[1:]
    assert len(header) == 23
    assert len(data) == 3  # two lines of one order, one of the other
    by_sku = {row[10]: row for row in data}
    knit_row = by_sku["KNIT-01"]
    assert knit_row[0] == order.number
    assert knit_row[5] == "渡辺 美咲"
    assert knit_row[7] == "東京都"
    assert knit_row[8] == "渋谷区 神宮前1-2-3 つなぐハイツ101"
    assert knit_row[11] == "ざっくりニット"
    assert by_sku["SOCK-01"][11:16] == ["靴下", socks.label, "880", "2", "1760"]
    assert knit_row[19] == str(order.total)
    local = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")
    assert knit_row[1] == local
    other_row = next(row for row in data if row[0] == other.number)
    assert other_row[5] == "'=HYPERLINK(1)"  # never a formula in Excel


def test_csv_export_of_all_filtered_orders(client, staff):
    bank = place_order()
    cod = place_order(method="cod")
    url = reverse(CHANGELIST) + "?payment_method__exact=cod"

    response = client.post(url, {"action": "export_csv", "select_across": 1, "index": 0, "_selected_action": [bank.pk]})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert [row[0] for row in rows] == [cod.number]


# --- Other payment and shipping admin pages -----------------------------------------------------------------------


def test_shipping_methods_are_edited_in_the_list(client, staff):
    standard = ShippingMethod.objects.get(code="standard")
    express = ShippingMethod.objects.get(code="express")
    url = reverse("admin:orders_shippingmethod_changelist")
    page = client.get(url)
    assert page.status_code == 200
    forms = page.context["cl"].formset.forms
    data = {
        "form-TOTAL_FORMS": len(forms),
        "form-INITIAL_FORMS": len(forms),
        "_save": "Save",
    }
    for index, form in enumerate(forms):
        method = form.instance
        data.update(
            {
                f"form-{index}-id": method.pk,
                f"form-{index}-fee": 700 if method == standard else method.fee,
                f"form-{index}-free_over": 6000 if method == standard else "",
                f"form-{index}-days_min": method.days_min,
                f"form-{index}-days_max": method.days_max,
                f"form-{index}-is_active": "on" if method != express else "",
            }
        )

    response = client.post(url, data)

    assert response.status_code == 302
    standard.refresh_from_db()
    express.refresh_from_db()
    assert (standard.fee, standard.free_over) == (700, 6000)
    assert express.is_active is False

    position = [form.instance for form in forms].index(standard)
    backwards = {**data, f"form-{position}-fee": 800, f"form-{position}-days_min": 5, f"form-{position}-days_max": 2}
    refused = client.post(url, backwards)
    assert refused.status_code == 200
    assert refused.context["cl"].formset.errors[position]["days_max"]
    standard.refresh_from_db()
    assert (standard.fee, standard.days_min) == (700, 2)


def test_payment_settings_is_a_single_row(client, staff):
    changelist = client.get(reverse("admin:payments_paymentsettings_changelist"))
    row = PaymentSettings.load()

    assert changelist.status_code == 302
    assert changelist["Location"] == reverse("admin:payments_paymentsettings_change", args=[row.pk])
    assert client.get(changelist["Location"]).status_code == 200
    assert client.get(reverse("admin:payments_paymentsettings_add")).status_code == 403
    assert client.get(reverse("admin:payments_paymentsettings_delete", args=[row.pk])).status_code == 403
    assert PaymentSettings.objects.count() == 1


def test_payments_refunds_and_webhook_events_are_read_only_and_searchable(client, staff):
    order = place_order()
    payment_services.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    refund = payment_services.refund_order(order_id=order.pk, amount=100, actor=staff, reason="送料差額")
    payment = refund.payment
    event = WebhookEvent.objects.create(
        event_id="evt_123abc", type="payment_intent.succeeded", payload={"id": "evt_123abc", "note": "日本語"}
    )
    WebhookEvent.objects.create(event_id="evt_999zzz", type="charge.refunded", payload={})

    pages = [
        reverse("admin:payments_payment_changelist"),
        reverse("admin:payments_payment_change", args=[payment.pk]),
        reverse("admin:payments_refund_changelist"),
        reverse("admin:payments_refund_change", args=[refund.pk]),
        reverse("admin:payments_webhookevent_changelist"),
        reverse("admin:payments_webhookevent_change", args=[event.pk]),
        reverse("admin:orders_shippingmethod_changelist"),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert "日本語" in client.get(reverse("admin:payments_webhookevent_change", args=[event.pk])).content.decode()

    by_id = client.get(reverse("admin:payments_webhookevent_changelist"), {"q": "123abc"})
    by_type = client.get(reverse("admin:payments_webhookevent_changelist"), {"q": "charge.refunded"})
    assert [e.event_id for e in by_id.context["cl"].result_list] == ["evt_123abc"]
    assert [e.event_id for e in by_type.context["cl"].result_list] == ["evt_999zzz"]
    by_status = client.get(
        reverse("admin:payments_payment_changelist"), {"status": "succeeded", "method": "bank_transfer"}
    )
    assert list(by_status.context["cl"].result_list) == [payment]
    by_order = client.get(reverse("admin:payments_refund_changelist"), {"q": order.number})
    assert list(by_order.context["cl"].result_list) == [refund]

    for url in (
        reverse("admin:payments_payment_add"),
        reverse("admin:payments_refund_add"),
        reverse("admin:payments_webhookevent_add"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("admin:payments_refund_change", args=[refund.pk]), {"amount": 1}).status_code == 403
    refund.refresh_from_db()
    assert refund.amount == 100
