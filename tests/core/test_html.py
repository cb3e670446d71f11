"""shop.core.html gives exactly what Django's format_html and format_html_join give."""

from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override
from hypothesis import given
from hypothesis import strategies as st

from shop.core import html

VALUES = st.one_of(
    st.text(),
    st.text(alphabet="<>&'\"a ").map(mark_safe),
    st.integers(),
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@given(st.lists(VALUES, min_size=1, max_size=4))
def test_format_html_escapes_as_django_does(values):
    template = "<p>" + "|".join("{}" for _ in values) + "</p>"
    ours = html.format_html(template, *values)
    assert ours == django_html.format_html(template, *values)
    assert isinstance(ours, SafeString)


@given(st.lists(st.tuples(VALUES, VALUES), max_size=4), st.sampled_from(["", ", ", "<br>", mark_safe("<br>")]))
def test_format_html_join_joins_as_django_does(rows, separator):
    ours = html.format_html_join(separator, '<li title="{}">{}</li>', rows)
    assert ours == django_html.format_html_join(separator, '<li title="{}">{}</li>', rows)
    assert isinstance(ours, SafeString)


def test_named_fields_mappings_and_lazy_translations():
    with override("ja"):
        label = gettext_lazy("Add to cart")
        assert html.format_html('<a href="{url}">{label}</a>', url="/p/?a=1&b='2'", label=label) == (
            django_html.format_html('<a href="{url}">{label}</a>', url="/p/?a=1&b='2'", label=label)
        )
        assert "&amp;b=&#x27;2&#x27;" in html.format_html("{}", "&b='2'")
    rows = [{"name": "<b>", "n": 1}, {"name": mark_safe("<i>ok</i>"), "n": 2}]
    assert html.format_html_join("", "<dt>{name}</dt><dd>{n}</dd>", rows) == django_html.format_html_join(
        "", "<dt>{name}</dt><dd>{n}</dd>", rows
    )


def test_csrf_input_is_what_djangos_csrf_token_tag_renders():
    from django.template import Context, Template

    tag = Template("{% csrf_token %}")
    for token in ("abcDEF123", 'a"<b>&', "NOTPROVIDED", "", None):
        assert html.csrf_input(token) == tag.render(Context({"csrf_token": token})), token
