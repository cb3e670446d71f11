import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from shop.core.money import Money, tax_included_label


def test_format_jpy_has_no_decimals_and_groups_thousands():
    assert Money(1980).format() == "¥1,980"
    assert Money(1234567).format() == "¥1,234,567"
    assert Money(-500).format() == "-¥500"


def test_format_minor_unit_currency():
    assert Money(1999, "USD").format() == "$19.99"
    assert Money(1999, "USD").as_decimal_string() == "19.99"


def test_tax_included_label_follows_language():
    with translation.override("ja"):
        assert Money(1980).format_tax_included() == "¥1,980（税込）"
    with translation.override("en"):
        assert Money(1980).format_tax_included() == "¥1,980 (tax incl.)"
        label = tax_included_label()  # looked up once for many prices
        assert Money(1980).format_tax_included(label) == "¥1,980 (tax incl.)"


def test_rejects_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(19.8)
    with pytest.raises(ValueError):
        Money(100) + Money(100, "USD")
    with pytest.raises(ValueError):
        Money(1, "XXX")


@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), max_size=50))
def test_sum_equals_integer_sum(amounts):
    assert Money.sum(Money(a) for a in amounts).amount == sum(amounts)
