from celery import shared_task

from . import selectors


@shared_task
def refresh_rules() -> int:
    """Reloads the cached copy of the access rules that pages read; returns how many rules are in force."""
    return len(selectors.rules_refresh())
