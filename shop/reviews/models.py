from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.catalog.models import Product
from shop.core.models import TimeStampedModel

MAX_PHOTOS = 4


class Review(TimeStampedModel):
    """A shopper's rating and text for one product; one per user and product (a second visit edits it).

    New reviews by verified buyers are published at once; others wait for staff (see services.review_save).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PUBLISHED = "published", _("Published")
        HIDDEN = "hidden", _("Hidden")

    product = models.ForeignKey(Product, verbose_name=_("product"), related_name="reviews", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), related_name="reviews", on_delete=models.CASCADE
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("review"), max_length=4000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    is_featured = models.BooleanField(_("featured"), default=False)
    verified_purchase = models.BooleanField(_("verified purchase"), default=False)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    held_reason = models.CharField(_("held by the spam filter because"), max_length=300, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["product", "user"], name="review_one_per_user_product"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["product", "status", "rating"]),
            models.Index(fields=["status", "is_featured", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.product} ★{self.rating} {self.title}"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(Review, verbose_name=_("review"), related_name="photos", on_delete=models.CASCADE)
    image = models.ImageField(_("photo"), upload_to="reviews/%Y/%m/")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")

    def __str__(self):
        return self.image.name


class ReviewVote(models.Model):
    """One "helpful" vote per user and review; the unique constraint is what stops double clicks and replays."""

    review = models.ForeignKey(Review, verbose_name=_("review"), related_name="votes", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="+", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="review_vote_one_per_user")]

    def __str__(self):
        return f"{self.user_id} → {self.review_id}"


class ReviewRequest(models.Model):
    """The review-request e-mail of one delivered order; its existence means the e-mail went out (one per order)."""

    order = models.OneToOneField(
        "orders.Order", verbose_name=_("order"), related_name="review_request", on_delete=models.CASCADE
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")

    def __str__(self):
        return str(self.order_id)


class ReviewRequestItem(models.Model):
    """One product of a review request: its signed link works once (until a review is saved through it)."""

    request = models.ForeignKey(
        ReviewRequest, verbose_name=_("review request"), related_name="items", on_delete=models.CASCADE
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), related_name="+", on_delete=models.CASCADE)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review request item")
        verbose_name_plural = _("review request items")
        constraints = [models.UniqueConstraint(fields=["request", "product"], name="review_request_item_unique")]

    def __str__(self):
        return f"{self.request_id}: {self.product_id}"
