"""Staff roles (groups with least privilege) and the personal-data access log."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from shop.accounts.models import Address, PersonalDataAccess
from shop.accounts.roles import CUSTOMER_SUPPORT, MARKETING, ROLES, SHOP_MANAGER
from tests.factories import UserFactory
from tests.payments.test_admin import place_order

pytestmark = pytest.mark.django_db


def perms(role: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    }


@pytest.fixture
def staff_member(client, otp_login):
    def make(role: str | None, email: str = "staff@example.jp"):
        user = UserFactory(email=email, is_staff=True)
        if role:
            user.groups.add(Group.objects.get(name=role))
        otp_login(client, user)
        return user

    return make


@pytest.fixture
def customer():
    user = UserFactory(email="hanako@example.jp", display_name="花子")
    address = Address.objects.create(
        user=user, name="山田 花子", postal_code="1500001", prefecture="東京都", city="渋谷区",
        street="神宮前1-2-3", phone="09012345678", is_default=True,
    )  # fmt: skip
    return user, address


# --- The roles ----------------------------------------------------------------------------------------------------


def test_migration_created_the_roles_with_least_privilege():
    manager, support, marketing = perms(SHOP_MANAGER), perms(CUSTOMER_SUPPORT), perms(MARKETING)

    assert {
        "accounts.view_personaldataaccess", "payments.add_refund", "payments.change_payment",
        "payments.change_paymentsettings", "orders.change_order", "catalog.change_product", "accounts.change_user",
    } <= manager  # fmt: skip
    # The log is append-only; customers leave through the privacy flow; nobody but a superuser grants anything.
    assert not {"accounts.change_personaldataaccess", "accounts.delete_personaldataaccess", "accounts.delete_user"} & (
        manager | support | marketing
    )
    assert not any(key.startswith(("auth.", "otp_", "socialaccount.")) for key in manager | support | marketing)

    assert {"orders.view_order", "orders.change_order", "accounts.view_user", "accounts.change_privacyrequest"} <= (
        support
    )
    assert not {
        "payments.add_refund", "payments.change_payment", "payments.change_paymentsettings",
        "payments.view_paymentsettings", "catalog.change_product", "catalog.change_variant",
        "accounts.change_user", "accounts.view_personaldataaccess",
    } & support  # fmt: skip

    assert {"catalog.change_product", "catalog.change_variant", "catalog.change_feature"} <= marketing
    assert not any(key.startswith(("accounts.", "payments.")) for key in marketing)
    assert "orders.view_order" not in marketing
    # Marketing runs coupons and share campaigns but never sees a member's points, coupon uses or the review queue.
    assert {"loyalty.change_coupon", "share_rewards.change_sharecampaign"} <= marketing
    assert (
        not {"loyalty.view_pointentry", "loyalty.view_couponredemption", "share_rewards.view_sharepurchase"} & marketing
    )
    assert "share_rewards.change_sharepurchase" in support and "loyalty.change_pointentry" not in support


def test_sync_staff_roles_restores_each_role_and_is_idempotent():
    support = Group.objects.get(name=CUSTOMER_SUPPORT)
    support.permissions.remove(Permission.objects.get(codename="view_order"))
    support.permissions.add(Permission.objects.get(codename="add_refund"))
    Group.objects.get(name=MARKETING).delete()
    before_manager = perms(SHOP_MANAGER)

    call_command("sync_staff_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = {role: perms(role) for role in ROLES}
    call_command("sync_staff_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert first == {role: perms(role) for role in ROLES}
    assert "orders.view_order" in first[CUSTOMER_SUPPORT]
    assert "payments.add_refund" not in first[CUSTOMER_SUPPORT]
    assert "catalog.change_product" in first[MARKETING]
    assert first[SHOP_MANAGER] == before_manager


# --- What each role can open --------------------------------------------------------------------------------------


def test_marketing_cannot_open_customers_or_orders(client, staff_member, customer):
    staff_member(MARKETING)
    user, address = customer
    order = place_order(user=user)

    assert client.get(reverse("admin:catalog_product_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_address_change", args=[address.pk])).status_code == 403
    assert client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_support_ships_orders_but_neither_refunds_nor_marks_paid_nor_sees_the_log(client, staff_member, customer):
    staff_member(CUSTOMER_SUPPORT)
    order = place_order(user=customer[0])

    changelist = client.get(reverse("admin:orders_order_changelist"))
    actions = {name for name, _label in changelist.context["action_form"].fields["action"].choices}
    assert {"mark_shipped", "mark_delivered", "export_csv"} <= actions
    assert not {"refund", "mark_paid"} & actions
    assert client.get(reverse("admin:orders_order_refund", args=[order.pk])).status_code == 403
    assert client.get(reverse("admin:payments_paymentsettings_changelist")).status_code == 403

    assert client.get(reverse("admin:accounts_personaldataaccess_changelist")).status_code == 403
    assert "personaldataaccess" not in client.get(reverse("admin:index")).content.decode()


def test_shop_manager_sees_the_log_but_cannot_take_over_a_superuser(client, staff_member):
    manager = staff_member(SHOP_MANAGER)
    root = UserFactory(email="root@example.jp", is_staff=True, is_superuser=True)
    PersonalDataAccess.objects.create(staff=manager, customer=root, what="user #1", path="/admin/")

    page = client.get(reverse("admin:accounts_personaldataaccess_changelist"))
    assert page.status_code == 200 and "root@example.jp" in page.content.decode()
    assert "personaldataaccess" in client.get(reverse("admin:index")).content.decode()
    row = PersonalDataAccess.objects.get()
    assert client.post(reverse("admin:accounts_personaldataaccess_delete", args=[row.pk])).status_code == 403

    assert client.post(reverse("admin:accounts_user_change", args=[root.pk]), {}).status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
    other = UserFactory(email="clerk@example.jp", is_staff=True)
    form = client.get(reverse("admin:accounts_user_change", args=[other.pk])).context["adminform"]
    assert {"is_superuser", "user_permissions"} <= set(form.readonly_fields)


# --- The access log -----------------------------------------------------------------------------------------------


def test_each_opened_page_of_personal_data_writes_one_log_row(client, staff_member, customer):
    support = staff_member(CUSTOMER_SUPPORT)
    user, address = customer
    order = place_order(user=user)
    guest_order = place_order(email="guest@example.jp")
    pages = [
        (reverse("admin:accounts_user_change", args=[user.pk]), user),
        (reverse("admin:orders_order_change", args=[order.pk]), user),
        (reverse("admin:orders_order_change", args=[guest_order.pk]), None),
        (reverse("admin:accounts_address_change", args=[address.pk]), user),
    ]
    for path, whose in pages:
        before = PersonalDataAccess.objects.count()
        response = client.get(path)
        assert response.status_code == 200, path
        assert PersonalDataAccess.objects.count() == before + 1, path
        row = PersonalDataAccess.objects.order_by("-id").first()
        assert (row.staff, row.customer, row.path) == (support, whose, path)
        # The log keeps no copy of the data it points at (it outlives a deleted customer's data).
        assert "hanako" not in row.what and "花子" not in row.what and "guest@" not in row.what

    # Lists do not count as opening a customer's data; the changelist writes nothing.
    before = PersonalDataAccess.objects.count()
    client.get(reverse("admin:accounts_user_changelist"))
    assert PersonalDataAccess.objects.count() == before


def test_csv_export_logs_one_row_per_exported_order(client, staff_member, customer):
    support = staff_member(CUSTOMER_SUPPORT)
    member_order = place_order(user=customer[0])
    guest_order = place_order(email="guest@example.jp")
    data = {"action": "export_csv", "_selected_action": [member_order.pk, guest_order.pk], "index": 0}

    response = client.post(reverse("admin:orders_order_changelist"), data)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = sorted(PersonalDataAccess.objects.all(), key=lambda row: row.customer_id is None)
    assert [(row.staff, row.customer) for row in rows] == [(support, customer[0]), (support, None)]
    assert member_order.number in rows[0].what and guest_order.number in rows[1].what
