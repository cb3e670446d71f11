from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MAX_PHOTOS = 4
MAX_PRODUCT_TAGS = 4


class Post(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        HELD = "held", _("Held for review")
        HIDDEN = "hidden", _("Hidden by staff")
        SCHEDULED = "scheduled", _("Scheduled")

    class Kind(models.TextChoices):
        POST = "post", _("Post")
        WANT = "want", _("Want it")
        OWN = "own", _("Own it")
        REVIEW = "review", _("Product review")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), related_name="posts", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.POST)
    body = models.TextField(_("text"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    # The product a want/own entry is about (one per user, product and kind); tags for ordinary posts are PostProduct.
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
    )
    # A "review" entry shows a published review with photos (one post per review, made by social.receivers).
    review = models.OneToOneField(
        "reviews.Review",
        verbose_name=_("review"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
    )
    is_staff_post = models.BooleanField(_("shop post"), default=False)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True, db_index=True)
    held_reason = models.CharField(_("held because of"), max_length=100, blank=True)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(
                fields=["author", "product", "kind"],
                condition=Q(kind__in=["want", "own"]),
                name="social_post_one_mark_per_product",
            ),
            models.CheckConstraint(
                condition=Q(kind="post") | Q(product__isnull=False), name="social_post_mark_has_product"
            ),
            models.CheckConstraint(
                condition=Q(kind="review", review__isnull=False) | (~Q(kind="review") & Q(review__isnull=True)),
                name="social_post_review_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["author", "-created_at"])]

    def __str__(self):
        return f"#{self.pk} {self.body[:40]}"

    def get_absolute_url(self):
        return reverse("social:post", kwargs={"post_id": self.pk})


class PostPhoto(models.Model):
    post = models.ForeignKey(Post, verbose_name=_("post"), related_name="photos", on_delete=models.CASCADE)
    image = models.ImageField(_("photo"), upload_to="posts/%Y/%m/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("post photo")
        verbose_name_plural = _("post photos")

    def __str__(self):
        return self.image.name


class PostProduct(models.Model):
    post = models.ForeignKey(Post, verbose_name=_("post"), related_name="tags", on_delete=models.CASCADE)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), related_name="+", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("tagged product")
        verbose_name_plural = _("tagged products")
        constraints = [models.UniqueConstraint(fields=["post", "product"], name="social_postproduct_unique")]

    def __str__(self):
        return str(self.product_id)


class Like(models.Model):
    post = models.ForeignKey(Post, verbose_name=_("post"), related_name="likes", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="+", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="social_like_unique")]

    def __str__(self):
        return f"{self.user_id} ♥ {self.post_id}"


class Comment(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("Published")
        HELD = "held", _("Held for review")
        HIDDEN = "hidden", _("Hidden by staff")

    post = models.ForeignKey(Post, verbose_name=_("post"), related_name="comments", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="+", on_delete=models.CASCADE
    )
    # Replies are one level deep: a reply to a reply is attached to the top-level comment by the service.
    parent = models.ForeignKey(
        "self", verbose_name=_("reply to"), null=True, blank=True, related_name="replies", on_delete=models.CASCADE
    )
    body = models.TextField(_("text"), max_length=1000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    held_reason = models.CharField(_("held because of"), max_length=100, blank=True)
    # A client-made token so that a double submit or a replay of the same comment form creates one comment.
    client_token = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_token"], condition=~Q(client_token=""), name="social_comment_token_unique"
            )
        ]

    def __str__(self):
        return self.body[:40]


class Follow(models.Model):
    """followee NULL means the shop itself: following it puts the shop's posts in the "following" tab."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("follower"), related_name="following", on_delete=models.CASCADE
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followed"),
        null=True,
        blank=True,
        related_name="followers",
        on_delete=models.CASCADE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "followee"], condition=Q(followee__isnull=False), name="social_follow_unique"
            ),
            models.UniqueConstraint(
                fields=["follower"], condition=Q(followee__isnull=True), name="social_follow_shop_unique"
            ),
            models.CheckConstraint(condition=~Q(follower=models.F("followee")), name="social_follow_not_self"),
        ]

    def __str__(self):
        return f"{self.follower_id} → {self.followee_id or 'shop'}"


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        ABUSE = "abuse", _("Harassment or hateful content")
        INAPPROPRIATE = "inappropriate", _("Inappropriate content")
        OTHER = "other", _("Other")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), related_name="+", on_delete=models.CASCADE
    )
    post = models.ForeignKey(
        Post, verbose_name=_("post"), null=True, blank=True, related_name="reports", on_delete=models.CASCADE
    )
    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), null=True, blank=True, related_name="reports", on_delete=models.CASCADE
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, default=Reason.OTHER)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False, comment__isnull=True) | Q(post__isnull=True, comment__isnull=False),
                name="social_report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "post"], condition=Q(post__isnull=False), name="social_report_post_unique"
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"], condition=Q(comment__isnull=False), name="social_report_comment_unique"
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_reason_display()} ({'post' if self.post_id else 'comment'} {self.post_id or self.comment_id})"
        )


class BlockedKeyword(models.Model):
    word = models.CharField(_("word"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ("word",)
        verbose_name = _("blocked keyword")
        verbose_name_plural = _("blocked keywords")

    def __str__(self):
        return self.word
