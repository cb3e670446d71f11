"""The staff dashboard in a real Chromium: sign in with a two-step code, open the sales page, change the date
range, export the orders (a download)."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from shop.accounts.privacy_services import legal_accept_current
from shop.accounts.roles import SHOP_MANAGER
from tests.browser.signin import sign_in
from tests.conftest import otp_device_for, totp_code
from tests.dashboard.conftest import at, make_order
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_open_the_dashboard_change_the_range_and_export_orders(page: Page, live_server):
    today = timezone.localdate()
    recent, older = today - datetime.timedelta(days=2), today - datetime.timedelta(days=60)
    make_order(total=3000, paid=at(recent), lines=[("SKU-NEW", 1500, 2)])
    make_order(total=1200, paid=at(older), lines=[("SKU-OLD", 1200, 1)])
    staff = UserFactory(email="manager@example.jp", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=SHOP_MANAGER)[0])
    legal_accept_current(user=staff)

    sign_in(page, live_server.url, staff.email)
    device = otp_device_for(staff)
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/account/security/verify/\?next="))
    page.fill("input[name=token]", totp_code(device))
    page.locator("form.verify-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.locator("a[href='/admin/dashboard/salesreport/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/dashboard/salesreport/$"))
    range_row = page.locator("#sales-figures tbody tr").nth(3)
    expect(range_row.locator("[data-figure=revenue]")).to_have_text("¥3,000")  # the last 30 days
    expect(page.locator("svg.chart")).to_be_visible()

    page.fill("#id_range_from", f"{older:%Y-%m-%d}")
    page.fill("#id_range_to", f"{today:%Y-%m-%d}")
    page.locator("#range-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"\?from={older:%Y-%m-%d}&to={today:%Y-%m-%d}$"))
    expect(range_row.locator("[data-figure=revenue]")).to_have_text("¥4,200")
    expect(range_row.locator("[data-figure=orders]")).to_have_text("2")

    with page.expect_download() as download_info:
        page.locator("[data-export=orders-csv]").click()
    download = download_info.value
    assert download.suggested_filename == f"orders-{older:%Y%m%d}-{today:%Y%m%d}.csv"
    body = open(download.path(), "rb").read()  # noqa: SIM115 - read once
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(row[11] for row in rows[1:]) == ["SKU-NEW", "SKU-OLD"]
