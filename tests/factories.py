import factory
from factory.django import DjangoModelFactory

from shop.catalog.models import Category, Product, Variant
from shop.catalog.services import product_sync_from_variants


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
