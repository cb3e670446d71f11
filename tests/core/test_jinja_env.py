"""The Jinja2 pages (shop/jinja_env.py): their text reaches makemessages, and the helpers behave as Django's do."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.defaultfilters import truncatechars
from django.utils import translation
from django.utils.translation.template import templatize

from shop.jinja_env import truncatechars_filter

JINJA_DIR = Path(settings.BASE_DIR) / "jinja_templates"
TEMPLATES = sorted(JINJA_DIR.rglob("*.html"))
MSGID = re.compile(r"""_\((["'])(.+?)\1\)""")


def test_there_are_jinja_templates():
    assert {path.relative_to(JINJA_DIR).as_posix() for path in TEMPLATES} >= {
        "base.html",
        "catalog/product_list.html",
        "catalog/product_detail.html",
        "reviews/_list.html",
    }


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_every_translated_text_is_extracted_by_makemessages(path):
    """makemessages reads these files with Django's template lexer (templatize), which finds `_("...")` only as the
    whole start of a {{ }} variable. A form it misses (a call with arguments, ngettext, {% trans %}) would leave the
    text untranslated after the next `make messages`."""
    source = path.read_text()
    extracted = templatize(source, origin=str(path))
    texts = [match.group(2) for match in MSGID.finditer(source)]
    assert texts or path.name.startswith("_rating"), "a page without any translated text?"
    for text in texts:
        assert f"_({text!r})" in extracted.replace('"', "'") or f'_("{text}")' in extracted, text
    assert "ngettext(" not in source and "{% trans" not in source


def test_templatize_misses_a_call_with_arguments():
    """The check above can fail: a gettext call with keyword arguments is not extracted."""
    extracted = templatize('{{ _("Page %(n)s", n=1) }}', origin="x.html")
    assert "Page" not in extracted


def render(source, **context):
    return engines["jinja2"].from_string(source).render(context)


def test_date_filter_shows_local_time_as_django_does():
    moment = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 01:30 on 1 April in Tokyo
    django = engines["django"].from_string('{{ moment|date:"Y/m/d H:i" }}').render({"moment": moment})
    assert render('{{ moment|date("Y/m/d H:i") }}', moment=moment) == django == "2026/04/01 01:30"
    assert render('{{ none|date("Y/m/d") }}', none=None) == ""


def test_autoescape_and_safe_html_from_python_helpers():
    html = render("{{ text }}|{{ product_cards([]) }}|{{ review_stars(4) }}", text="<b>&")
    assert html.startswith("&lt;b&gt;&amp;|")
    assert '<span class="stars" aria-hidden="true">★★★★☆</span>' in html


def test_translation_follows_the_active_language():
    with translation.override("ja"):
        assert render('{{ _("Add to cart") }} {{ item_count(3) }}') == "カートに入れる 3件"
    with translation.override("en"):
        assert render('{{ _("Add to cart") }} {{ item_count(1) }}') == "Add to cart 1 item"


def test_literal_texts_are_translated_once_per_language_when_compiled():
    """shop.jinja_env.TranslatedTexts: each language compiles its own copy, with the translated text as a constant."""
    backend = engines["jinja2"]
    source = '{{ _("Add to cart") }}|{{ _(label) }}|{{ _("<b>&") }}|{{ tools._("Cart") }}'
    context = {"label": "Cart", "tools": {"_": lambda text: f"called {text}"}}
    with translation.override("ja"):
        assert "カートに入れる" in backend._environment().compile(source, raw=True)
        assert render(source, **context) == "カートに入れる|カート|&lt;b&gt;&amp;|called Cart"
    with translation.override("en"):
        code = backend._environment().compile(source, raw=True)
        assert "Add to cart" in code and "カート" not in code
        assert render(source, **context) == "Add to cart|Cart|&lt;b&gt;&amp;|called Cart"
    with translation.override(None):  # no language: the configured environment, where _() is a call
        assert backend._environment() is backend.env
        assert render(source, **context) == "Add to cart|Cart|&lt;b&gt;&amp;|called Cart"


def _normalised(html: str) -> str:
    html = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1TOKEN", html)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_two_base_templates_render_alike(rf, signed_in):
    """jinja_templates/base.html is a twin of templates/base.html: a page of either engine gets the same frame."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    from tests.factories import UserFactory

    request = rf.get("/products/", {"q": "<ニット>"})
    request.user = UserFactory() if signed_in else AnonymousUser()
    request.session = SessionStore()
    page = '{% extends "base.html" %}{% block title %}T{% endblock %}{% block content %}<p>x</p>{% endblock %}'
    with translation.override("ja"):
        django = engines["django"].from_string(page).render({}, request)
        jinja = engines["jinja2"].from_string(page).render({}, request)
    assert "<p>x</p>" in jinja and "site-header" in jinja and "site-footer" in jinja and "&lt;ニット&gt;" in jinja
    assert _normalised(jinja) == _normalised(django)


def test_static_urls_are_djangos_and_follow_static_url(settings):
    from django.templatetags.static import static

    from shop.jinja_env import static_url

    assert static_url("shop/shop.css") == static("shop/shop.css")
    settings.STATIC_URL = "/assets/"
    assert static_url("shop/shop.css") == static("shop/shop.css")
    assert static_url("shop/shop.css").startswith("/assets/")


@pytest.mark.parametrize("length", [1, 3, 4, 5, 120])
@pytest.mark.parametrize(
    "text",
    ["", "abc", "abcd", "春色リップ。毎日", "か\u3099き\u3099", "e\u0301te\u0301", "<b>x</b>", "長" * 200, 12345],
)
def test_truncatechars_gives_what_django_s_filter_gives(text, length):
    """The short cut for short texts (shop.jinja_env.truncatechars_filter) changes nothing: decomposed text, which
    Django normalises, and texts at, under and over the length."""
    assert truncatechars_filter(text, length) == truncatechars(text, length)
