"""A shopper's path through the shop in a real Chromium: browse, search, filter, add to cart, change the cart, switch
language; and the same add-to-cart without JavaScript.

Expected texts come from the shop's own gettext catalogue, so the assertions hold before and after the Japanese
translations land; the one fixed Japanese word ("Search" -> 検索) is checked against locale/ja/LC_MESSAGES/django.po.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Page, expect

from shop.catalog.models import Product, Variant
from shop.core.money import Money
from shop.orders.models import CartLine
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRODUCT_SHOT = Path("/tmp/shot-product.png")
CART_SHOT = Path("/tmp/shot-cart.png")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A shopper's phone in Japan: Japanese Accept-Language and Tokyo time.
    return {
        **browser_context_args,
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
        "viewport": {"width": 1280, "height": 900},
    }


def ja(message: str, **params) -> str:
    with translation.override("ja"):
        text = translation.gettext(message)
    return text % params if params else text


def tax_included(amount: int, language: str = "ja") -> str:
    with translation.override(language):
        return Money(amount, "JPY").format_tax_included()


def po_translation(msgid: str) -> str:
    """The msgstr the lead's Japanese catalogue gives msgid, or "" while it is not translated yet."""
    po = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"
    if not po.exists():
        return ""
    match = re.search(rf'^msgid "{re.escape(msgid)}"\nmsgstr "(.*)"$', po.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1) if match else ""


@dataclass
class Catalog:
    linen: Product  # tops: white M 4,980 (5 left), white L 5,280 (8 left), navy S sold out
    tee: Product  # tops: black S/M 1,980
    denim: Product  # bottoms: indigo L 7,900
    coat: Product  # directly in the root category, every variant sold out
    lip: Product  # another root category: must never show under the fashion tree
    white_m: Variant
    white_l: Variant
    navy_s: Variant


@pytest.fixture
def catalog() -> Catalog:
    fashion = CategoryFactory(name="ファッション", slug="fashion", position=1)
    tops = CategoryFactory(name="トップス", slug="tops", parent=fashion, position=1)
    bottoms = CategoryFactory(name="ボトムス", slug="bottoms", parent=fashion, position=2)
    lips = CategoryFactory(name="リップ", slug="lips", parent=CategoryFactory(name="コスメ", slug="cosme", position=2))

    denim = ProductFactory(name="ストレートデニムパンツ", slug="denim", category=bottoms)
    VariantFactory(product=denim, sku="DNM-L", size="L", colour="インディゴ", price=7900, stock=3)
    coat = ProductFactory(name="ウールロングコート", slug="coat", category=fashion)
    VariantFactory(product=coat, sku="COAT-M", size="M", colour="グレー", price=19800, stock=0)
    VariantFactory(product=coat, sku="COAT-L", size="L", colour="グレー", price=19800, stock=0)
    tee = ProductFactory(name="コットンTシャツ", slug="tee", category=tops)
    VariantFactory(product=tee, sku="TEE-S", size="S", colour="ブラック", price=1980, stock=10)
    VariantFactory(product=tee, sku="TEE-M", size="M", colour="ブラック", price=1980, stock=10)
    lip = ProductFactory(name="ティントリップ", slug="lip", category=lips, brand="Hana")
    VariantFactory(product=lip, sku="LIP-1", size="", colour="ローズ", price=1650, stock=20)
    linen = ProductFactory(name="リネンシャツ", slug="linen-shirt", category=tops)
    navy_s = VariantFactory(product=linen, sku="LIN-NS", size="S", colour="ネイビー", price=4980, stock=0, position=0)
    white_m = VariantFactory(
        product=linen, sku="LIN-WM", size="M", colour="ホワイト", colour_hex="#f4f1ea", price=4980, stock=5, position=1
    )
    white_l = VariantFactory(
        product=linen, sku="LIN-WL", size="L", colour="ホワイト", colour_hex="#f4f1ea", price=5280, stock=8, position=2
    )
    return Catalog(
        linen=linen, tee=tee, denim=denim, coat=coat, lip=lip, white_m=white_m, white_l=white_l, navy_s=navy_s
    )


def card_names(page: Page) -> list[str]:
    return sorted(page.locator(".results .card .name").all_inner_texts())


def cart_quantity(variant: Variant) -> int | None:
    line = CartLine.objects.filter(variant=variant).first()
    return line.quantity if line else None


def test_shopper_browses_searches_filters_buys_and_switches_language(page: Page, live_server, catalog: Catalog):
    search_ja = ja("Search")
    expected_search = po_translation("Search")
    if expected_search:
        # The catalogue has it: the compiled .mo must too, or the page would show English.
        assert search_ja == expected_search, "django.po translates “Search” but the compiled django.mo does not"

    # Home, in Japanese.
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("form.search button[type=submit]")).to_have_text(search_ja)
    expect(page.locator("nav.categories")).to_contain_text("ファッション")
    expect(page.locator(".card .name", has_text="リネンシャツ")).to_be_visible()
    expect(page.locator("#cart-badge")).to_have_text("0")

    # Header search finds the product by a word of its name and nothing else.
    page.locator("#site-search").fill("リネン")
    page.locator("form.search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.locator("#site-search")).to_have_value("リネン")
    expect(page.locator(".results .card")).to_have_count(1)
    expect(page.locator(".results .card .name")).to_have_text("リネンシャツ")
    expect(page.locator(".results .card .price")).to_have_text(tax_included(4980))

    # The parent category lists its children's products, not another tree's.
    page.goto(live_server.url + "/c/fashion/")
    expect(page.locator("h1")).to_have_text("ファッション")
    expect(page.locator(".results .card")).to_have_count(4)
    assert card_names(page) == sorted(
        ["リネンシャツ", "コットンTシャツ", "ストレートデニムパンツ", "ウールロングコート"]
    )

    # Size L: products with an L variant remain (the sold-out coat is still listed, marked sold out).
    filters = page.locator("form.filters")
    filters.locator("input[name=size][value=L]").check()
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]size=L"))
    expect(page.locator(".results .card")).to_have_count(3)
    assert card_names(page) == sorted(["リネンシャツ", "ストレートデニムパンツ", "ウールロングコート"])
    expect(page.locator(".results .card", has_text="ウールロングコート").locator(".tag.soldout")).to_be_visible()

    # Add a price range: only the shirt (from ¥4,980) is left; the form keeps what was chosen.
    filters = page.locator("form.filters")
    expect(filters.locator("input[name=size][value=L]")).to_be_checked()
    filters.locator("input[name=price_min]").fill("3000")
    filters.locator("input[name=price_max]").fill("6000")
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"price_max=6000"))
    expect(page.locator(".results .card")).to_have_count(1)
    expect(page.locator(".results .card .name")).to_have_text("リネンシャツ")
    expect(page.locator("form.filters input[name=price_min]")).to_have_value("3000")

    # Product page: the first variant in stock is chosen; the sold-out one can't be.
    page.locator(".results .card a").first.click()
    expect(page).to_have_url(live_server.url + "/p/linen-shirt/")
    expect(page.locator(".buy h1")).to_have_text("リネンシャツ")
    navy = page.locator(f"input[name=variant][value='{catalog.navy_s.pk}']")
    white_m = page.locator(f"input[name=variant][value='{catalog.white_m.pk}']")
    white_l = page.locator(f"input[name=variant][value='{catalog.white_l.pk}']")
    expect(navy).to_be_disabled()
    expect(navy).not_to_be_checked()
    expect(white_m).to_be_checked()
    expect(page.locator(".buy p.price[data-current-price]")).to_have_text(tax_included(4980))

    # Pick white L: the price follows; add two to the cart through htmx.
    white_l.click()
    expect(white_l).to_be_checked()
    expect(page.locator(".buy p.price[data-current-price]")).to_have_text(tax_included(5280))
    page.locator("form.add-to-cart input[name=quantity]").fill("2")
    page.locator("form.add-to-cart button[type=submit]").click()
    feedback = page.locator("#cart-feedback .flash.success")
    expect(feedback).to_contain_text(ja("Added “%(item)s” to your cart.", item=str(catalog.white_l)))
    expect(page.locator("#cart-badge")).to_have_text("2")
    expect(page).to_have_url(live_server.url + "/p/linen-shirt/")  # no navigation: htmx swapped a fragment
    assert cart_quantity(catalog.white_l) == 2
    assert cart_quantity(catalog.white_m) is None
    page.screenshot(path=str(PRODUCT_SHOT), full_page=True)

    # A product with every variant sold out can't be added.
    page.goto(live_server.url + "/p/coat/")
    expect(page.locator("input[name=variant]")).to_have_count(2)
    for radio in page.locator("input[name=variant]").all():
        expect(radio).to_be_disabled()
    expect(page.locator("form.add-to-cart button[type=submit]")).to_be_disabled()
    expect(page.locator("form.add-to-cart input[name=quantity]")).to_have_count(0)
    expect(page.locator("#cart-badge")).to_have_text("2")

    # The cart: one line, subtotal and tax-inclusive total.
    page.goto(live_server.url + "/cart/")
    line = page.locator("tr.line:has(a[href='/p/linen-shirt/'])")
    expect(page.locator("tr.line")).to_have_count(1)
    expect(line).to_contain_text("リネンシャツ")
    expect(line).to_contain_text("ホワイト / L")
    expect(line.locator(".subtotal")).to_have_text("¥10,560")
    expect(page.locator("[data-cart-total]")).to_have_text(tax_included(10560))
    assert tax_included(10560).startswith("¥10,560")
    page.screenshot(path=str(CART_SHOT), full_page=True)

    # Change the quantity in place (htmx): total and badge follow.
    quantity = page.locator("tr.line input[name=quantity]")
    quantity.fill("3")
    page.locator("tr.line form.qty-form button[type=submit]").click()
    expect(page.locator("#cart-body .flash.success")).to_have_text(ja("Your cart has been updated."))
    expect(page.locator("[data-cart-total]")).to_have_text(tax_included(15840))
    expect(page.locator("tr.line .subtotal")).to_have_text("¥15,840")
    expect(page.locator("#cart-badge")).to_have_text("3")
    expect(page).to_have_url(live_server.url + "/cart/")
    assert cart_quantity(catalog.white_l) == 3

    # More than the stock shown on the page: the browser refuses to send it (max is the stock).
    quantity = page.locator("tr.line input[name=quantity]")
    expect(quantity).to_have_attribute("max", "8")
    quantity.fill("9")
    page.locator("tr.line form.qty-form button[type=submit]").click()
    assert quantity.evaluate("el => el.validity.rangeOverflow") is True
    assert quantity.evaluate("el => el.validationMessage") != ""
    expect(page.locator("[data-cart-total]")).to_have_text(tax_included(15840))
    assert cart_quantity(catalog.white_l) == 3

    # Stock sold elsewhere since the page was drawn: the server refuses, says why, and changes nothing.
    Variant.objects.filter(pk=catalog.white_l.pk).update(stock=4)
    quantity.fill("5")
    page.locator("tr.line form.qty-form button[type=submit]").click()
    error = page.locator("#cart-body .flash.error[role=alert]").first
    expect(error).to_have_text(
        ja("Only %(stock)d of “%(item)s” left. Please choose %(stock)d or fewer.", stock=4, item=str(catalog.white_l))
    )
    expect(page.locator("tr.line input[name=quantity]")).to_have_value("3")
    expect(page.locator("[data-cart-total]")).to_have_text(tax_included(15840))
    expect(page.locator("#cart-badge")).to_have_text("3")
    assert cart_quantity(catalog.white_l) == 3

    # Switch to English with the footer button: same page, English UI, same cart.
    page.locator("footer form.lang button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server.url + "/cart/")
    expect(page.locator("form.search button[type=submit]")).to_have_text("Search")
    expect(page.locator("h1")).to_have_text("Cart")
    expect(page.locator("[data-cart-total]")).to_have_text("¥15,840 (tax incl.)")
    expect(page.locator("footer form.lang button[value=en]")).to_be_disabled()
    expect(page.locator("footer form.lang button[value=ja]")).to_be_enabled()
    expect(page.locator("#cart-badge")).to_have_text("3")


def test_add_to_cart_works_without_javascript(new_context, live_server, catalog: Catalog):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + "/p/linen-shirt/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.locator(f"input[name=variant][value='{catalog.white_l.pk}']").check()
    page.locator("form.add-to-cart input[name=quantity]").fill("1")
    with page.expect_navigation():
        page.locator("form.add-to-cart button[type=submit]").click()

    # A plain POST, then a redirect back to the product page with the message and the new count.
    expect(page).to_have_url(live_server.url + "/p/linen-shirt/")
    expect(page.locator("main .messages .flash.success")).to_have_text(
        ja("Added “%(item)s” to your cart.", item=str(catalog.white_l))
    )
    expect(page.locator("#cart-badge")).to_have_text("1")
    expect(page.locator("#cart-feedback")).to_be_empty()
    assert cart_quantity(catalog.white_l) == 1

    # A sold-out variant sent anyway (a stale page) is refused with a message, not a 500.
    Variant.objects.filter(pk=catalog.white_m.pk).update(stock=0)
    page.locator(f"input[name=variant][value='{catalog.white_m.pk}']").check()
    with page.expect_navigation():
        page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("main .messages .flash.error")).to_have_text(
        ja("Sorry, “%(item)s” is sold out.", item=str(catalog.white_m))
    )
    expect(page.locator("#cart-badge")).to_have_text("1")
    assert cart_quantity(catalog.white_m) is None
