"""Which kind of message belongs to which preference group, and the defaults of each group.

A kind is a string key (a template folder under templates/notifications/). Users choose per group and channel,
not per kind: ten switches per channel would be too many on a phone.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import Channel


@dataclass(frozen=True)
class KindGroup:
    code: str
    label: str
    marketing: bool = False
    # Channels the user cannot turn off for this group (the order confirmation e-mail is the record of a contract).
    locked: frozenset[str] = field(default_factory=frozenset)
    # Shown in the account area's grid; account notices (e.g. "LINE linked") are not optional.
    listed: bool = True


GROUPS: dict[str, KindGroup] = {
    group.code: group
    for group in (
        KindGroup("orders", _("Orders, payment and shipping"), locked=frozenset({Channel.EMAIL})),
        KindGroup("points", _("Points, coupons and rank")),
        KindGroup("follow_up", _("Follow-ups after delivery (how you like your items)")),
        KindGroup("support", _("Replies to your inquiries")),
        KindGroup("social", _("Daily digest of likes, comments and new followers")),
        KindGroup("marketing", _("Sales, new arrivals and coupons"), marketing=True),
        KindGroup("account", _("Account notices"), locked=frozenset(Channel.values), listed=False),
    )
}

MARKETING_GROUP = "marketing"

KINDS: dict[str, str] = {
    "order_confirmation": "orders",
    "payment_failed": "orders",
    "bank_transfer_reminder": "orders",
    "order_shipped": "orders",
    "order_delivered": "orders",
    "review_request": "orders",
    "points_earned": "points",
    "points_expiring": "points",
    "rank_changed": "points",
    "rank_up": "points",
    "coupon_issued": "points",
    "inquiry_received": "support",
    "inquiry_reply": "support",
    "social_digest": "social",
    "line_linked": "account",
    "new_sign_in": "account",
    "purchase_follow_up": "follow_up",
    "order_anniversary": "marketing",
    "event_invitation": "marketing",
    "draw_won": "account",
    "campaign": "marketing",
    "campaign_test": "account",
    # A personal-data leak notice (APPI): the law requires it, so it cannot be switched off.
    "incident_notice": "account",
}


class UnknownKind(ValueError):
    pass


def kind_group(*, kind: str, is_marketing: bool = False) -> KindGroup:
    """Marketing messages are all in the marketing group, whatever their kind."""
    if is_marketing:
        return GROUPS[MARKETING_GROUP]
    try:
        code = KINDS[kind]
    except KeyError:
        raise UnknownKind(f"Unknown notification kind {kind!r}: add it to shop/notifications/kinds.py") from None
    return GROUPS[code]
