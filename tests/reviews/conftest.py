import pytest
from allauth.account.models import EmailAddress

from shop.accounts.privacy_services import legal_accept_current
from shop.orders import services as order_services
from shop.orders.models import Order
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VariantFactory
from tests.payments.support import place_order


def make_user(*, verified: bool = True, **fields):
    user = UserFactory(**fields)
    legal_accept_current(user=user)
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def buy(user, variant, *, deliver: bool = False) -> Order:
    """A paid (and optionally delivered) bank-transfer order of the variant by the user."""
    order = place_order(variant, payment_method=Order.PaymentMethod.BANK_TRANSFER)
    Order.objects.filter(pk=order.pk).update(user=user, email=user.email)
    order_services.order_mark_paid(order_id=order.pk)
    if deliver:
        order_services.order_mark_shipped(order_id=order.pk, carrier="ヤマト運輸", tracking_number="1234")
        order_services.order_mark_delivered(order_id=order.pk)
    order.refresh_from_db()
    return order


@pytest.fixture
def product(db):
    category = CategoryFactory(name="ニット", slug="knit")
    product = ProductFactory(category=category, name="ふんわりニット", slug="fuwari-knit")
    VariantFactory(product=product, sku="K-NV-M", price=4990, stock=50)
    return product


@pytest.fixture
def verified_user(db):
    return make_user(display_name="はなこ")
