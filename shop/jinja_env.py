"""The Jinja2 environment of the pages shoppers open most (the product list, search, categories, the product page,
the feed).

Why a second engine: on those pages Django's template engine was about half the CPU of a request, spread over a few
hundred small nodes (every variable, `{% translate %}` and `{% if %}` resolved and rendered one by one). Jinja2
compiles a template to Python code once; the product page costs about a quarter less CPU, the listing a sixth (see
the README's Performance section). Every other page, the e-mails and the admin stay Django templates in
`templates/`; these live in `jinja_templates/` (TEMPLATES lists the Django engine first; no name is in both).

The templates call the same Python as their Django counterparts: the tags below come from the apps' template tag
libraries (this module, like `shop.urls`, sits above the layers), and small Django partials that other pages share
(the members-only sale notes) are rendered by `django_include` rather than copied.

Translations: write `{{ _("Text") }}` and `{{ _("Hello %(name)s")|format(name=...) }}`. `makemessages` reads these
files with Django's template lexer, which extracts exactly that form (`_("...")` as a whole variable, before any
filter), and the msgids are the ones `{% translate %}` / `{% blocktranslate %}` produce, so the catalogue is shared.
Plurals are Python functions (e.g. `catalog_tags.item_count`), where `makemessages` finds the `ngettext` call.

Each language has its own compiled copy of every template (`Jinja2`, the backend in TEMPLATES), in which a `_("Text")`
of a literal text is already the translation (`TranslatedTexts`): a product page has about forty of them, and each
was a call, a catalogue lookup and an escape on every view.
"""

import functools
import unicodedata

import jinja2
from django.conf import settings
from django.template import Context, TemplateDoesNotExist, engines
from django.template.backends import jinja2 as django_jinja2
from django.template.defaultfilters import linebreaks_filter, truncatechars
from django.templatetags.static import static
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, override
from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token

from shop.catalog.templatetags import catalog_tags
from shop.core.links import reverse_cached
from shop.core.money import tax_included_label
from shop.core.templatetags import shop_tags, site_tags
from shop.dashboard.templatetags import dashboard_analytics
from shop.reviews.templatetags import reviews_tags
from social.perks.templatetags import perks_tags
from social.recommend.templatetags import recommend_tags
from social.shares.templatetags import shares_tags
from social.templatetags import feed_tags, social_tags


def date(value, format_string: str) -> str:
    """Django's `date` filter, in the current time zone as Django templates show datetimes."""
    if value in (None, ""):
        return ""
    return formats.date_format(timezone.template_localtime(value), format_string)


def truncatechars_filter(value, length: int) -> str:
    """Django's `truncatechars`, with a short cut for a text that is short enough already (and in NFC, as Django
    gives it): returned as it is, without Django's pass over every character (a product page cuts its description
    twice)."""
    text = str(value)
    if len(text) <= int(length) and unicodedata.is_normalized("NFC", text):
        return text
    return truncatechars(text, length)


@functools.lru_cache(maxsize=256)
def _static_url(path: str, static_url: str) -> str:
    return static(path)  # static_url is only part of the key: a changed STATIC_URL gets new entries


def static_url(path: str) -> str:
    """Django's `static`, remembered per path (the manifest does not change while a process runs; a deploy restarts
    it): every page asks for the same five files, each a manifest lookup, a quote and a join."""
    return _static_url(path, settings.STATIC_URL)


@pass_context
def django_include(context, template_name: str, **extra):
    """A Django template rendered with this page's variables (and `extra`): for partials Django pages include too."""
    template = engines["django"].engine.get_template(template_name)
    return mark_safe(template.render(Context({**context.get_all(), **extra}, autoescape=True)))  # noqa: S308


def _with_context(function):
    """A Django `takes_context` tag as a Jinja2 global: both contexts answer `context["name"]` and `.get()`."""
    return pass_context(lambda context, *args, **kwargs: function(context, *args, **kwargs))


def _inclusion(function, template_name: str):
    """A Django inclusion tag (taking the context) as a Jinja2 global: `function` makes the variables of the Jinja2
    template `template_name`, rendered in the page's own environment (its language)."""

    @pass_context
    def render(context, *args, **kwargs):
        data = function(context, *args, **kwargs)
        data.setdefault("csrf_token", context.get("csrf_token"))
        return mark_safe(context.environment.get_template(template_name).render(data))  # noqa: S308 - its output

    return render


class _Environment(Environment):
    def make_globals(self, d):
        """Each template's globals as a plain dict, rather than Jinja2's ChainMap over the environment's: every render
        copies them into its context (twice), and going through a ChainMap of fifty names cost a product page (three
        templates rendered) about 3% of its instructions. The environment's globals are all set by environment() below,
        before any template is loaded."""
        return {**self.globals, **(d or {})}


def environment(**options) -> Environment:
    env = _Environment(autoescape=options.pop("autoescape", True), **options)
    env.globals.update(
        _=gettext,
        get_language=get_language,
        url=reverse_cached,
        static=static_url,
        django_include=django_include,
        analytics_tag=_with_context(dashboard_analytics.analytics_tag),
        site_header=_with_context(site_tags.site_header),
        site_footer=_with_context(site_tags.site_footer),
        cookie_banner=_with_context(site_tags.cookie_banner),
        absolute_url=_with_context(shop_tags.absolute_url),
        query_with=_with_context(shop_tags.query_with),
        product_cards=catalog_tags.product_cards,
        product_img=catalog_tags.product_img,
        og_image_url=catalog_tags.og_image_url,
        item_count=catalog_tags.item_count,
        stock_left=catalog_tags.stock_left,
        variant_choices=catalog_tags.variant_choices,
        tax_included_label=tax_included_label,
        review_stars=reviews_tags.review_stars,
        review_count=reviews_tags.review_count,
        review_items=reviews_tags.review_items,
        star_count=reviews_tags.star_count,
        review_count_short=reviews_tags.review_count_short,
        product_reviews=_inclusion(reviews_tags.product_reviews, "reviews/_section.html"),
        perk_badges=_with_context(perks_tags.perk_badges),
        product_access=_with_context(perks_tags.product_access),
        product_viewer=_with_context(social_tags.product_viewer),
        product_social=_with_context(social_tags.product_social),
        share_buttons=_with_context(shares_tags.share_buttons),
        recommend_block=recommend_tags.recommend_block,
        post_cards=_with_context(feed_tags.post_cards),
    )
    env.filters.update(
        date=date,
        json_ld=shop_tags.json_ld,
        linebreaks=linebreaks_filter,
        media_url=reviews_tags.media_url,
        person_name=social_tags.person_name,
        author_name=social_tags.author_name,
        truncatechars=truncatechars_filter,
    )
    return env


class TranslatedTexts(Extension):
    """`_("Text")` of a literal text, in a template compiled for one language (`Jinja2`), becomes that language's
    text when the template is compiled; `_()` of anything else stays a call. Compiled templates then hold the
    translated, escaped text as a constant, as if it had been written in the template."""

    def filter_stream(self, stream):
        tokens = list(stream)
        with override(self.environment.shop_language):
            index = 0
            while index < len(tokens):
                token = tokens[index]
                call = [t.type for t in tokens[index + 1 : index + 4]]
                after_dot = index > 0 and tokens[index - 1].type == "dot"
                if token.test("name:_") and call == ["lparen", "string", "rparen"] and not after_dot:
                    yield Token(token.lineno, "string", gettext(tokens[index + 2].value))
                    index += 4
                else:
                    yield token
                    index += 1


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend with one environment per language (`TranslatedTexts`): each an overlay of the
    configured one, sharing its globals, filters and loader, with its own cache of compiled templates. With no
    language active, the configured environment, where `_()` is a call."""

    def __init__(self, params):
        super().__init__(params)
        self._by_language: dict[str, Environment] = {}

    def _environment(self) -> Environment:
        language = get_language()
        if language is None:
            return self.env
        env = self._by_language.get(language)
        if env is None:
            env = self.env.overlay(extensions=[TranslatedTexts], cache_size=400)  # Jinja2's default size
            env.shop_language = language
            self._by_language[language] = env
        return env

    def from_string(self, template_code):
        return django_jinja2.Template(self._environment().from_string(template_code), self)

    def get_template(self, template_name):
        try:
            return django_jinja2.Template(self._environment().get_template(template_name), self)
        except jinja2.TemplateNotFound as exc:
            raise TemplateDoesNotExist(exc.name, backend=self) from exc
        except jinja2.TemplateSyntaxError as exc:
            error = django_jinja2.TemplateSyntaxError(exc.args)
            error.template_debug = django_jinja2.get_exception_info(exc)
            raise error from exc
