"""Purchase checks that higher layers add to the cart and the checkout.

Rules such as members-only sales depend on follows (social), ranks (loyalty) and LINE links, which this layer may
not import. A higher app registers a check here from its AppConfig.ready(); the cart and the checkout run every
registered check, so a rule is enforced on the server however the request was made.
"""

from collections.abc import Callable, Iterable

# (user or None, variants with their product loaded) -> problems to show the shopper; empty when allowed.
PurchaseCheck = Callable[..., list[str]]

purchase_checks: list[PurchaseCheck] = []


def register_purchase_check(func: PurchaseCheck) -> PurchaseCheck:
    """Adds a check once (registering the same function again, e.g. on autoreload, changes nothing)."""
    if func not in purchase_checks:
        purchase_checks.append(func)
    return func


def purchase_problems(*, user, variants: Iterable) -> list[str]:
    """What every registered check says about buying these variants (user is None for guests)."""
    variants = list(variants)
    member = user if user is not None and getattr(user, "is_authenticated", False) else None
    problems: list[str] = []
    for check in purchase_checks:
        problems.extend(check(member, variants))
    return problems
