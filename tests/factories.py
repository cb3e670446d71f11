import uuid

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from shop.catalog.models import Category, Product, Variant
from shop.catalog.services import product_sync_from_variants
from shop.orders.models import Order


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.User"
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    password = factory.django.Password("correct-horse-battery")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"カテゴリ{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    brand = "Lumi"
    description = "やわらかな素材の定番アイテム。"


class VariantFactory(DjangoModelFactory):
    class Meta:
        model = Variant
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    size = "M"
    colour = "ネイビー"
    price = 1980
    stock = 10

    @factory.post_generation
    def sync(obj, create, extracted, **kwargs):
        if create:
            product_sync_from_variants(product_id=obj.product_id)
            obj.product.refresh_from_db()


class OrderFactory(DjangoModelFactory):
    """An order row as checkout leaves it: a Tokyo address, delivery today, a card payment, 5,000 yen of items and
    600 yen of shipping. Lines, payments and status changes are the tests' own (`OrderFactory.build` for bulk)."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"F{n:08d}")
    checkout_token = factory.LazyFunction(uuid.uuid4)
    user = None
    email = factory.LazyAttribute(lambda order: order.user.email if order.user is not None else "buyer@example.jp")
    payment_method = Order.PaymentMethod.CARD
    ship_name = "山田 花子"
    ship_postal_code = "150-0001"
    ship_prefecture = "東京都"
    ship_city = "渋谷区"
    ship_street = "神宮前1-1-1"
    ship_phone = "0312345678"
    shipping_method_name = "宅配便"
    delivery_date_min = factory.LazyFunction(timezone.localdate)
    delivery_date_max = factory.SelfAttribute("delivery_date_min")
    subtotal = 5000
    shipping_fee = 600
    discount = 0
    total = factory.LazyAttribute(lambda order: order.subtotal + order.shipping_fee - order.discount)
