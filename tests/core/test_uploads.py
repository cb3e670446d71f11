"""User image uploads: size, format (by content, not name), decompression bombs, EXIF/GPS stripped; never a 500."""

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image

from shop.accounts import privacy_services
from shop.core import uploads
from tests.factories import UserFactory


def _jpeg(size=(40, 20), **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(out, format="JPEG", **save_options)
    return out.getvalue()


def _jpeg_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # taken with the phone turned: shown rotated 90° clockwise
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 39.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 42.0, 10.0)
    data = _jpeg(size=(40, 20), exif=exif)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really has GPS
    return data


def _bomb_png() -> bytes:
    """A 20,000 x 20,000 PNG: a few dozen kilobytes on disk, 400 million pixels once decoded."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _upload(data: bytes, name: str, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _code(data: bytes, name: str) -> str:
    with pytest.raises(ValidationError) as caught:
        uploads.image_upload_clean(file=_upload(data, name))
    return caught.value.code


# --- the processor --------------------------------------------------------------------------------------------


def test_decompression_bomb_is_refused_before_decoding():
    data = _bomb_png()
    assert len(data) < 1024 * 1024
    assert _code(data, "huge.png") == "too_many_pixels"


def test_pixel_limit_below_pillows_own_limit(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 500)
    assert _code(_jpeg(size=(40, 20)), "photo.jpg") == "too_many_pixels"


def test_non_image_renamed_jpg_is_refused():
    assert _code(b"%PDF-1.4 this is not a photo\n" * 100, "photo.jpg") == "not_image"


def test_other_image_formats_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    assert _code(out.getvalue(), "photo.jpg") == "not_image"


def test_truncated_image_is_refused():
    data = _jpeg(size=(400, 300))
    assert _code(data[: len(data) // 2], "photo.jpg") == "broken"


def test_file_over_10_mb_is_refused():
    assert _code(os.urandom(11 * 1024 * 1024), "photo.jpg") == "too_large"


def test_exif_and_gps_are_stripped_and_orientation_applied():
    cleaned = uploads.image_upload_clean(file=_upload(_jpeg_with_gps_and_rotation(), "IMG_0001.jpg"))
    data = cleaned.read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (20, 40)  # turned upright
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"PhoneMaker" not in data
    assert cleaned.name.endswith(".jpg") and "IMG_0001" not in cleaned.name


def test_large_images_are_scaled_down_and_transparency_kept_as_webp():
    out = io.BytesIO()
    Image.new("RGBA", (4000, 1000), (0, 0, 0, 0)).save(out, format="PNG")
    cleaned = uploads.image_upload_clean(file=_upload(out.getvalue(), "sticker.png", "image/png"))
    image = Image.open(io.BytesIO(cleaned.read()))
    assert image.format == "WEBP"
    assert image.size == (uploads.MAX_EDGE, uploads.MAX_EDGE // 4)
    assert image.mode == "RGBA"


# --- through the avatar form: a message on the page, the user unchanged -------------------------------------------


@pytest.fixture
def signed_in(client, db):
    user = UserFactory(display_name="はなこ")
    privacy_services.legal_accept_current(user=user)  # as sign-up does, so the profile page is not gated
    client.force_login(user)
    return client, user


def _post_avatar(client, data: bytes, name: str, content_type="image/jpeg"):
    return client.post(
        reverse("accounts:profile"),
        {"display_name": "変更後", "avatar": _upload(data, name, content_type)},
    )


@pytest.mark.parametrize(
    ("make", "name", "code"),
    [
        (_bomb_png, "huge.png", "too_many_pixels"),
        (lambda: b"MZ\x90\x00 not an image at all" * 50, "photo.jpg", "not_image"),
        (lambda: os.urandom(11 * 1024 * 1024), "photo.jpg", "too_large"),
    ],
    ids=["20000x20000-png", "non-image-renamed-jpg", "11-mb"],
)
def test_bad_avatar_upload_shows_a_message_and_changes_nothing(signed_in, make, name, code):
    client, user = signed_in
    response = _post_avatar(client, make(), name)

    assert response.status_code == 200
    with translation.override("ja"):
        message = str(uploads.MESSAGES[code])
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "はなこ"
    assert not user.avatar


def test_avatar_is_stored_without_exif(signed_in, settings):
    client, user = signed_in
    response = _post_avatar(client, _jpeg_with_gps_and_rotation(), "IMG_0001.jpg")

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.avatar.name.startswith("avatars/") and user.avatar.name.endswith(".jpg")
    stored = user.avatar.open("rb").read()
    image = Image.open(io.BytesIO(stored))
    assert image.size == (20, 40)
    assert not image.getexif()
    assert b"PhoneMaker" not in stored


def test_replacing_and_removing_the_avatar_deletes_the_old_file(signed_in, django_capture_on_commit_callbacks):
    client, user = signed_in
    _post_avatar(client, _jpeg(), "a.jpg")
    user.refresh_from_db()
    first = user.avatar.name
    storage = user.avatar.storage

    with django_capture_on_commit_callbacks(execute=True):
        _post_avatar(client, _jpeg(size=(30, 30)), "b.jpg")
    user.refresh_from_db()
    assert user.avatar.name != first
    assert not storage.exists(first)

    second = user.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:profile"), {"display_name": "はなこ", "avatar-clear": "on"})
    user.refresh_from_db()
    assert not user.avatar
    assert not storage.exists(second)
