"""Purchase checks that higher layers add to the cart and the checkout.

Rules such as members-only sales depend on follows (social), ranks (loyalty) and LINE links, which this layer may
not import. A higher app registers a check here from its AppConfig.ready(); the cart and the checkout run every
registered check, so a rule is enforced on the server however the request was made.
"""

from collections.abc import Callable, Iterable

# (user or None, variants with their product loaded) -> problems to show the shopper; empty when allowed.
PurchaseCheck = Callable[..., list[str]]

purchase_checks: list[PurchaseCheck] = []
# For each check that gave one: an SQL query that returns a row whenever the check may refuse something.
_needed_sql: dict[PurchaseCheck, str] = {}


def register_purchase_check(func: PurchaseCheck, *, needed_sql: str = "") -> PurchaseCheck:
    """Adds a check once (registering the same function again, e.g. on autoreload, changes nothing).

    needed_sql, a query without parameters that returns a row whenever the check may refuse something (e.g. "some
    rule is active"), lets the cart skip the check without a query of its own: it reads the answer in the statement
    that reads the item (`purchase_checks_needed_sql`), so a rule that has just become active holds at once."""
    if func not in purchase_checks:
        purchase_checks.append(func)
    if needed_sql:
        _needed_sql[func] = needed_sql
    return func


def purchase_checks_needed_sql() -> str:
    """An SQL boolean expression, true when purchase_problems() may find a problem (a check without needed_sql
    always may)."""
    if not purchase_checks:
        return "1 = 0"
    if any(check not in _needed_sql for check in purchase_checks):
        return "1 = 1"
    return " OR ".join(f"EXISTS ({_needed_sql[check]})" for check in purchase_checks)


def purchase_problems(*, user, variants: Iterable) -> list[str]:
    """What every registered check says about buying these variants (user is None for guests)."""
    variants = list(variants)
    member = user if user is not None and getattr(user, "is_authenticated", False) else None
    problems: list[str] = []
    for check in purchase_checks:
        problems.extend(check(member, variants))
    return problems
