"""The inbound spam filter shared by inquiries (shop.support), comments (social) and reviews (shop.reviews).

The filter only gives a verdict: each app keeps a held submission with its own "held" status and the reasons, so
staff see it in a queue and nothing is silently dropped. Rules are SpamRule rows staff manage in admin.
"""

import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from .models import SpamRule

logger = logging.getLogger(__name__)

KINDS = ("inquiry", "comment", "review")
WINDOW_SECONDS = 60 * 60
LOCAL_NETWORKS = [
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
]
# Links as people paste them: with a scheme, or a bare www. host.
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class SpamVerdict:
    held: bool
    reasons: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    """Full-width, half-width and case variants compare equal (ｆｒｅｅ, FREE and free)."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _countable_ip(ip: str | None) -> bool:
    """Behind a reverse proxy every request can come from the proxy's own address; counting that would add up the
    whole shop's traffic as one sender, so addresses of the local network are not counted (sender rules still
    match them)."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return not any(address in network for network in LOCAL_NETWORKS if address.version == network.version)


def _senders(*, email: str, ip: str | None, user_id: int | None) -> list[str]:
    senders = []
    if user_id is not None:
        senders.append(f"user:{user_id}")
    if email:
        senders.append(f"email:{_fold(email.strip())}")
    if _countable_ip(ip):
        senders.append(f"ip:{ip}")
    return senders


def _count_submission(*, kind: str, senders: list[str], now: datetime) -> dict[str, int]:
    """Counts this submission for every sender identity, per kind and across kinds, in the current one-hour window.

    Returns the highest count per scope ("inquiry", "all", ...). A cache outage must not stop people writing to
    the shop, so the frequency rules are then skipped (logged) rather than failing the submission.
    """
    window = int(now.timestamp()) // WINDOW_SECONDS
    highest: dict[str, int] = {kind: 0, "all": 0}
    for scope in highest:
        for sender in senders:
            key = f"spam:freq:{scope}:{sender}:{window}"
            try:
                # add is a no-op when the counter exists; the timeout outlives the window so incr never misses it.
                cache.add(key, 0, timeout=2 * WINDOW_SECONDS)
                count = cache.incr(key)
            except (RedisError, ConnectionError, ValueError) as error:
                logger.warning("Spam frequency counter unavailable: %s", error)
                continue
            highest[scope] = max(highest[scope], count)
    return highest


def _sender_matches(rule: SpamRule, *, email: str, ip: str | None) -> bool:
    pattern = _fold(rule.pattern.strip())
    if not pattern:
        return False
    if ip and pattern == _fold(ip):
        return True
    email = _fold(email.strip())
    if not email:
        return False
    if "@" in pattern.lstrip("@"):
        return email == pattern
    return email.rpartition("@")[2] == pattern.lstrip("@")


def _content_reasons(rule: SpamRule, *, text: str) -> list[str]:
    reasons = []
    if rule.pattern:
        try:
            if re.search(rule.pattern, unicodedata.normalize("NFKC", text), re.IGNORECASE):
                reasons.append(_("Matches the content rule “%(pattern)s”.") % {"pattern": rule.pattern})
        except re.error:
            logger.warning("Spam rule %s has an invalid regular expression", rule.pk)
    if rule.threshold is not None:
        links = len(_LINK.findall(unicodedata.normalize("NFKC", text)))
        if links > rule.threshold:
            reasons.append(
                _("Contains %(count)d links (more than %(limit)d).") % {"count": links, "limit": rule.threshold}
            )
    return reasons


def spam_check(
    *,
    kind: str,
    text: str,
    email: str = "",
    ip: str | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> SpamVerdict:
    """kind is "inquiry", "comment" or "review". Every call counts towards the sender's hourly frequency, so call
    it once per submission. The reasons are readable sentences in the active language, for staff."""
    if kind not in KINDS:
        raise ValueError(f"Unknown spam check kind {kind!r}")
    now = now or timezone.now()
    counts = _count_submission(kind=kind, senders=_senders(email=email, ip=ip, user_id=user_id), now=now)
    folded = _fold(text)
    reasons: list[str] = []
    rules = SpamRule.objects.filter(is_active=True, applies_to__in=[kind, SpamRule.AppliesTo.ALL]).order_by("pk")
    for rule in rules:
        if rule.kind == SpamRule.Kind.KEYWORD:
            word = _fold(rule.pattern.strip())
            if word and word in folded:
                reasons.append(_("Contains the word “%(word)s”.") % {"word": rule.pattern.strip()})
        elif rule.kind == SpamRule.Kind.SENDER:
            if _sender_matches(rule, email=email, ip=ip):
                reasons.append(_("The sender matches the blocked sender “%(sender)s”.") % {"sender": rule.pattern})
        elif rule.kind == SpamRule.Kind.FREQUENCY:
            count = counts["all" if rule.applies_to == SpamRule.AppliesTo.ALL else kind]
            if rule.threshold is not None and count > rule.threshold:
                reasons.append(
                    _("%(count)d submissions from the same sender within an hour (more than %(limit)d).")
                    % {"count": count, "limit": rule.threshold}
                )
        elif rule.kind == SpamRule.Kind.CONTENT:
            reasons.extend(_content_reasons(rule, text=text))
    return SpamVerdict(held=bool(reasons), reasons=reasons)
