"""The site header and footer ({% site_header %} / {% site_footer %}, shop/core/templatetags/site_tags.py): what a
visitor and a member see, in both languages, with the request's own values escaped."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import Cart
from shop.orders.services.cart import cart_add
from tests.factories import CategoryFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def header(html: str) -> str:
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') : html.index("</footer>")]


def page(client, path=None, **extra) -> str:
    response = client.get(path or reverse("legal:page", args=["privacy"]), **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_sees_sign_in_the_categories_and_an_empty_cart():
    CategoryFactory(name="レディース", slug="women")
    CategoryFactory(name="<b>メンズ</b>", slug="men")
    top = header(page(Client()))
    with translation.override("ja"):
        assert f'<a href="{reverse("account_login")}">ログイン</a>' in top
        assert 'placeholder="ブランド・アイテム・キーワードで検索"' in top
    assert '<a href="/c/women/">レディース</a>' in top
    assert '<a href="/c/men/">&lt;b&gt;メンズ&lt;/b&gt;</a>' in top
    assert 'id="cart-badge"' in top and ">0</span>" in top
    assert reverse("accounts:profile") not in top and "csrfmiddlewaretoken" not in top


def test_a_member_sees_their_account_a_sign_out_form_and_their_cart_count(client):
    member = UserFactory(email="chrome@example.jp")
    legal_accept_current(user=member)
    variant = VariantFactory(stock=10)
    cart_add(cart=Cart.objects.create(user=member), variant_id=variant.pk, quantity=3)
    client.force_login(member)
    top = header(page(client))
    assert f'href="{reverse("accounts:profile")}"' in top and f'href="{reverse("orders:order_list")}"' in top
    assert re.search(
        rf'<form action="{reverse("account_logout")}" method="post" class="inline">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+"><button class="link" type="submit">',
        top,
    )
    assert ">3</span>" in top and reverse("account_login") not in top


def test_the_search_words_and_the_path_come_back_escaped():
    attack = "\"><script>alert('x')</script>"
    html = page(Client(), reverse("catalog:search"), data={"q": attack})
    assert "<script>alert" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"' in header(html)
    bottom = footer(html)
    assert (
        '<input name="next" type="hidden" value="/search/?q=%22%3E%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E">'
        in bottom
    )


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)


def test_the_footer_switches_language_and_speaks_the_page_s_language():
    ja = footer(page(Client()))
    en = footer(page(Client(), HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=en"))
    assert '<button type="submit" name="language" value="ja" aria-current="true" disabled>日本語</button>' in ja
    assert '<button type="submit" name="language" value="en">English</button>' in ja
    assert '<button type="submit" name="language" value="en" aria-current="true" disabled>English</button>' in en
    with translation.override("ja"):
        assert f">{gettext('Privacy policy')}</a>" in ja and gettext("Privacy policy") != "Privacy policy"
    assert ">Privacy policy</a>" in en
    assert re.search(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">', ja)
    # The labels are kept per language: Japanese again after English is the same Japanese footer.
    assert without_tokens(footer(page(Client()))) == without_tokens(ja)


def test_the_category_links_and_the_cart_badge_follow_a_renamed_category_a_new_slug_and_the_language(client):
    """Both are made once per process for the same values (site_tags._category_links, _cart_badge): a change of
    name or slug, or another language, shows at once."""
    from django.core.cache import cache

    category = CategoryFactory(name="レディース", slug="women")
    assert '<a href="/c/women/">レディース</a>' in header(page(Client()))
    category.name, category.slug = "ウィメンズ", "womens"
    category.save()
    cache.clear()  # the category tree is cached for a while (catalog.selectors); the links follow the tree
    top = header(page(Client()))
    assert '<a href="/c/womens/">ウィメンズ</a>' in top and "/c/women/" not in top

    en = header(page(Client(), HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=en"))
    ja = header(page(Client()))
    assert 'aria-label="0 items in cart">0</span>' in en
    with translation.override("ja"):
        label = translation.ngettext("%(n)s item in cart", "%(n)s items in cart", 0) % {"n": 0}
    assert label != "0 items in cart" and f'aria-label="{label}">0</span>' in ja
