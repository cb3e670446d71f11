"""Signed review-request links: they work on any device (after sign-in) and are spent when a review is saved."""

from django.core import signing
from django.urls import reverse

_SALT = "shop.reviews.request"
MAX_AGE_SECONDS = 180 * 24 * 3600


def review_request_token(*, item_id: int) -> str:
    return signing.dumps(item_id, salt=_SALT, compress=True)


def review_request_item_id(*, token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def review_request_path(*, item_id: int) -> str:
    return reverse("reviews:request", kwargs={"token": review_request_token(item_id=item_id)})
