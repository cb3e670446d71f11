"""Staff roles as permission groups with least privilege (README, "Staff roles").

Each role is a list of "app_label.codename" patterns (shell-style wildcards) matched against the permissions in
the database, so a new model in an app a role owns joins the role the next time the roles are synced: by the data
migration on a fresh database, and by `manage.py sync_staff_roles` after every deploy that adds models. A sync makes
each group hold exactly its role's permissions, so running it twice changes nothing.

Money and personal data are what the roles keep apart:
- refunds need payments.add_refund and marking a bank transfer or cash on delivery paid needs
  payments.change_payment (shop manager only; payments.admin checks them);
- the personal-data access log (accounts.view_personaldataaccess) is for the shop manager only;
- marketing never sees customers or orders.
"""

from fnmatch import fnmatchcase

SHOP_MANAGER = "Shop manager"
CUSTOMER_SUPPORT = "Customer support"
MARKETING = "Marketing"

SHOP_APPS = (
    "accounts", "core", "notifications", "catalog", "orders", "reviews", "support", "dashboard", "loyalty",
    "payments", "social", "shares", "share_rewards", "draws", "recommend", "perks",
)  # fmt: skip

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    SHOP_MANAGER: {
        "allow": tuple(f"{app}.*" for app in SHOP_APPS),
        # The access log is written by the shop itself and never edited; customers leave through the privacy
        # request flow (data anonymised, orders kept), never by a plain delete.
        "deny": (
            "accounts.add_personaldataaccess",
            "accounts.change_personaldataaccess",
            "accounts.delete_personaldataaccess",
            "accounts.delete_user",
        ),
    },
    CUSTOMER_SUPPORT: {
        "allow": (
            "accounts.view_user",
            "accounts.view_address",
            "accounts.view_consent",
            "accounts.view_legalpage",
            "accounts.view_legalpageversion",
            "accounts.view_privacyrequest",
            "accounts.change_privacyrequest",
            "catalog.view_*",
            # change_order runs the order actions: mark shipped / delivered, cancel; not refunds, not mark paid.
            "orders.view_*",
            "orders.change_order",
            "payments.view_payment",
            "payments.view_refund",
            "reviews.view_*",
            "reviews.change_*",
            "support.*",
            "loyalty.view_*",
            "social.view_*",
            "shares.view_*",
            "share_rewards.view_*",
            # The share-reward review queue: approve or reject purchases the fraud checks held back.
            "share_rewards.change_sharepurchase",
            "draws.view_*",
            "notifications.view_*",
            "dashboard.view_analytics",
            "dashboard.view_calendarevent",
        ),
        "deny": ("support.delete_*",),
    },
    MARKETING: {
        "allow": (
            "catalog.*",
            "loyalty.*",
            "social.view_*",
            "social.change_*",
            "reviews.view_*",
            "orders.view_shippingmethod",
            "share_rewards.*_sharecampaign",
            "share_rewards.*_sharetier",
            "shares.view_sharelink",
            "shares.view_postdailystat",
            "draws.*_draw",
            "perks.*",
            "recommend.view_recommendationstat",
            # Aggregates, the event calendar and exports of products and campaign results (no personal data).
            "dashboard.view_analytics",
            "dashboard.export_reports",
            "dashboard.*_calendarevent",
        ),
        # Member-level loyalty records (balances, ledgers, who used which coupon, answers) are customer data.
        "deny": (
            "catalog.delete_historical*",
            "catalog.change_historical*",
            "catalog.add_historical*",
            "loyalty.*_pointaccount",
            "loyalty.*_pointentry",
            "loyalty.*_rankchange",
            "loyalty.*_couponredemption",
            "loyalty.*_campaignrecipient",
            "loyalty.*_campaignclick",
            "loyalty.*_surveyresponse",
            "loyalty.*_surveyanswer",
        ),
    },
}


def role_permission_keys(role: str, available: set[str]) -> set[str]:
    """The "app_label.codename" of every available permission the role has."""
    rules = ROLES[role]

    def matches(key: str, patterns: tuple[str, ...]) -> bool:
        return any(fnmatchcase(key, pattern) for pattern in patterns)

    return {key for key in available if matches(key, rules["allow"]) and not matches(key, rules["deny"])}


def sync_roles(*, group_model, permission_model) -> dict[str, tuple[int, int]]:
    """Creates the groups and sets each one's permissions to exactly its role's; returns {role: (added, removed)}.

    Takes the model classes so the data migration can pass its historical models."""
    by_key = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list("pk", "content_type__app_label", "codename")
    }
    changes = {}
    for role in ROLES:
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = {by_key[key] for key in role_permission_keys(role, set(by_key))}
        current = set(group.permissions.values_list("pk", flat=True))
        group.permissions.add(*(wanted - current))
        group.permissions.remove(*(current - wanted))
        changes[role] = (len(wanted - current), len(current - wanted))
    return changes
