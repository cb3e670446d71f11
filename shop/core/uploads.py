"""Images people upload (avatars; review and post photos later): checked, then re-encoded so that nothing of the
original file is kept but its pixels.

The checks run cheapest first and never trust the file name or the browser's content type: the size in bytes, then
the format and pixel count read from the header (before any pixel is decoded, against decompression bombs), then a
full decode. The result is a fresh JPEG (or WebP when the image has transparency) without EXIF, GPS or other
metadata, turned upright and at most MAX_EDGE pixels on its longest edge, under a random file name.
"""

import io
import uuid
import warnings

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_EDGE = 2048
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"

MESSAGES = {
    "too_large": _("The file is too large. Please choose an image of 10 MB or less."),
    "not_image": _("This file is not an image we can use. Please choose a JPEG, PNG or WebP photo."),
    "too_many_pixels": _("The image is too large (too many pixels). Please choose a smaller photo."),
    "broken": _("The image could not be read; it may be damaged. Please try another photo."),
}


def _error(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    return size


def image_upload_clean(*, file, max_edge: int = MAX_EDGE) -> ContentFile:
    """Returns the re-encoded image as a ContentFile; raises ValidationError (with a message for the user) otherwise."""
    if _size(file) > MAX_UPLOAD_BYTES:
        raise _error("too_large")
    file.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; treat the warning as the error it is here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Image.open reads the header only: format and size are known before any pixel is decoded.
            image = Image.open(file, formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _error("too_many_pixels")
        except UnidentifiedImageError:
            raise _error("not_image")
        except Exception:  # noqa: BLE001 - hostile headers make Pillow raise almost anything; never a 500
            raise _error("not_image")
        with image:
            width, height = image.size
            if width < 1 or height < 1:
                raise _error("not_image")
            if width * height > MAX_PIXELS:
                raise _error("too_many_pixels")
            try:
                image.load()
                image = ImageOps.exif_transpose(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _error("too_many_pixels")
            except Exception:  # noqa: BLE001 - truncated or hostile data: any decoder error means "cannot use it"
                raise _error("broken")
            return _reencode(image, max_edge=max_edge)


def _reencode(image: Image.Image, *, max_edge: int) -> ContentFile:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    icc_profile = image.info.get("icc_profile")
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
    # No metadata is carried over: EXIF (GPS, camera serial), XMP and comments stay behind. The colour profile is
    # kept so colours do not shift; it says nothing about the person.
    image.info = {}
    options = {"icc_profile": icc_profile} if icc_profile else {}
    out = io.BytesIO()
    if has_alpha:
        image.save(out, format="WEBP", quality=85, method=4, **options)
        extension = "webp"
    else:
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True, **options)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


class UserImageField(forms.FileField):
    """A form field for a person's photo: cleans to the re-encoded ContentFile (or the form's usual initial/False)."""

    default_error_messages = {**forms.FileField.default_error_messages, "invalid": MESSAGES["not_image"]}

    def __init__(self, *, max_edge: int = MAX_EDGE, **kwargs):
        self.max_edge = max_edge
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, UploadedFile) and data.size is not None and data.size > MAX_UPLOAD_BYTES:
            # Before FileField's own checks, so a huge file gets the size message rather than a generic one.
            raise _error("too_large")
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            return image_upload_clean(file=value, max_edge=self.max_edge)
        return value
