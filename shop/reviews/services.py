"""Writes for reviews: saving a review (with photos), helpful votes, moderation and the review request."""

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop.catalog.models import Product
from shop.core.spam import spam_check
from shop.notifications.services import notification_enqueue
from shop.orders.emails import order_context, order_language, site_url
from shop.orders.models import Order

from . import selectors, signals
from .exceptions import ReviewError
from .links import review_request_path
from .models import MAX_PHOTOS, Review, ReviewPhoto, ReviewRequest, ReviewRequestItem, ReviewVote


def review_save(
    *,
    user,
    product,
    rating: int,
    title: str,
    body: str,
    new_photos: list[ContentFile] = (),
    remove_photo_ids: list[int] = (),
    request_item: ReviewRequestItem | None = None,
) -> Review:
    """Create the user's review of the product, or update it (one per user and product).

    Moderation: a verified buyer's review is published at once, anyone else's waits for staff (pending). An edit
    goes through the same rule again, except that a review staff hid stays hidden.
    """
    refusal = selectors.review_write_refusal(user=user)
    if refusal:
        raise ReviewError(refusal)
    if rating not in range(1, 6):
        raise ReviewError(_("Please choose a rating from 1 to 5 stars."))
    verified = selectors.user_bought_product(user=user, product_id=product.pk)
    # A review the spam filter holds waits for staff like an unverified one.
    verdict = spam_check(kind="review", text=f"{title}\n{body}", email=user.email, user_id=user.pk)
    held = verdict.held
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(user=user, product=product).first()
        if review is None:
            try:
                with transaction.atomic():
                    review = Review.objects.create(user=user, product=product, rating=rating, title=title, body=body)
            except IntegrityError:
                # A double submit created it a moment ago: edit that one instead.
                review = Review.objects.select_for_update().get(user=user, product=product)
        review.rating, review.title, review.body = rating, title, body
        review.verified_purchase = verified
        review.held_reason = " / ".join(verdict.reasons)[:300]
        was_published = review.status == Review.Status.PUBLISHED
        if review.status != Review.Status.HIDDEN:
            review.status = Review.Status.PUBLISHED if verified and not held else Review.Status.PENDING
        review.save()
        if remove_photo_ids:
            for photo in review.photos.filter(pk__in=list(remove_photo_ids)):
                photo.image.delete(save=False)
                photo.delete()
        kept = review.photos.count()
        if kept + len(new_photos) > MAX_PHOTOS:
            raise ReviewError(_("You can add up to %(max)d photos.") % {"max": MAX_PHOTOS})
        for position, content in enumerate(new_photos, start=kept):
            ReviewPhoto.objects.create(review=review, image=content, position=position)
        if request_item is not None:
            ReviewRequestItem.objects.filter(pk=request_item.pk, used_at__isnull=True).update(used_at=timezone.now())
        # Sent on every save of a published review: an edit may add or remove its photos.
        if review.status == Review.Status.PUBLISHED:
            _send_on_commit(signals.review_published, [review.pk])
        elif was_published:
            _send_on_commit(signals.review_hidden, [review.pk])
    return review


def _send_on_commit(signal, review_ids: list[int]) -> None:
    def send():
        for review_id in review_ids:
            signal.send(sender=Review, review_id=review_id)

    transaction.on_commit(send)


def review_vote_helpful(*, user, review_id: int) -> tuple[Review, bool]:
    """Count the user's "helpful" vote once. Returns the review (fresh count) and whether this call counted."""
    if user is None or not user.is_authenticated:
        raise ReviewError(_("Please sign in to vote."))
    review = selectors.review_get_published(review_id=review_id)
    if review is None:
        raise ReviewError(_("This review is not available."))
    if review.user_id == user.pk:
        raise ReviewError(_("You cannot vote for your own review."))
    created = False
    try:
        with transaction.atomic():
            _vote, created = ReviewVote.objects.get_or_create(review=review, user=user)
            if created:
                Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    except IntegrityError:
        # Another request inserted the same vote between our read and our insert: it already counted.
        created = False
    review.refresh_from_db(fields=["helpful_count"])
    return review, created


def review_moderate(*, review_ids, action: str) -> int:
    """Staff actions from admin: publish, hide, feature, unfeature. Returns how many reviews changed."""
    changes = {
        "publish": {"status": Review.Status.PUBLISHED},
        "hide": {"status": Review.Status.HIDDEN, "is_featured": False},
        "feature": {"is_featured": True, "status": Review.Status.PUBLISHED},
        "unfeature": {"is_featured": False},
    }[action]
    review_ids = list(review_ids)
    with transaction.atomic():
        count = Review.objects.filter(pk__in=review_ids).update(**changes, updated_at=timezone.now())
        # update() sends no post_save: the products' stars are counted again here.
        product_ids = Review.objects.filter(pk__in=review_ids).values_list("product_id", flat=True).distinct()
        for product_id in sorted(product_ids):
            product_rating_refresh(product_id=product_id)
        if changes.get("status") == Review.Status.PUBLISHED:
            _send_on_commit(signals.review_published, review_ids)
        elif changes.get("status") == Review.Status.HIDDEN:
            _send_on_commit(signals.review_hidden, review_ids)
    return count


def product_rating_refresh(*, product_id: int) -> None:
    """Count the product's published reviews again into its stored figures (Product.review_count, rating_average,
    rating_counts), which cards and the product page show. Runs on every save or delete of a review (receivers)
    and after moderation."""
    with transaction.atomic():
        # The product row is locked before counting: of two reviews of one product saved at the same moment, the
        # second counts after the first committed (each statement sees what is committed), so none is missed.
        if not Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True):
            return  # being deleted
        Product.objects.filter(pk=product_id).update(**selectors.rating_figures(product_id=product_id))


def product_ratings_rebuild() -> int:
    """Count every product's stored review figures again (`manage.py reviews_ratings_rebuild`, after reviews were
    loaded around the ORM). Returns how many products have published reviews."""
    with_reviews = set(Review.objects.filter(status=Review.Status.PUBLISHED).values_list("product_id", flat=True))
    with_figures = set(Product.objects.filter(review_count__gt=0).values_list("pk", flat=True))
    for product_id in sorted(with_reviews | with_figures):
        product_rating_refresh(product_id=product_id)
    return len(with_reviews)


def review_request_send(*, order_id: int) -> bool:
    """Send the buyer of a delivered order one link per product to review it (outbox: e-mail, and LINE when linked).
    Once per order; True if written now.

    The ReviewRequest row is created in the same transaction as the outbox rows: a second delivery of the task finds
    it (the order row is locked, so two at once cannot both miss it).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, delivered_at__isnull=False).first()
        if order is None or ReviewRequest.objects.filter(order=order).exists():
            return False
        product_ids = list(
            dict.fromkeys(
                order.lines.filter(variant__isnull=False).order_by("id").values_list("variant__product_id", flat=True)
            )
        )
        if not product_ids:
            return False
        request = ReviewRequest.objects.create(order=order)
        items = [ReviewRequestItem.objects.create(request=request, product_id=pk) for pk in product_ids]
        notification_enqueue(
            kind="review_request",
            user=order.user,
            email=order.email,
            context=_review_request_context(order=order, items=items),
            dedupe_key=f"review_request:{order.pk}",
            source=f"order:{order.number}",
        )
    return True


def _review_request_context(*, order: Order, items: list[ReviewRequestItem]) -> dict:
    language = order_language(order)
    with translation.override(language):
        links = [{"name": item.product.name, "url": site_url(review_request_path(item_id=item.pk))} for item in items]
        return {
            **order_context(order),
            "language": language,
            "customer_name": order.ship_name,
            "order_number": order.number,
            "items": links,
            # One item: LINE shows it as a card with the button; several are listed in the text.
            "line_card": {"title": links[0]["name"], "button_label": _("Write a review"), "button_url": links[0]["url"]}
            if len(links) == 1
            else None,
        }
