import io
import re
from collections import Counter
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from shop.accounts.models import User
from shop.catalog import demo_data
from shop.catalog.models import Category, Feature, Product, ProductImage, Variant
from shop.catalog.services import product_sync_from_variants

PRODUCTS = 20


def seed(products: int = PRODUCTS) -> str:
    out = io.StringIO()
    call_command("seed_demo", products=products, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    models = (Category, Product, Variant, ProductImage, Feature, User, EmailAddress)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["history"] = Product.history.count() + Variant.history.count()
    counts["feature links"] = Feature.products.through.objects.count()
    counts["files"] = sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    return counts


def test_product_specs_are_deterministic_and_realistic():
    specs = [demo_data.product_spec(index=i) for i in range(1, demo_data.DEFAULT_PRODUCTS + 1)]
    assert demo_data.product_spec(index=7) == specs[6]
    assert demo_data.product_spec(index=7, seed=1) != specs[6]

    skus = [v.sku for spec in specs for v in spec.variants]
    assert len(skus) == len(set(skus))
    assert all(re.fullmatch(rf"DEMO-{s.index:04d}(-[0-9A-Z]+)+", v.sku) for s in specs for v in s.variants)
    assert len({s.slug for s in specs}) == len(specs)
    assert all(re.fullmatch(r"[a-z0-9-]+", s.slug) for s in specs)
    assert all(not s.name.isascii() and s.brand and len(s.description) > 30 for s in specs)
    assert len({s.brand for s in specs}) >= 10

    variants = [v for s in specs for v in s.variants]
    assert all(v.compare_at_price is None or v.compare_at_price > v.price for v in variants)
    on_sale = sum(bool(s.variants[0].compare_at_price) for s in specs) / len(specs)
    assert 0.1 <= on_sale <= 0.3
    featured = sum(s.is_featured for s in specs) / len(specs)
    assert 0.05 <= featured <= 0.25
    assert any(v.stock == 0 for v in variants) and any(1 <= v.stock <= 5 for v in variants)
    assert all(0 <= v.stock <= 40 for v in variants)
    assert 1 <= sum(all(v.stock == 0 for v in s.variants) for s in specs) <= 25
    assert all(2 <= len(s.angles) <= 4 for s in specs)

    sizes = Counter(v.size for v in variants)
    assert {"S", "M", "L", "22.5", "25.5", "30ml", "50ml"} <= set(sizes)
    apparel = [s for s in specs if s.variants[0].size == "S"]
    assert apparel and all(1 <= len({v.colour for v in s.variants}) <= 3 for s in apparel)
    assert all(v.colour_hex.startswith("#") for v in variants)


def check_catalogue(output: str) -> None:
    tops = list(Category.objects.filter(parent=None))
    assert len(tops) >= 8
    for top in tops:
        assert not top.name.isascii() and top.slug.isascii()
        children = list(top.children.all())
        assert 2 <= len(children) <= 4
        assert not Category.objects.filter(parent__in=children).exists()

    products = Product.objects.filter(slug__startswith=demo_data.SLUG_PREFIX)
    assert products.count() == PRODUCTS
    assert not products.filter(category__parent=None).exists()
    for product in products.prefetch_related("variants", "images"):
        variants = list(product.variants.all())
        assert variants and len(product.images.all()) >= 2
        # product_sync_from_variants ran after the variants were made: running it again changes nothing.
        summary = (product.price, product.compare_at_price, product.in_stock)
        synced = product_sync_from_variants(product_id=product.pk)
        assert summary == (synced.price, synced.compare_at_price, synced.in_stock)
        assert product.price in {v.price for v in variants}
        assert product.in_stock == any(v.stock > 0 for v in variants)
    skus = list(Variant.objects.values_list("sku", flat=True))
    assert len(skus) == len(set(skus))
    assert {p.name for p in products} == {demo_data.product_spec(index=i).name for i in range(1, PRODUCTS + 1)}
    ages = [timezone.now() - p.created_at for p in products]
    assert max(ages).days >= 20 and all(age.days <= 90 for age in ages)

    features = {f.slug: f for f in Feature.objects.all()}
    assert len(features) == 3
    assert features["christmas-gift"].is_live and features["winter-skincare"].is_live
    assert not features["fukubukuro"].is_live and features["fukubukuro"].starts_at > timezone.now()
    assert all(f.products.exists() for f in features.values())
    assert products.filter(available_until__gt=timezone.now()).count() == 2

    assert f"[{'#' * 30}] {PRODUCTS}/{PRODUCTS} products" in output
    assert "shopper@example.jp / demo-shopper-pass" in output and "staff@example.jp / demo-staff-pass" in output


def check_pictures(client) -> None:
    images = list(ProductImage.objects.all())
    assert len(images) >= 2 * PRODUCTS
    for row in images:
        with default_storage.open(row.image.name, "rb") as handle:
            picture = Image.open(handle)
            picture.load()
        assert picture.size == (800, 800) == (row.width, row.height)
        assert row.renditions_ready
        assert set(row.renditions["webp"]) == {str(width) for width in settings.SHOP_IMAGE_WIDTHS}
        for width, name in row.renditions["webp"].items():
            with default_storage.open(name, "rb") as handle:
                webp = Image.open(handle)
                webp.load()
            assert webp.format == "WEBP" and webp.width == min(int(width), 800)
        with default_storage.open(row.renditions["og"], "rb") as handle:
            og = Image.open(handle)
            og.load()
        assert og.format == "JPEG" and og.size == (1200, 630)

    # The pictures differ by product and by angle, they are not one image copied around.
    first = ProductImage.objects.filter(product__slug__startswith="demo-0001-").order_by("position")
    assert len({default_storage.open(row.image.name).read() for row in first}) == first.count()

    product = Product.objects.get(slug__startswith="demo-0001-")
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    srcsets = re.findall(r'srcset="([^"]+)"', response.content.decode())
    assert srcsets
    for entry in ", ".join(srcsets).split(", "):
        url = entry.rsplit(" ", 1)[0]
        assert default_storage.exists(url.removeprefix(settings.MEDIA_URL)), url


@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_the_shop_once(client):
    # One seeding checked from every side: each run draws and renders some sixty pictures.
    output = seed()
    check_catalogue(output)
    check_pictures(client)
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert before["Product"] == PRODUCTS and before["ProductImage"] >= 2 * PRODUCTS
    assert "(0 new, 0 new variants, 0 new pictures)" in output


@pytest.mark.django_db(transaction=True)
def test_a_later_run_adds_new_products_and_missing_pictures_but_keeps_edits():
    seed(products=3)
    first = dict(Product.objects.values_list("slug", "pk"))
    edited = Product.objects.get(slug__startswith="demo-0001-")
    edited.name = "スタッフが直した名前"
    edited.save()
    ProductImage.objects.filter(product__slug__startswith="demo-0002-").delete()

    output = seed(products=5)

    assert Product.objects.count() == 5
    assert {slug: pk for slug, pk in Product.objects.values_list("slug", "pk") if slug in first} == first
    assert Product.objects.get(pk=edited.pk).name == "スタッフが直した名前"
    redrawn = ProductImage.objects.filter(product__slug__startswith="demo-0002-")
    assert redrawn.count() >= 2 and all(row.renditions_ready for row in redrawn)
    assert "(2 new," in output


@pytest.mark.django_db
def test_demo_users_can_sign_in_with_mandatory_email_verification(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    seed(products=0)
    User.objects.filter(email="shopper@example.jp").update(password="changed-by-someone")  # noqa: S106
    seed(products=0)

    for login in demo_data.DEMO_LOGINS:
        user = authenticate(username=login.email, password=login.password)
        assert user is not None and user.email == login.email
        assert user.is_staff is user.is_superuser is login.is_staff
        address = EmailAddress.objects.get(user=user)
        assert address.verified and address.primary and address.email == login.email

        response = client.post("/accounts/login/", {"login": login.email, "password": login.password})
        assert response.status_code == 302 and response.url == settings.LOGIN_REDIRECT_URL
        assert int(client.session["_auth_user_id"]) == user.pk
        client.logout()
    assert authenticate(username="shopper@example.jp", password="wrong-password") is None
    assert User.objects.filter(email__endswith="@example.jp").count() == 2
