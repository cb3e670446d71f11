"""The dashboard pages in the admin: who may open what, the access log, bounded queries, exports."""

import csv
import datetime
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shop.accounts.models import PersonalDataAccess
from shop.orders.models import Order
from tests.factories import UserFactory

from .conftest import ROLES, at, make_order

pytestmark = pytest.mark.django_db

PAGES = ["salesreport", "socialreport", "marketingreport"]


def url(page: str, query: str = "") -> str:
    return reverse(f"admin:dashboard_{page}_changelist") + (f"?{query}" if query else "")


def export_url(table: str, fmt: str, query: str = "") -> str:
    return reverse("admin:dashboard_export", args=[table, fmt]) + (f"?{query}" if query else "")


def recent_orders(count: int, *, start: int = 0):
    today = timezone.localdate()
    users = [UserFactory(email=f"buyer{start + n}@example.jp") for n in range(min(count, 5))]
    for n in range(count):
        day = today - datetime.timedelta(days=n % 20)
        make_order(total=1000 + n, user=users[n % len(users)], paid=at(day, n % 24), lines=[(f"SKU-{n % 3}", 500, 2)])


def test_the_pages_are_behind_the_admins_two_step_login(client):
    user = UserFactory(email="boss@example.jp", is_staff=True, is_superuser=True)
    client.force_login(user)  # signed in, but the session was not verified with a code
    response = client.get(url("salesreport"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_superuser_sees_every_page_and_the_index_section(admin_client_verified):
    recent_orders(3)
    for page in [*PAGES, "customerreport"]:
        response = admin_client_verified.get(url(page))
        assert response.status_code == 200, page
    index = admin_client_verified.get(reverse("admin:index")).content.decode()
    assert url("salesreport") in index and reverse("admin:dashboard_calendarevent_changelist") in index


@pytest.mark.parametrize("role", ["manager", "marketing", "support"])
def test_every_role_sees_the_aggregates(client, staff, role):
    staff(ROLES[role])
    for page in PAGES:
        assert client.get(url(page)).status_code == 200, page


@pytest.mark.parametrize("role", [None, "marketing", "support"])
def test_only_the_shop_manager_sees_customer_level_pages_and_exports(client, staff, role):
    staff(ROLES[role] if role else None)
    assert client.get(url("customerreport")).status_code == 403
    assert client.get(export_url("orders", "csv")).status_code == 403
    assert client.get(export_url("customers", "xlsx")).status_code == 403
    assert client.get(reverse("admin:dashboard_incident_changelist")).status_code == 403
    assert not PersonalDataAccess.objects.exists()
    if role is None:
        assert client.get(url("salesreport")).status_code == 403


def test_marketing_may_export_products_and_campaigns_but_support_not(client, staff):
    staff(ROLES["marketing"])
    assert client.get(export_url("products", "csv")).status_code == 200
    assert client.get(export_url("campaigns", "xlsx")).status_code == 200
    staff(ROLES["support"], email="support2@staff.example.jp")
    assert client.get(export_url("products", "csv")).status_code == 403


def test_top_customers_page_writes_the_access_log(client, staff):
    manager = staff(ROLES["manager"])
    recent_orders(6)
    response = client.get(url("customerreport"))
    assert response.status_code == 200
    assert "buyer0@example.jp" in response.content.decode()
    rows = PersonalDataAccess.objects.filter(staff=manager)
    assert rows.count() == 5  # the five buyers shown
    assert all(row.customer_id for row in rows) and all("@" not in row.what for row in rows)


def test_a_bad_date_range_shows_a_message_and_the_default(admin_client_verified):
    response = admin_client_verified.get(url("salesreport", "from=2025-13-01&to=2025-01-01"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "指定の期間は使用しませんでした" in text  # "The date range was not used: …"
    today = timezone.localdate()
    assert response.context["period"].end == today and response.context["period"].days == 30
    response = admin_client_verified.get(url("salesreport", "from=2025-06-30&to=2025-06-01"))
    assert (
        "開始日が終了日より後になっています。" in response.content.decode()
    )  # "The start date is after the end date."


def test_figures_link_to_the_order_list_with_the_same_orders(admin_client_verified):
    make_order(total=1200, paid=at(datetime.date(2025, 6, 10)))
    make_order(total=800, status=Order.Status.CANCELLED, paid=at(datetime.date(2025, 6, 10)))
    page = admin_client_verified.get(url("salesreport", "from=2025-06-01&to=2025-06-30")).content.decode()
    link = re.search(r'<a href="([^"]+)" data-figure="revenue">¥1,200</a>', page)
    assert link, page[:2000]
    listing = admin_client_verified.get(link.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1


@pytest.mark.parametrize("page", [*PAGES, "customerreport"])
def test_queries_do_not_grow_with_the_number_of_orders(admin_client_verified, page):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_verified.get(url(page)).status_code == 200
        return len(queries)

    recent_orders(10)
    few = count()
    recent_orders(190, start=10)
    assert count() == few
    assert few < 40


def test_orders_csv_has_a_bom_the_columns_and_logs_each_order(client, staff):
    manager = staff(ROLES["manager"])
    day = datetime.date(2025, 6, 10)
    make_order(total=1000, user=UserFactory(email="a@example.jp"), paid=at(day), lines=[("SKU-1", 500, 2)])
    make_order(total=700, email="=cmd@example.jp", paid=at(day), lines=[("SKU-2", 300, 1), ("SKU-3", 400, 1)])
    make_order(total=900, paid=at(datetime.date(2025, 7, 1)), lines=[("SKU-9", 900, 1)])  # outside the range
    response = client.get(export_url("orders", "csv", "from=2025-06-01&to=2025-06-30"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="orders-20250601-20250630.csv"'
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, lines = rows[0], rows[1:]
    assert len(header) == 26
    assert [line[11] for line in lines] == ["SKU-1", "SKU-2", "SKU-3"]
    assert lines[1][5] == "'=cmd@example.jp"  # no formula in Excel
    assert lines[0][-1] == "1000"
    assert PersonalDataAccess.objects.filter(staff=manager).count() == 2


def _xlsx_rows(content: bytes) -> list[list[str]]:
    namespace = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "xl/workbook.xml" in archive.namelist()
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314 - our own output
    rows = []
    for row in sheet.findall("m:sheetData/m:row", namespace):
        # Empty cells are left out of the file: place each by its column letter.
        cells = {re.sub(r"\d", "", cell.get("r")): "".join(cell.itertext()) for cell in row.findall("m:c", namespace)}
        width = max((ord(column) - 64 for column in cells), default=0)
        rows.append([cells.get(chr(65 + index), "") for index in range(width)])
    return rows


def test_customers_xlsx_opens_with_the_right_rows_and_logs(client, staff):
    manager = staff(ROLES["manager"])
    member = UserFactory(email="m@example.jp", display_name="みき")
    make_order(total=1000, user=member, paid=at(datetime.date(2025, 6, 1)))
    make_order(total=2000, user=member, paid=at(datetime.date(2025, 6, 2)))
    make_order(total=500, email="guest@example.jp", paid=at(datetime.date(2025, 6, 3)))
    response = client.get(export_url("customers", "xlsx", "from=2025-06-01&to=2025-06-30"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, first, second = _xlsx_rows(response.content)
    assert len(header) == 9
    assert first[:2] == [str(member.pk), "m@example.jp"] and first[3] == "みき" and first[5:7] == ["2", "3000"]
    assert second[1] == "guest@example.jp" and second[6] == "500"
    logged = set(PersonalDataAccess.objects.filter(staff=manager).values_list("customer_id", flat=True))
    assert logged == {member.pk, None}


def test_products_and_campaigns_exports(admin_client_verified):
    from tests.factories import VariantFactory

    variant = VariantFactory(sku="SKU-P", stock=7)
    order = make_order(total=1000, paid=at(datetime.date(2025, 6, 1)))
    order.lines.create(variant=variant, sku="SKU-P", product_name="P", unit_price=500, quantity=2)
    rows = _xlsx_rows(
        admin_client_verified.get(export_url("products", "xlsx", "from=2025-06-01&to=2025-06-30")).content
    )
    assert rows[1][3] == "SKU-P" and rows[1][7] == "7" and rows[1][9:] == ["2", "1000"]
    body = admin_client_verified.get(export_url("campaigns", "csv")).content
    assert body.startswith(b"\xef\xbb\xbf") and len(body.decode("utf-8-sig").splitlines()) == 1
    assert admin_client_verified.get(export_url("nothing", "csv")).status_code == 404
