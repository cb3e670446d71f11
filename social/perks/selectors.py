"""Who may buy what, and when: members-only sales and early access.

A product is locked for a shopper when active rules apply to it (directly or through its category), none of
them is open to everyone yet, and the shopper qualifies under none that is open for its audience. Pages read the
rules from the cache (no query; refreshed whenever a rule changes); the cart and the checkout read the database.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from loyalty.selectors.points import rank_current
from shop.catalog.models import Category
from shop.core.local_copies import local_forget, local_get
from shop.notifications.models import LineLink
from social.models import Follow

from .models import AccessRule

logger = logging.getLogger(__name__)
RULES_CACHE_KEY = "perks:rules:v1"
# A row when some rule is active: only then can purchase_check refuse anything. The cart reads it inside the
# statement that reads the item (see shop.orders.hooks), so an add spends no query of its own on it.
RULES_ACTIVE_SQL = 'SELECT 1 FROM "perks_accessrule" WHERE "is_active"'
Audience = AccessRule.Audience


@dataclass(frozen=True)
class RuleData:
    """What a page needs of a rule, small enough to keep in the cache."""

    pk: int
    name: str
    audience: str
    rank_ids: frozenset[int]
    rank_names: tuple[str, ...]
    opens_at: datetime.datetime
    public_at: datetime.datetime | None
    product_ids: frozenset[int]
    category_ids: frozenset[int]  # with the sub-categories of the chosen ones

    def applies_to(self, product) -> bool:
        return product.pk in self.product_ids or product.category_id in self.category_ids

    def is_public(self, now: datetime.datetime) -> bool:
        return self.public_at is not None and self.public_at <= now


@dataclass(frozen=True)
class HowTo:
    text: str
    url: str = ""
    action: str = ""  # "login", "follow_shop", "points", "line"


@dataclass
class ProductAccess:
    badge: str = ""
    locked: bool = False
    reasons: list[str] = field(default_factory=list)
    how_to: list[HowTo] = field(default_factory=list)


def _date(value: datetime.datetime) -> str:
    return dateformat.format(timezone.localtime(value, timezone.get_default_timezone()), "Y年n月j日 H:i")


def rules_load() -> list[RuleData]:
    """Active rules not yet open to everyone for good, from the database (1 query, 4 more when there are any)."""
    now = timezone.now()
    rules = list(
        AccessRule.objects.filter(is_active=True)
        .exclude(public_at__lte=now)
        .prefetch_related("products", "categories", "ranks")
    )
    chosen = {category.pk for rule in rules for category in rule.categories.all()}
    children: dict[int, set[int]] = {}
    if chosen:
        for pk, parent_id in Category.objects.filter(parent_id__in=chosen).values_list("pk", "parent_id"):
            children.setdefault(parent_id, set()).add(pk)
    return [
        RuleData(
            pk=rule.pk,
            name=rule.name,
            audience=rule.audience,
            rank_ids=frozenset(rank.pk for rank in rule.ranks.all()),
            rank_names=tuple(rank.name for rank in sorted(rule.ranks.all(), key=lambda rank: rank.min_spend)),
            opens_at=rule.opens_at,
            public_at=rule.public_at,
            product_ids=frozenset(product.pk for product in rule.products.all()),
            category_ids=frozenset(
                pk for category in rule.categories.all() for pk in {category.pk, *children.get(category.pk, ())}
            ),
        )
        for rule in rules
    ]


def rules_refresh() -> list[RuleData]:
    rules = rules_load()
    cache.set(RULES_CACHE_KEY, rules, timeout=None)
    local_forget(RULES_CACHE_KEY)
    return rules


# At most one refresh is queued a minute however many pages miss the cache meanwhile (and none while the cache
# itself is down: add() then refuses): a broker that is down costs a page its publish retries (about 0.6 s) once.
RULES_REFRESH_QUEUED_KEY = "perks:rules:refresh-queued"
REFRESH_QUEUED_FOR_S = 60


def _queue_refresh() -> None:
    """Queue the refresh task; a broker that is down is logged, never an error for the page that asked."""
    from . import tasks  # tasks import services, which import this module

    try:
        tasks.refresh_rules.delay()
    except (KombuError, RedisError, OSError) as error:
        logger.warning("Perk rules refresh not queued (broker unavailable): %s", error)


def rules_for_pages() -> list[RuleData]:
    """The rules from the cache, without a query. After the cache was emptied (a Redis restart) pages show no
    badge until the refresh queued here has run; the cart and the checkout never rely on this copy. While Redis is
    down the cache misses and the refresh cannot be queued: pages show no badge, and say nothing of it."""
    rules = local_get(RULES_CACHE_KEY)
    if rules is None:
        if cache.add(RULES_REFRESH_QUEUED_KEY, True, REFRESH_QUEUED_FOR_S):
            transaction.on_commit(_queue_refresh)
        return []
    return rules


class _Viewer:
    """The shopper's standing, each looked up once and only when a rule asks for it."""

    def __init__(self, user):
        self.user = user if user is not None and user.is_authenticated else None
        self._memo: dict[str, object] = {}

    def _get(self, name, compute):
        if name not in self._memo:
            self._memo[name] = compute() if self.user is not None else None
        return self._memo[name]

    def qualifies(self, rule: RuleData) -> bool:
        if self.user is None:
            return False
        if rule.audience == Audience.MEMBERS:
            return True
        if rule.audience == Audience.FOLLOWERS:
            return bool(
                self._get(
                    "follows",
                    lambda: Follow.objects.filter(follower=self.user, followee__isnull=True).exists(),
                )
            )
        if rule.audience == Audience.RANKS:
            rank = self._get("rank", lambda: rank_current(user=self.user))
            return rank is not None and rank.pk in rule.rank_ids
        if rule.audience == Audience.LINE_LINKED:
            return bool(self._get("line", lambda: LineLink.objects.filter(user=self.user).exists()))
        return False


def _audience_label(rule: RuleData) -> str:
    if rule.audience == Audience.RANKS:
        return _("members of the rank %(ranks)s") % {"ranks": " / ".join(rule.rank_names)}
    return {
        Audience.MEMBERS: _("members"),
        Audience.FOLLOWERS: _("followers of the shop"),
        Audience.LINE_LINKED: _("LINE-linked members"),
    }[rule.audience]


def _how_to(rule: RuleData, viewer: _Viewer) -> list[HowTo]:
    steps = []
    if viewer.user is None:
        steps.append(HowTo(_("Sign in or create an account."), reverse("account_login"), "login"))
    if rule.audience == Audience.FOLLOWERS:
        steps.append(HowTo(_("Follow the shop."), reverse("social:follow_shop"), "follow_shop"))
    elif rule.audience == Audience.RANKS:
        steps.append(
            HowTo(
                _("Reach the rank %(ranks)s (see your progress on your points page).")
                % {"ranks": " / ".join(rule.rank_names)},
                reverse("loyalty:points"),
                "points",
            )
        )
    elif rule.audience == Audience.LINE_LINKED:
        steps.append(HowTo(_("Link your LINE account to the shop."), reverse("notifications:preferences"), "line"))
    return steps


def product_access(*, product, user, rules: list[RuleData], now: datetime.datetime | None = None) -> ProductAccess:
    """Whether this shopper may buy the product now, and if not, when it opens for them and how to qualify."""
    now = now or timezone.now()
    applying = [rule for rule in rules if rule.applies_to(product)]
    if not applying or any(rule.is_public(now) for rule in applying):
        return ProductAccess()
    access = ProductAccess(badge=applying[0].name)
    viewer = _Viewer(user)
    if any(rule.opens_at <= now and viewer.qualifies(rule) for rule in applying):
        return access
    access.locked = True
    for rule in applying:
        audience = _audience_label(rule)
        if rule.opens_at > now:
            reason = _("On sale to %(audience)s from %(date)s.") % {"audience": audience, "date": _date(rule.opens_at)}
        else:
            reason = _("On sale now to %(audience)s only.") % {"audience": audience}
        if rule.public_at is not None:
            reason += " " + _("Open to everyone from %(date)s.") % {"date": _date(rule.public_at)}
        access.reasons.append(reason)
        if not viewer.qualifies(rule):
            access.how_to.extend(step for step in _how_to(rule, viewer) if step not in access.how_to)
    return access


def product_badge(*, product, rules: list[RuleData], now: datetime.datetime | None = None) -> str:
    """The badge for a listing card ("" when no rule applies): no query."""
    now = now or timezone.now()
    applying = [rule for rule in rules if rule.applies_to(product)]
    if not applying or any(rule.is_public(now) for rule in applying):
        return ""
    return applying[0].name


def _rules_active() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(RULES_ACTIVE_SQL + " LIMIT 1")
        return cursor.fetchone() is not None


def purchase_check(user, variants) -> list[str]:
    """Registered in shop.orders.hooks: refuses locked products in the cart and at checkout (reads the database,
    not the cache, so a rule saved a moment ago already holds)."""
    products = {variant.product.pk: variant.product for variant in variants}
    if not products or not _rules_active():
        return []
    rules = rules_load()
    now = timezone.now()
    problems = []
    for product in products.values():
        access = product_access(product=product, user=user, rules=rules, now=now)
        if access.locked:
            problems.append(
                _("“%(item)s” is not on sale to you yet: %(reason)s")
                % {"item": product.name, "reason": " ".join(access.reasons)}
            )
    return problems
