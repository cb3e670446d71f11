"""The one place that adds and formats money.

Amounts are integers in the currency's minor unit (JPY has none, so ¥1,980 is 1980). Never float.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

# ISO 4217 minor-unit exponents of the currencies the shop can show.
_EXPONENT = {"JPY": 0, "USD": 2, "EUR": 2}
_SYMBOL = {"JPY": "¥", "USD": "$", "EUR": "€"}


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str = "JPY"

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int in minor units")
        if self.currency not in _EXPONENT:
            raise ValueError(f"Unsupported currency {self.currency!r}")

    def __add__(self, other: "Money") -> "Money":
        self._check_same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._check_same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, times: int) -> "Money":
        if not isinstance(times, int):
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.amount * times, self.currency)

    __rmul__ = __mul__

    def _check_same_currency(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError("Cannot combine money in different currencies")

    @classmethod
    def zero(cls, currency: str = "JPY") -> "Money":
        return cls(0, currency)

    @classmethod
    def sum(cls, items, currency: str = "JPY") -> "Money":
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    def format(self) -> str:
        """ "¥1,980" (no tax label)."""
        exponent = _EXPONENT[self.currency]
        sign = "-" if self.amount < 0 else ""
        value = abs(self.amount)
        if exponent:
            whole, fraction = divmod(value, 10**exponent)
            number = f"{whole:,}.{fraction:0{exponent}d}"
        else:
            number = f"{value:,}"
        return f"{sign}{_SYMBOL[self.currency]}{number}"

    def format_tax_included(self, label: str = "") -> str:
        """Japan's total-price display rule (総額表示): "¥1,980（税込）". A page formatting many prices passes
        `label=tax_included_label()`, looked up once."""
        return (label or tax_included_label()) % {"price": self.format()}

    def __str__(self) -> str:
        return self.format()

    def as_decimal_string(self) -> str:
        """For machine-readable markup (JSON-LD, Open Graph): "1980" or "19.80"."""
        exponent = _EXPONENT[self.currency]
        if not exponent:
            return str(self.amount)
        whole, fraction = divmod(self.amount, 10**exponent)
        return f"{whole}.{fraction:0{exponent}d}"


def tax_included_label() -> str:
    """The current language's "%(price)s (tax incl.)", for Money.format_tax_included."""
    return _("%(price)s (tax incl.)")


def money_property(field: str, *, currency_from: str = "currency") -> property:
    """A read-only Money view of an integer amount field: `total_money = money_property("total")`."""
    return property(lambda obj: Money(getattr(obj, field), getattr(obj, currency_from)))
