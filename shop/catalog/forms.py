from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import ProductFilters

MAX_PRICE = 10_000_000


SORT_CHOICES = [
    ("newest", _("Newest")),
    ("popular", _("Most popular")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
    ("relevance", _("Best match")),
]
SORT_VALUES = frozenset(value for value, _label in SORT_CHOICES)


class FacetField(forms.MultipleChoiceField):
    """Values to pick from the listing's facets (sizes, colours), given per form as the tuple `values` rather than as
    Django's choices, which every form normalises and deep-copies (a listing makes a form on every view)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.values = ()

    def valid_value(self, value):
        return value in self.values


class ProductFilterForm(forms.Form):
    """Reads listing filters from the query string. Invalid values are reported and ignored, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    price_min = forms.IntegerField(label=_("Min price"), required=False, min_value=0, max_value=MAX_PRICE)
    price_max = forms.IntegerField(label=_("Max price"), required=False, min_value=0, max_value=MAX_PRICE)
    size = FacetField(label=_("Size"), required=False)
    colour = FacetField(label=_("Colour"), required=False)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    # One of SORT_CHOICES (checked in clean_sort: a ChoiceField would copy its choices with every form).
    sort = forms.CharField(label=_("Sort"), required=False)
    sort_choices = SORT_CHOICES

    def __init__(self, *args, sizes=(), colours=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["size"].values = tuple(sizes)
        self.fields["colour"].values = tuple(colours)

    def clean_sort(self):
        sort = self.cleaned_data["sort"]
        if sort and sort not in SORT_VALUES:
            raise forms.ValidationError(
                forms.ChoiceField.default_error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": sort},
            )
        return sort

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The maximum price must be at least the minimum price."))
        return data

    def to_filters(self, *, category=None, category_ids=()) -> ProductFilters:
        """Filters from the valid fields only; a field with an error is left out."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        valid = {name: value for name, value in data.items() if name not in self.errors}
        default_sort = "relevance" if valid.get("q") else "newest"
        return ProductFilters(
            q=valid.get("q") or "",
            category=category,
            category_ids=tuple(category_ids),
            price_min=valid.get("price_min"),
            price_max=valid.get("price_max"),
            sizes=tuple(valid.get("size") or ()),
            colours=tuple(valid.get("colour") or ()),
            in_stock=bool(valid.get("in_stock")),
            sort=valid.get("sort") or default_sort,
        )
