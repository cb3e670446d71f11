"""{% post_cards posts %}: the feed's post cards rendered in Python.

A feed page shows ten cards, each with photos, tagged products with add-to-cart forms, a like form and share buttons:
as {% include %}s that was about a thousand variable lookups and a hundred URL reversals a page, several times the
cost of a product listing. The markup is the one of templates/social/_post_card.html (and of the _like.html it
includes; the share buttons are shares_tags' own Python), which the post page and profiles still render;
tests/social/test_feed_cards.py checks that both give the same HTML. The markup is escaped with shop.core.html's
format_html (Django's, without the lazy-text wrappers that had cost more than the escaping).
"""

from urllib.parse import quote

from django import template
from django.template.defaultfilters import linebreaksbr
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shop.core.html import escape, format_html, format_html_join
from shop.core.links import absolute_url
from shop.reviews.templatetags.reviews_tags import review_stars
from social.shares.models import SHARE_CHANNELS
from social.shares.templatetags.shares_tags import channel_hrefs, post_share_block, share_labels

from .social_tags import author_name

register = template.Library()

# Placeholder ids for reversing a URL once per page; no URL of the shop contains these digits otherwise.
_PLACEHOLDERS = ("9876543210", "9876543211")


def _url_format(name: str, arity: int = 1):
    """The URL `name` for any arguments, as a str.format of a single reverse(). Post, product and user ids are digits
    and share codes letters and digits, which reverse() would not quote either."""
    url = reverse(name, args=_PLACEHOLDERS[:arity]).replace("{", "{{").replace("}", "}}")
    for position, placeholder in enumerate(_PLACEHOLDERS[:arity]):
        url = url.replace(placeholder, f"{{{position}}}")
    return url.format


class _Page:
    """What every card of a page shares: the viewer, the CSRF field, URL patterns and the translated labels."""

    def __init__(self, context):
        request = context["request"]
        self.signed_in = request.user.is_authenticated
        self.csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} gives
        self.next = request.get_full_path()
        self.login_next = format_html("{}?next={}", reverse("account_login"), quote(self.next))
        self.cart_url = reverse("orders:cart_add")
        self.share_codes = context.get("post_share_codes") or {}
        # absolute_url() of a path is this prefix and the path (reverse() gives paths without ".." or non-ASCII).
        self.site = absolute_url(request, "/")[:-1]
        self.post_url = _url_format("social:post")
        self.like_url = _url_format("social:like")
        self.profile_url = _url_format("social:profile")
        self.product_url = _url_format("shares:post_product", 2)
        self.share_url = _url_format("shares:open")
        kinds = {"want": _("wants this"), "own": _("owns this"), "review": _("reviewed this")}
        self.kinds = {kind: format_html('<span class="kind">{}</span>', label) for kind, label in kinds.items()}
        self.sold_out = format_html('<span class="soldout-note">{}</span>', _("Sold out"))
        self.verified = format_html(' <span class="tag verified">{}</span>', _("Verified purchase"))
        labels = {
            "colour_size": _("Colour / size"),
            "one_size": _("One size"),
            "add_to_cart": _("Add to cart"),
            "like": _("Like"),
            "liked": _("Liked"),
        }
        self.text = {key: SafeString(escape(label)) for key, label in labels.items()}  # escaped once, not per card
        self.share_labels = share_labels()

    def card(self, post) -> str:
        post_url = self.post_url(post.pk)
        created = timezone.localtime(post.created_at)  # as the date filter shows it
        return format_html(
            '<article class="post-card" id="post-{pk}">\n'
            '  <header class="post-head">\n'
            "    {author}\n"
            "    {kind}\n"
            '    <a class="when" href="{url}"><time datetime="{iso}">{when}</time></a>\n'
            "    {status}\n"
            "  </header>\n"
            "  {review}\n"
            "  {body}\n"
            "  {photos}\n"
            "  {products}\n"
            '  <footer class="post-actions">\n'
            "    {like}\n"
            '    <a class="comments-link" href="{url}#comments">💬 {comments}</a>\n'
            "    {share}\n"
            "  </footer>\n"
            "</article>\n",
            pk=post.pk,
            author=self.author(post),
            kind=self.kinds.get(post.kind, ""),
            url=post_url,
            iso=created.isoformat(),
            when=f"{created.year:04d}/{created.month:02d}/{created.day:02d} {created.hour:02d}:{created.minute:02d}",
            status=format_html('<span class="status">{}</span>', post.get_status_display())
            if post.status != "published"
            else "",
            review=self.review(post),
            body=format_html('<div class="post-body">{}</div>', linebreaksbr(post.body)) if post.body else "",
            photos=self.photos(post),
            products=self.products(post),
            like=self.like(post),
            comments=ngettext("%(n)s comment", "%(n)s comments", post.comment_count) % {"n": post.comment_count},
            share=self.share(post, post_url),
        )

    def author(self, post) -> str:
        if post.is_staff_post:
            return format_html('<strong class="author shop">{}</strong>', author_name(post))
        return format_html('<a class="author" href="{}">{}</a>', self.profile_url(post.author_id), author_name(post))

    def review(self, post) -> str:
        if post.kind != "review" or not post.review:
            return ""
        review = post.review
        photos = list(review.photos.all())
        return format_html(
            '<div class="post-review">\n'
            '    <p class="meta">{}<span class="visually-hidden">{}</span>{}</p>\n'
            '    <h3 class="review-title">{}</h3>\n'
            '    <div class="post-body">{}</div>\n'
            "    {}\n"
            '    <p class="post-products review-product">{}</p>\n'
            "  </div>",
            review_stars(review.rating),
            _("%(n)s out of 5 stars") % {"n": review.rating},
            self.verified if review.verified_purchase else "",
            review.title,
            linebreaksbr(Truncator(review.body).chars(300)),
            format_html(
                '<div class="post-photos n{}">{}</div>',
                len(photos),
                format_html_join(
                    "",
                    '<img src="{}" alt="" loading="lazy" decoding="async">',
                    ((photo.image.url,) for photo in photos),
                ),
            )
            if photos
            else "",
            self.product_link(post, post.product),
        )

    def photos(self, post) -> str:
        photos = list(post.photos.all())
        if not photos:
            return ""
        return format_html(
            '<div class="post-photos n{}">{}</div>',
            len(photos),
            format_html_join(
                "",
                '<img src="{}" alt="" loading="lazy" decoding="async"{}>',
                (
                    (
                        photo.image.url,
                        format_html(' width="{}" height="{}"', photo.width, photo.height) if photo.width else "",
                    )
                    for photo in photos
                ),
            ),
        )

    def product_link(self, post, product) -> str:
        return format_html(
            '<a href="{}">{}{}</a>\n      <span class="price">{}</span>',
            self.product_url(post.pk, product.pk),
            format_html('<span class="brand">{}</span> ', product.brand) if product.brand else "",
            product.name,
            product.price_money.format_tax_included(),
        )

    def products(self, post) -> str:
        tags = list(post.tags.all())
        if not tags:
            return ""
        return format_html(
            '<ul class="post-products">{}</ul>',
            format_html_join(
                "",
                "\n    <li>{}\n      {}\n    </li>",
                ((self.product_link(post, tag.product), self.cart_form(post, tag.product)) for tag in tags),
            ),
        )

    def cart_form(self, post, product) -> str:
        variants = list(product.variants.all())
        if not (variants and product.is_buyable):
            return self.sold_out
        field_id = f"{post.pk}-{product.pk}"
        if len(variants) == 1:
            variant = format_html('<input type="hidden" name="variant" value="{}">', variants[0].pk)
        else:
            variant = format_html(
                '<label class="visually-hidden" for="v-{}">{}</label><select id="v-{}" name="variant">{}</select>',
                field_id,
                self.text["colour_size"],
                field_id,
                format_html_join(
                    "",
                    '<option value="{}">{}</option>',
                    ((v.pk, v.label or self.text["one_size"]) for v in variants),
                ),
            )
        return format_html(
            '\n      <form action="{url}" method="post" hx-post="{url}" hx-target="#cart-fb-{id}" class="tag-cart">'
            "{csrf}\n"
            '        <input type="hidden" name="next" value="{next}"><input type="hidden" name="quantity" value="1">\n'
            "        {variant}\n"
            '        <button type="submit">{add}</button>\n'
            '        <span id="cart-fb-{id}" aria-live="polite"></span>\n'
            "      </form>\n"
            "      ",
            url=self.cart_url,
            id=field_id,
            csrf=self.csrf,
            next=self.next,
            variant=variant,
            add=self.text["add_to_cart"],
        )

    def like(self, post) -> str:
        """templates/social/_like.html for members, a sign-in link for visitors."""
        if not self.signed_in:
            return format_html('<a href="{}">♡ {} {}</a>', self.login_next, self.text["like"], post.like_count)
        if getattr(post, "liked", False):
            button = format_html(
                '<button type="submit" class="like on" aria-pressed="true">♥ {} <span class="count">{}</span></button>'
                "\n  ",
                self.text["liked"],
                post.like_count,
            )
        else:
            button = format_html(
                '<input type="hidden" name="on" value="1"><button type="submit" class="like" aria-pressed="false">'
                '♡ {} <span class="count">{}</span></button>',
                self.text["like"],
                post.like_count,
            )
        url = self.like_url(post.pk)
        return format_html(
            '<form class="like-form" id="like-{}" action="{}" method="post" hx-post="{}" hx-target="this" '
            'hx-swap="outerHTML">{}\n'
            '  <input type="hidden" name="next" value="{}">\n'
            "  {}\n"
            "</form>\n",
            post.pk,
            url,
            url,
            self.csrf,
            self.next,
            button,
        )

    def share(self, post, post_url: str) -> str:
        """shares_tags.post_share_buttons: the viewer's codes loaded for the page, else the post's own URL."""
        codes = self.share_codes.get(post.pk, {})
        page_url = self.site + post_url
        urls = {
            channel: self.site + self.share_url(codes[channel]) if channel in codes else page_url
            for channel in SHARE_CHANNELS
        }
        hrefs = channel_hrefs(urls, (post.body or "").strip().replace("\n", " ")[:60])
        return format_html("{}\n", post_share_block(hrefs, self.share_labels))


@register.simple_tag(takes_context=True)
def post_cards(context, posts):
    """The <article> cards of the posts, as templates/social/_post_card.html renders each: page-wide parts (URLs
    reversed once with placeholder ids, the CSRF field, labels) are made once, and nothing runs a query beyond the
    prefetches of social.selectors._for_cards."""
    page = _Page(context)
    return mark_safe("".join(page.card(post) for post in posts))  # noqa: S308 - every part went through format_html
