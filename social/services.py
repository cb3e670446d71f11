import unicodedata
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts.selectors import user_email_verified
from shop.catalog.models import Product
from shop.core.spam import spam_check
from shop.reviews.models import Review

from .exceptions import SocialError
from .models import (
    MAX_PHOTOS,
    MAX_PRODUCT_TAGS,
    BlockedKeyword,
    Comment,
    Follow,
    Like,
    Post,
    PostPhoto,
    PostProduct,
    Report,
)


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def blocked_keyword_find(*, text: str) -> str:
    """The first staff-blocked word found in the text (width and case folded), else ""."""
    folded = _normalize(text)
    for word in BlockedKeyword.objects.values_list("word", flat=True):
        if word.strip() and _normalize(word.strip()) in folded:
            return word
    return ""


def _require_verified(user) -> None:
    if not user_email_verified(user=user):
        raise SocialError(_("Please confirm your e-mail address before posting."))


@transaction.atomic
def post_create(
    *,
    author,
    body: str,
    photos: list[ContentFile] = (),
    product_ids: list[int] = (),
    is_staff_post: bool = False,
    publish_at: datetime | None = None,
) -> Post:
    """Photos must already be cleaned by shop.core.uploads (the form's UserImageField does it)."""
    _require_verified(author)
    body = body.strip()
    photos = [p for p in photos if p]
    if not body and not photos:
        raise SocialError(_("Write something or add a photo."))
    if len(photos) > MAX_PHOTOS:
        raise SocialError(_("You can add up to %(n)s photos.") % {"n": MAX_PHOTOS})
    product_ids = list(dict.fromkeys(int(i) for i in product_ids))
    if len(product_ids) > MAX_PRODUCT_TAGS:
        raise SocialError(_("You can tag up to %(n)s products.") % {"n": MAX_PRODUCT_TAGS})
    products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids, is_active=True)}
    matched = blocked_keyword_find(text=body)
    if matched:
        status = Post.Status.HELD
    elif publish_at and publish_at > timezone.now():
        status = Post.Status.SCHEDULED
    else:
        status = Post.Status.PUBLISHED
    post = Post.objects.create(
        author=author,
        body=body,
        status=status,
        held_reason=matched[:100],
        is_staff_post=is_staff_post and author.is_staff,
        publish_at=publish_at,
    )
    for position, photo in enumerate(photos):
        PostPhoto.objects.create(post=post, image=photo, position=position)
    PostProduct.objects.bulk_create(
        PostProduct(post=post, product=products[pid], position=n)
        for n, pid in enumerate(product_ids)
        if pid in products
    )
    return post


def post_status_for_schedule(*, post: Post) -> None:
    """Admin saves: a published staff post with a future publish_at waits for the publishing task."""
    if post.status == Post.Status.PUBLISHED and post.publish_at and post.publish_at > timezone.now():
        post.status = Post.Status.SCHEDULED


@transaction.atomic
def posts_publish_due(*, now: datetime | None = None) -> int:
    """Publishes scheduled posts whose time has come; running it again changes nothing."""
    now = now or timezone.now()
    due = Post.objects.select_for_update(skip_locked=True).filter(status=Post.Status.SCHEDULED, publish_at__lte=now)
    ids = list(due.values_list("pk", flat=True))
    return Post.objects.filter(pk__in=ids, status=Post.Status.SCHEDULED).update(status=Post.Status.PUBLISHED)


def _visible_post(post_id: int) -> Post:
    post = Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED).first()
    if post is None:
        raise SocialError(_("This post is not available."))
    return post


@transaction.atomic
def like_set(*, user, post_id: int, on: bool) -> Post:
    """Sets the like to the wanted state: a double click or a replay of the same request changes nothing."""
    post = _visible_post(post_id)
    if on:
        try:
            with transaction.atomic():
                Like.objects.create(post=post, user=user)
        except IntegrityError:
            pass
        else:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    else:
        deleted, _rows = Like.objects.filter(post=post, user=user).delete()
        if deleted:
            Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    post.refresh_from_db(fields=["like_count"])
    return post


@transaction.atomic
def comment_add(*, user, post_id: int, body: str, parent_id: int | None = None, client_token: str = "") -> Comment:
    """client_token comes from the form, so a double submit or a replay creates one comment."""
    _require_verified(user)
    post = _visible_post(post_id)
    body = body.strip()
    if not body:
        raise SocialError(_("Please write a comment."))
    parent = None
    if parent_id:
        parent = Comment.objects.filter(pk=parent_id, post=post).first()
        if parent is None:
            raise SocialError(_("The comment you are replying to is no longer available."))
        # One level of replies: answering a reply answers its top-level comment.
        if parent.parent_id:
            parent = parent.parent
    client_token = client_token[:40]
    if client_token:
        existing = Comment.objects.filter(user=user, client_token=client_token).first()
        if existing:
            return existing
    # Held by a staff-blocked word, else by the shared spam filter (keyword, sender, frequency and link rules).
    verdict = spam_check(kind="comment", text=body, email=user.email, user_id=user.pk)
    matched = blocked_keyword_find(text=body) or " ".join(verdict.reasons)
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                post=post,
                user=user,
                parent=parent,
                body=body,
                client_token=client_token,
                status=Comment.Status.HELD if matched else Comment.Status.PUBLISHED,
                held_reason=matched[:100],
            )
    except IntegrityError:
        return Comment.objects.get(user=user, client_token=client_token)
    if comment.status == Comment.Status.PUBLISHED:
        Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    return comment


@transaction.atomic
def follow_set(*, follower, followee_id: int | None, on: bool) -> bool:
    """followee_id None follows the shop. Returns whether follower now follows."""
    if followee_id is not None and followee_id == follower.pk:
        raise SocialError(_("You cannot follow yourself."))
    if on:
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee_id=followee_id)
        except IntegrityError:
            pass
    else:
        Follow.objects.filter(follower=follower, followee_id=followee_id).delete()
    return on


@transaction.atomic
def report_create(*, reporter, reason: str, post_id: int | None = None, comment_id: int | None = None) -> Report:
    if (post_id is None) == (comment_id is None):
        raise SocialError(_("Please choose what to report."))
    if reason not in Report.Reason.values:
        reason = Report.Reason.OTHER
    if post_id is not None and not Post.objects.filter(pk=post_id).exists():
        raise SocialError(_("This post is not available."))
    if comment_id is not None and not Comment.objects.filter(pk=comment_id).exists():
        raise SocialError(_("This comment is not available."))
    lookup = {"post_id": post_id} if post_id is not None else {"comment_id": comment_id}
    report = Report.objects.filter(reporter=reporter, **lookup).first()
    if report:
        return report
    try:
        with transaction.atomic():
            return Report.objects.create(reporter=reporter, reason=reason, **lookup)
    except IntegrityError:
        return Report.objects.get(reporter=reporter, **lookup)


@transaction.atomic
def product_mark_set(*, user, product_id: int, kind: str, on: bool) -> bool:
    """One-tap きになる / もってる: one feed entry per user, product and kind whatever the number of taps."""
    if kind not in (Post.Kind.WANT, Post.Kind.OWN):
        raise SocialError(_("Unknown choice."))
    product = Product.objects.filter(pk=product_id, is_active=True).first()
    if product is None:
        raise SocialError(_("This product is not available."))
    if on:
        try:
            with transaction.atomic():
                post = Post.objects.create(author=user, kind=kind, product=product, status=Post.Status.PUBLISHED)
                PostProduct.objects.create(post=post, product=product)
        except IntegrityError:
            pass
    else:
        Post.objects.filter(author=user, kind=kind, product=product).delete()
    return on


def _post_recount(post_id: int) -> None:
    count = Comment.objects.filter(post_id=post_id, status=Comment.Status.PUBLISHED).count()
    Post.objects.filter(pk=post_id).update(comment_count=count)


@transaction.atomic
def post_moderate(*, post_id: int, hide: bool) -> Post:
    """Staff hide a post or restore it (published, or scheduled when its time is still ahead); its reports close."""
    post = Post.objects.select_for_update().get(pk=post_id)
    if hide:
        post.status = Post.Status.HIDDEN
    elif post.publish_at and post.publish_at > timezone.now():
        post.status = Post.Status.SCHEDULED
    else:
        post.status = Post.Status.PUBLISHED
    post.save(update_fields=["status"])
    Report.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return post


@transaction.atomic
def comment_moderate(*, comment_id: int, hide: bool) -> Comment:
    comment = Comment.objects.select_for_update().get(pk=comment_id)
    comment.status = Comment.Status.HIDDEN if hide else Comment.Status.PUBLISHED
    comment.save(update_fields=["status"])
    Report.objects.filter(comment=comment, resolved_at__isnull=True).update(resolved_at=timezone.now())
    _post_recount(comment.post_id)
    return comment


def report_dismiss(*, report_ids: list[int]) -> int:
    return Report.objects.filter(pk__in=report_ids, resolved_at__isnull=True).update(resolved_at=timezone.now())


# held_reason of a review post hidden because its review stopped being shown; only those come back by themselves
# (a post staff hid from the moderation queue stays hidden when its review is published again).
REVIEW_UNPUBLISHED = "review not published"


def review_post_sync(*, review_id: int) -> Post | None:
    """Make the feed post of a review match the review: shown while it is published and has a photo, else hidden.

    One post per review (the OneToOne on Post.review), so a repeated or concurrent call cannot make a second one.
    Returns the post, or None when there is none (never had a photo, or never published).
    """
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            return None  # deleted: its post went with it (on_delete=CASCADE)
        show = review.status == Review.Status.PUBLISHED and review.photos.exists()
        post = Post.objects.select_for_update().filter(review=review).first()
        if post is None:
            if not show:
                return None
            try:
                with transaction.atomic():
                    return Post.objects.create(
                        author_id=review.user_id, kind=Post.Kind.REVIEW, review=review, product_id=review.product_id
                    )
            except IntegrityError:
                post = Post.objects.select_for_update().get(review=review)
        if show and post.status == Post.Status.HIDDEN and post.held_reason == REVIEW_UNPUBLISHED:
            post.status, post.held_reason = Post.Status.PUBLISHED, ""
            post.save(update_fields=["status", "held_reason"])
        elif not show and post.status == Post.Status.PUBLISHED:
            post.status, post.held_reason = Post.Status.HIDDEN, REVIEW_UNPUBLISHED
            post.save(update_fields=["status", "held_reason"])
    return post
