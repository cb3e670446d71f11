"""Staff admin for the catalogue (and the support view of carts), driven through the Django test client."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from shop.catalog.models import Product, ProductImage, Variant
from shop.orders.models import Cart, CartLine
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

# Session, user, the category filter, two counts, the page of products, their images and the brand filter
# (8), plus a little slack; what matters most is that 30 products cost no more queries than 5.
MAX_CHANGELIST_QUERIES = 10


@pytest.fixture
def staff(client, otp_login):
    user = UserFactory(email="staff@example.jp", is_staff=True, is_superuser=True)
    otp_login(client, user)  # the admin requires a session verified by an OTP device
    return user


def _png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (181, 72, 93)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _make_products(count: int, *, parent=None) -> list[Product]:
    """Products the way the shop has them: a nested category, two variants and two images each."""
    parent = parent or CategoryFactory(name="レディース")
    products = []
    for _ in range(count):
        product = ProductFactory(category=CategoryFactory(parent=parent))
        VariantFactory(product=product, price=2980)
        VariantFactory(product=product, price=1980)
        ProductImage.objects.create(product=product, image=_png(), alt=f"{product.name}の写真", position=1)
        ProductImage.objects.create(product=product, image=_png(), alt="", position=2)
        products.append(product)
    return products


def test_product_changelist_and_change_page_render(client, staff):
    product = _make_products(1)[0]

    changelist = client.get(reverse("admin:catalog_product_changelist"))
    change = client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert product.name in html
    assert "¥1,980" in html
    assert f'alt="{product.name}の写真"' in html  # the first image by position is the thumbnail
    assert change.status_code == 200
    assert product.variants.first().sku in change.content.decode()


def test_product_changelist_queries_do_not_grow_with_the_number_of_products(
    client, staff, django_assert_max_num_queries
):
    parent = CategoryFactory(name="メンズ")
    _make_products(5, parent=parent)
    url = reverse("admin:catalog_product_changelist")
    client.get(url)  # warm the session and the content-type cache

    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES) as with_five:
        response = client.get(url)
    assert response.content.decode().count('loading="lazy"') == 5

    _make_products(25, parent=parent)
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES) as with_thirty:
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('loading="lazy"') == 30
    assert len(with_thirty) == len(with_five)


def test_product_search_finds_a_product_by_variant_sku(client, staff):
    wanted = VariantFactory(sku="KNIT-NAVY-M", product=ProductFactory(name="ざっくりニット"))
    VariantFactory(product=ProductFactory(name="デニム"))

    response = client.get(reverse("admin:catalog_product_changelist"), {"q": "knit-navy"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted.product]


def test_other_catalog_and_cart_admin_pages_render(client, staff):
    product = _make_products(1)[0]
    variant = product.variants.first()
    cart = Cart.objects.create(user=UserFactory(email="shopper@example.jp"))
    CartLine.objects.create(cart=cart, variant=variant, quantity=2)
    guest_cart = Cart.objects.create()

    urls = [
        reverse("admin:catalog_category_changelist"),
        reverse("admin:catalog_category_change", args=[product.category_id]),
        reverse("admin:catalog_variant_changelist"),
        reverse("admin:catalog_variant_change", args=[variant.pk]),
        reverse("admin:catalog_variant_history", args=[variant.pk]),
        reverse("admin:catalog_product_history", args=[product.pk]),
        reverse("admin:catalog_feature_changelist"),
        reverse("admin:catalog_feature_add"),
        reverse("admin:orders_cart_changelist"),
        reverse("admin:orders_cart_change", args=[cart.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url

    cart_page = client.get(reverse("admin:orders_cart_change", args=[cart.pk])).content.decode()
    assert variant.sku in cart_page
    by_email = client.get(reverse("admin:orders_cart_changelist"), {"q": "shopper@example"})
    by_token = client.get(reverse("admin:orders_cart_changelist"), {"q": str(guest_cart.token)[:8]})
    assert list(by_email.context["cl"].result_list) == [cart]
    assert list(by_token.context["cl"].result_list) == [guest_cart]


def test_carts_are_read_only_for_staff(client, staff):
    cart = Cart.objects.create()

    assert client.get(reverse("admin:orders_cart_add")).status_code == 403
    response = client.post(reverse("admin:orders_cart_change", args=[cart.pk]), {"user": staff.pk})

    assert response.status_code == 403
    cart.refresh_from_db()
    assert cart.user_id is None


def _variant_history_change(variant: Variant) -> tuple:
    latest, previous = variant.history.order_by("-history_date", "-history_id")[:2]
    changes = {change.field: (change.old, change.new) for change in latest.diff_against(previous).changes}
    return latest, changes


def test_quick_edit_of_price_and_stock_in_the_variant_list_is_recorded_and_updates_the_product(client, staff):
    variant = VariantFactory(price=1980, stock=10, product=ProductFactory(name="リネンシャツ"))
    VariantFactory(product=variant.product, price=2980, stock=0)
    url = reverse("admin:catalog_variant_changelist")
    page = client.get(url)
    position = [v.pk for v in page.context["cl"].result_list].index(variant.pk)
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    for index, row in enumerate(page.context["cl"].result_list):
        data[f"form-{index}-id"] = str(row.pk)
        data[f"form-{index}-price"] = str(row.price)
        data[f"form-{index}-stock"] = str(row.stock)
    data[f"form-{position}-price"] = "1480"
    data[f"form-{position}-stock"] = "0"

    response = client.post(url, data)

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (1480, 0)
    latest, changes = _variant_history_change(variant)
    assert latest.history_user == staff
    assert changes["price"] == (1980, 1480)
    assert changes["stock"] == (10, 0)
    product = Product.objects.get(pk=variant.product_id)
    assert product.price == 1480
    assert product.in_stock is False  # the other variant had none left either


def test_variant_change_form_records_who_changed_price_and_stock_and_the_history_page_shows_it(client, staff):
    variant = VariantFactory(price=1980, stock=10)
    data = {
        "product": str(variant.product_id),
        "sku": variant.sku,
        "size": variant.size,
        "colour": variant.colour,
        "colour_hex": "",
        "price": "2480",
        "compare_at_price": "2980",
        "stock": "7",
        "position": "0",
        "is_active": "on",
        "_save": "保存",
    }

    response = client.post(reverse("admin:catalog_variant_change", args=[variant.pk]), data)

    assert response.status_code == 302
    variant.refresh_from_db()
    latest, changes = _variant_history_change(variant)
    assert latest.history_user == staff
    assert changes["price"] == (1980, 2480)
    assert changes["stock"] == (10, 7)
    product = Product.objects.get(pk=variant.product_id)
    assert (product.price, product.compare_at_price) == (2480, 2980)

    history = client.get(reverse("admin:catalog_variant_history", args=[variant.pk])).content.decode()
    assert staff.email in history
    assert re.search(r"1980\s*&nbsp;&rarr;&nbsp;&nbsp;2480", history)
    assert re.search(r"10\s*&nbsp;&rarr;&nbsp;&nbsp;7", history)


def _product_form(product: Product, variants: list[Variant]) -> dict:
    data = {
        "name": product.name,
        "slug": product.slug,
        "category": str(product.category_id),
        "brand": product.brand,
        "description": product.description,
        "tags": product.tags,
        "is_active": "on",
        "available_until_0": "",
        "available_until_1": "",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": str(len(variants)),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    for index, variant in enumerate(variants):
        prefix = f"variants-{index}-"
        data.update(
            {
                prefix + "id": str(variant.pk),
                prefix + "product": str(product.pk),
                prefix + "sku": variant.sku,
                prefix + "size": variant.size,
                prefix + "colour": variant.colour,
                prefix + "colour_hex": variant.colour_hex,
                prefix + "price": str(variant.price),
                prefix + "compare_at_price": "" if variant.compare_at_price is None else str(variant.compare_at_price),
                prefix + "stock": str(variant.stock),
                prefix + "position": str(variant.position),
                prefix + "is_active": "on" if variant.is_active else "",
            }
        )
    return data


def test_editing_variants_inline_on_the_product_page_updates_the_listing_price(client, staff):
    product = ProductFactory(name="カシミヤマフラー")
    cheap = VariantFactory(product=product, price=4980, stock=2, position=0)
    dear = VariantFactory(product=product, price=6980, stock=3, position=1)
    product.refresh_from_db()
    assert (product.price, product.in_stock) == (4980, True)
    data = _product_form(product, [cheap, dear])
    data["variants-0-price"] = "3980"
    data["variants-0-stock"] = "5"
    data["variants-1-is_active"] = ""

    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    product.refresh_from_db()
    assert (product.price, product.in_stock) == (3980, True)
    latest, changes = _variant_history_change(Variant.objects.get(pk=cheap.pk))
    assert latest.history_user == staff
    assert changes["price"] == (4980, 3980)


def test_off_sale_action_records_history_per_product(client, staff):
    products = [ProductFactory(), ProductFactory()]

    response = client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "make_inactive", "_selected_action": [str(p.pk) for p in products]},
    )

    assert response.status_code == 302
    for product in products:
        product.refresh_from_db()
        assert product.is_active is False
        latest = product.history.order_by("-history_date", "-history_id").first()
        assert (latest.is_active, latest.history_user) == (False, staff)
