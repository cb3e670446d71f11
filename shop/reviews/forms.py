from django import forms
from django.utils.translation import gettext_lazy as _

from shop.core.uploads import UserImageField

from .models import MAX_PHOTOS

RATING_CHOICES = [(n, "★" * n + "☆" * (5 - n)) for n in range(5, 0, -1)]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(label=_("Review"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
    photo_1 = UserImageField(label=_("Photo 1"), required=False)
    photo_2 = UserImageField(label=_("Photo 2"), required=False)
    photo_3 = UserImageField(label=_("Photo 3"), required=False)
    photo_4 = UserImageField(label=_("Photo 4"), required=False)
    remove_photos = forms.MultipleChoiceField(
        label=_("Remove photos"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, existing_photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_photos = list(existing_photos)
        self.fields["remove_photos"].choices = [(str(p.pk), p.image.name) for p in self.existing_photos]
        if not self.existing_photos:
            del self.fields["remove_photos"]

    def clean(self):
        data = super().clean()
        new = [data[name] for name in ("photo_1", "photo_2", "photo_3", "photo_4") if data.get(name)]
        removed = [int(pk) for pk in data.get("remove_photos", [])]
        if len(self.existing_photos) - len(removed) + len(new) > MAX_PHOTOS:
            raise forms.ValidationError(_("You can add up to %(max)d photos.") % {"max": MAX_PHOTOS})
        data["new_photos"] = new
        data["remove_photo_ids"] = removed
        return data
