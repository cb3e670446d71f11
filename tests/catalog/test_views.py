import json
import re

import pytest
from django.urls import reverse
from django.utils.text import Truncator

from shop.catalog.models import Product, ProductImage
from shop.catalog.templatetags.catalog_tags import first_image, product_img
from shop.orders.models import CartLine
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def knit():
    tops = CategoryFactory(name="トップス", slug="tops")
    category = CategoryFactory(name="ニット", slug="knit", parent=tops)
    product = ProductFactory(category=category, name="ふんわりニット", slug="fuwari-knit", brand="Lumi")
    VariantFactory(
        product=product, sku="K-NV-M", size="M", colour="ネイビー", price=4990, compare_at_price=5990, stock=3
    )
    VariantFactory(product=product, sku="K-NV-L", size="L", colour="ネイビー", price=4990, stock=0)
    VariantFactory(product=product, sku="K-IV-M", size="M", colour="アイボリー", price=4990, stock=20)
    return product


def card_links(response) -> list[str]:
    """The product links of a listing's cards, in order."""
    return re.findall(r'<li class="card"><a href="([^"]+)"', response.content.decode())


def make_products(count, category):
    for i in range(count):
        product = ProductFactory(category=category)
        VariantFactory(product=product, size="S", price=1000 + i)
        VariantFactory(product=product, size="M", price=1100 + i)
        ProductImage.objects.create(product=product, image=f"products/demo-{i}.jpg", width=800, height=800)


def test_product_page_shows_price_stock_states_and_sale(client, knit):
    response = client.get(knit.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥4,990（税込）" in html
    assert "<del>¥5,990</del>" in html
    assert "残りわずか（3点）" in html  # low stock
    assert "K-NV-L" in html and "在庫切れ" in html
    sold_out_radio = re.search(r'<input type="radio" name="variant" value="(\d+)"[^>]*disabled', html)
    assert sold_out_radio and int(sold_out_radio.group(1)) == knit.variants.get(sku="K-NV-L").pk


def test_each_variants_choice_shows_its_price_stock_swatch_and_label(client, knit):
    """The variant radio buttons (catalog_tags.variant_choices): the first buyable one checked, a sold-out one
    disabled, the "was" price, the most a line may hold, the colour swatch (or none), the label (or one size) and
    every value escaped."""
    plain = VariantFactory(product=knit, sku='K-<"&">', size="", colour="", colour_hex="", price=3990, stock=50)
    knit.variants.filter(sku="K-NV-M").update(colour_hex="#1f2a44")
    html = client.get(knit.get_absolute_url()).content.decode()
    low, sold_out, in_stock = (knit.variants.get(sku=sku).pk for sku in ("K-NV-M", "K-NV-L", "K-IV-M"))
    assert (
        f'<label class="variant low">\n          <input type="radio" name="variant" value="{low}" checked \n'
        '            data-price="¥4,990（税込）" data-compare="¥5,990" data-max="3">\n'
        '          <span class="swatch" style="background: #1f2a44"></span>\n'
        '          <span class="label">ネイビー / M</span>\n'
        '          <span class="sku">SKU: K-NV-M</span>\n'
        '          <span class="state">残りわずか（3点）</span>\n'
        '          <span class="vprice">¥4,990</span>\n        </label>'
    ) in html
    assert (
        f'value="{sold_out}"  disabled\n            data-price="¥4,990（税込）" data-compare="" data-max="0">' in html
    )
    assert f'value="{in_stock}"  \n' in html and '<span class="state">在庫あり</span>' in html
    assert (
        f'value="{plain.pk}"  \n            data-price="¥3,990（税込）" data-compare="" data-max="50">\n'
        '          <span class="swatch none"></span>\n'
        '          <span class="label">フリーサイズ</span>\n'
        '          <span class="sku">SKU: K-&lt;&quot;&amp;&quot;&gt;</span>'
    ) in html


def test_product_page_has_link_preview_tags_and_json_ld(client, knit):
    ProductImage.objects.create(
        product=knit,
        image="products/knit.jpg",
        width=800,
        height=800,
        renditions={"source": "products/knit.jpg", "webp": {"320": "r/320.webp"}, "og": "r/og.jpg"},
    )
    html = client.get(knit.get_absolute_url()).content.decode()
    assert '<meta property="og:image" content="http://testserver/media/r/og.jpg">' in html
    assert '<meta property="og:title" content="ふんわりニット">' in html
    assert '<meta property="product:price:amount" content="4990">' in html
    assert '<meta property="product:price:currency" content="JPY">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Product" and data["brand"]["name"] == "Lumi"
    offers = {offer["sku"]: offer for offer in data["offers"]}
    assert offers["K-NV-L"]["availability"] == "https://schema.org/OutOfStock"
    assert offers["K-NV-M"]["price"] == "4990" and offers["K-NV-M"]["priceCurrency"] == "JPY"


@pytest.mark.parametrize("length", [60, 100, 300])
def test_link_preview_descriptions_are_the_description_cut_to_120_and_80_characters(client, knit, length):
    description = ("ふんわり柔らかい" * 40)[:length]
    Product.objects.filter(pk=knit.pk).update(description=description)
    html = client.get(knit.get_absolute_url()).content.decode()
    assert f'<meta name="description" content="{Truncator(description).chars(120)}">' in html
    assert f'<meta property="og:description" content="{Truncator(description).chars(120)}">' in html
    short = f"¥4,990（税込） {Truncator(description).chars(80)}"
    assert f'<meta name="twitter:description" content="{short}">' in html


def test_json_ld_cannot_be_broken_out_of(client, knit):
    Product.objects.filter(pk=knit.pk).update(description="</script><script>alert(1)</script>")
    html = client.get(knit.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize("path", ["/p/no-such-product/", "/c/no-such-category/", "/features/nothing/", "/nowhere/"])
def test_unknown_slugs_get_the_shops_404_page(client, path, settings):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "ページが見つかりません" in html
    assert 'class="site-header"' in html  # the shop's own layout, not a bare error


def test_page_past_the_end_shows_the_last_page(client, knit, settings):
    settings.SHOP_PAGE_SIZE = 2
    make_products(5, knit.category)
    last = client.get("/products/?page=3")
    for page in ("999", "abc", "-1"):
        response = client.get(f"/products/?page={page}")
        assert response.status_code == 200
    assert card_links(client.get("/products/?page=999")) == card_links(last)
    assert len(card_links(last)) == 2 and card_links(last) != card_links(client.get("/products/?page=1"))


@pytest.mark.parametrize(
    "query",
    ["price_min=abc", "price_min=-5", "price_min=9000&price_max=100", "price_max=1e99", "sort=evil", "size=XXXL"],
)
def test_bad_filters_get_a_message_not_an_error(client, knit, query):
    response = client.get(f"/products/?{query}")
    assert response.status_code == 200
    assert 'class="flash error"' in response.content.decode()


def test_an_unknown_sort_or_size_is_named_in_the_message_and_ignored(client, knit):
    for query, value, label in (("sort=evil", "evil", "並び替え"), ("size=XXXL&sort=price_asc", "XXXL", "サイズ")):
        html = client.get(f"/products/?{query}").content.decode()
        assert f"<p>{label}: 正しく選択してください。 {value} は候補にありません。</p>" in html
        assert "ふんわりニット" in html
    assert '<option value="price_asc" selected>' in html  # the valid filter still applies


def test_listing_card_shows_image_tags_brand_name_and_price(client, knit):
    ProductImage.objects.create(product=knit, image="products/knit.jpg", width=800, height=1000, alt="ニット")
    html = client.get("/products/").content.decode()
    card = re.search(r'<li class="card">.*?</li>', html, re.S).group(0)
    assert card.startswith(f'<li class="card"><a href="{knit.get_absolute_url()}"><div class="thumb"><img ')
    assert 'alt="ニット" width="800" height="1000"' in card
    assert (
        '<span class="tag sale">セール</span></div><p class="brand">Lumi</p><p class="name">ふんわりニット</p>' in card
    )
    assert (
        '<p class="price"><del>¥5,990</del> <strong>¥4,990（税込）</strong></p></a></li>'
        == card[card.index('<p class="price">') :]
    )


def test_listing_and_search_render_results(client, knit):
    assert "ふんわりニット" in client.get("/c/tops/").content.decode()
    search = client.get("/search/", {"q": "ふんわり"})
    assert "ふんわりニット" in search.content.decode()
    assert "ふんわりニット" not in client.get("/search/", {"q": "スカート"}).content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/products/", "/products/?sort=price_asc&size=M&in_stock=on", "/search/?q=商品", "/c/tops/"]
)
def test_list_pages_run_a_fixed_number_of_queries(client, knit, path, django_assert_max_num_queries):
    """The same query count at 20 and at 200 products (no query per product)."""
    make_products(20, knit.category)
    client.get(path)  # warm the session and caches
    with django_assert_max_num_queries(7) as small:
        client.get(path)
    make_products(180, knit.category)
    client.get(path)  # the products on sale per category are counted again once after the catalogue changed
    with django_assert_max_num_queries(7) as large:
        client.get(path)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_product_page_runs_a_fixed_number_of_queries(client, knit, django_assert_max_num_queries):
    make_products(20, knit.category)
    client.get(knit.get_absolute_url())  # warm the session and caches
    with django_assert_max_num_queries(8) as small:
        client.get(knit.get_absolute_url())
    make_products(180, knit.category)
    for i in range(10):
        VariantFactory(product=knit, size=f"{i}", stock=1)
    with django_assert_max_num_queries(8) as large:
        client.get(knit.get_absolute_url())
    assert len(large.captured_queries) == len(small.captured_queries)


def test_cart_add_without_javascript_redirects_with_a_message(client, knit):
    variant = knit.variants.get(sku="K-IV-M")
    response = client.post(
        reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 2, "next": knit.get_absolute_url()}, follow=True
    )
    assert response.redirect_chain[-1][0] == knit.get_absolute_url()
    assert "カートに追加しました" in response.content.decode()
    assert 'id="cart-badge"' in response.content.decode()
    assert re.search(r'id="cart-badge"[^>]*>2</span>', response.content.decode())


def test_cart_add_with_htmx_returns_the_fragment_and_badge(client, knit):
    variant = knit.variants.get(sku="K-IV-M")
    response = client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in html and ">1</span>" in html
    assert "<html" not in html


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "1以上"),
        ("-3", "1以上"),
        ("abc", "半角数字"),
        ("", "数量を入力"),
        ("99999999999999999999", "点まで"),
        ("4", "残り3点"),
    ],
)
def test_bad_quantities_show_a_message_and_leave_the_cart_alone(client, knit, quantity, message):
    variant = knit.variants.get(sku="K-NV-M")
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})
    response = client.post(
        reverse("orders:cart_add"), {"variant": variant.pk, "quantity": quantity}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    line = CartLine.objects.get()
    update = client.post(reverse("orders:cart_line_update", args=[line.pk]), {"quantity": quantity}, follow=True)
    assert message in update.content.decode()
    assert CartLine.objects.get().quantity == 1


def test_sold_out_variant_cannot_be_added(client, knit):
    variant = knit.variants.get(sku="K-NV-L")
    response = client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1}, follow=True)
    assert "在庫切れ" in response.content.decode()
    assert not CartLine.objects.exists()


def test_unknown_variant_and_missing_fields_are_refused(client, knit):
    for data in ({"variant": 987654, "quantity": 1}, {"quantity": 1}, {"variant": "x", "quantity": 1}):
        response = client.post(reverse("orders:cart_add"), data, follow=True)
        assert response.status_code == 200
    assert not CartLine.objects.exists()


def test_cart_page_shows_lines_and_total_and_removal(client, knit):
    variant = knit.variants.get(sku="K-IV-M")
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 3})
    page = client.get(reverse("orders:cart")).content.decode()
    assert "¥14,970（税込）" in page
    line = CartLine.objects.get()
    client.post(reverse("orders:cart_line_update", args=[line.pk]), {"quantity": 2})
    assert "¥9,980（税込）" in client.get(reverse("orders:cart")).content.decode()
    client.post(reverse("orders:cart_line_remove", args=[line.pk]))
    assert not CartLine.objects.exists()
    assert "カートに商品はありません" in client.get(reverse("orders:cart")).content.decode()


def test_english_is_available(client, knit):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(knit.get_absolute_url()).content.decode()
    assert 'lang="en"' in html
    assert "¥4,990 (tax incl.)" in html and "Add to cart" in html


def test_card_image_column_read_as_text_on_sqlite_still_gives_renditions():
    """SQLite's json_object() nests the renditions JSON column as text (the demo runs on SQLite)."""
    product = Product(name="ニット", slug="knit")
    product.card_image_data = {
        "id": 1,
        "image": "products/a.jpg",
        "width": 800,
        "height": 800,
        "alt": "",
        "renditions": '{"source": "products/a.jpg", "webp": {"320": "renditions/a-320.webp"}}',
    }
    image = first_image(product)
    assert image.renditions_ready
    assert image.renditions["webp"] == {"320": "renditions/a-320.webp"}
    assert 'srcset="/media/renditions/a-320.webp 320w"' in product_img(image)
