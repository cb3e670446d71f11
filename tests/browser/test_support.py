"""Support in a real Chromium: a signed-in shopper sends an inquiry from the contact page, staff answer it in the
admin (behind two-step verification), and the shopper reads the answer in their account."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Browser, expect

from shop.accounts.privacy_services import legal_accept_current
from shop.support.models import Inquiry
from tests.browser.signin import sign_in
from tests.conftest import otp_device_for, totp_code
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTEXT_ARGS = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def base(live_server, settings):
    # The notification e-mails link to the notification settings page; make sure its URLs are there.
    settings.ROOT_URLCONF = "tests.support.urls"
    return live_server.url


def test_shopper_asks_staff_answer_in_admin_shopper_reads_the_answer(browser: Browser, base):
    shopper = UserFactory(email="hanako@example.jp", display_name="山田 花子")
    legal_accept_current(user=shopper)
    EmailAddress.objects.create(user=shopper, email=shopper.email, verified=True, primary=True)
    staff = UserFactory(email="staff@example.jp", is_staff=True, is_superuser=True)
    legal_accept_current(user=staff)

    shopper_context, staff_context = browser.new_context(**CONTEXT_ARGS), browser.new_context(**CONTEXT_ARGS)
    shopper_page = shopper_context.new_page()
    sign_in(shopper_page, base, shopper.email)
    shopper_page.goto(f"{base}/contact/")
    expect(shopper_page.locator("#id_email")).to_have_value("hanako@example.jp")
    expect(shopper_page.locator("#id_name")).to_have_value("山田 花子")
    shopper_page.select_option("#id_category", "returns")
    shopper_page.fill("#id_subject", "サイズ交換について")
    shopper_page.fill("#id_body", "Mサイズを注文しましたが、Lサイズに交換できますか？")
    shopper_page.locator("[data-send-inquiry]").click()
    expect(shopper_page).to_have_url(re.compile(r"/contact/sent/$"))
    number = shopper_page.locator("[data-inquiry-number]").inner_text()
    inquiry = Inquiry.objects.get(number=number)
    assert inquiry.user == shopper and inquiry.status == Inquiry.Status.NEW

    staff_page = staff_context.new_page()
    sign_in(staff_page, base, staff.email)
    device = otp_device_for(staff)
    staff_page.goto(f"{base}/admin/support/inquiry/")
    expect(staff_page).to_have_url(re.compile(r"/account/security/verify/\?next="))
    staff_page.fill("input[name=token]", totp_code(device))
    staff_page.locator("form.verify-form button[type=submit]").click()
    expect(staff_page).to_have_url(re.compile(r"/admin/support/inquiry/$"))
    staff_page.locator(f"a[href$='/admin/support/inquiry/{inquiry.pk}/change/']").first.click()
    expect(staff_page.locator("#id_reply")).to_be_visible()
    expect(staff_page.locator("[data-from=customer]").first).to_be_visible()
    staff_page.fill("#id_reply", "お問い合わせありがとうございます。Lサイズへの交換を承ります。")
    staff_page.locator("input[name=_continue]").click()
    expect(staff_page.locator(".messagelist")).to_be_visible()
    expect(staff_page.locator("[data-from=staff]")).to_have_count(1)

    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.WAITING_CUSTOMER and inquiry.first_reply_at is not None
    # The acknowledgement and the reply went to the shopper by e-mail.
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"], ["hanako@example.jp"]]
    assert "Lサイズへの交換を承ります。" in mail.outbox[-1].body

    shopper_page.goto(f"{base}/account/inquiries/")
    shopper_page.locator(f"[data-inquiry='{number}'] a").click()
    expect(shopper_page).to_have_url(re.compile(rf"/account/inquiries/{number}/$"))
    staff_message = shopper_page.locator("[data-message][data-from=staff] [data-message-body]")
    expect(staff_message).to_have_text("お問い合わせありがとうございます。Lサイズへの交換を承ります。")
    expect(shopper_page.locator("[data-message]")).to_have_count(2)
    shopper_context.close()
    staff_context.close()
