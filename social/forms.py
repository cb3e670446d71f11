from django import forms
from django.utils.translation import gettext_lazy as _

from shop.core.uploads import UserImageField

from .models import MAX_PRODUCT_TAGS, Post, Report


class PostForm(forms.Form):
    body = forms.CharField(label=_("Text"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    photo1 = UserImageField(label=_("Photo 1"), required=False)
    photo2 = UserImageField(label=_("Photo 2"), required=False)
    photo3 = UserImageField(label=_("Photo 3"), required=False)
    photo4 = UserImageField(label=_("Photo 4"), required=False)
    products = forms.TypedMultipleChoiceField(
        label=_("Tag products"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, product_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = product_choices

    def clean_products(self):
        products = self.cleaned_data["products"]
        if len(products) > MAX_PRODUCT_TAGS:
            raise forms.ValidationError(_("You can tag up to %(n)s products.") % {"n": MAX_PRODUCT_TAGS})
        return products

    def photos(self) -> list:
        return [self.cleaned_data[f"photo{n}"] for n in range(1, 5) if self.cleaned_data.get(f"photo{n}")]


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class ReportForm(forms.Form):
    post = forms.IntegerField(required=False, min_value=1)
    comment = forms.IntegerField(required=False, min_value=1)
    reason = forms.ChoiceField(label=_("Reason"), choices=Report.Reason.choices)


class OnOffForm(forms.Form):
    on = forms.BooleanField(required=False)


class MarkForm(OnOffForm):
    product = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=[(Post.Kind.WANT, Post.Kind.WANT), (Post.Kind.OWN, Post.Kind.OWN)])
