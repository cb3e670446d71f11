"""Any change to a rule (or its products, categories, ranks) refreshes the cached copy the pages read: at once
(so the admin's next page shows it) and again after the commit (so a rolled-back edit is not kept)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import AccessRule
from .selectors import rules_refresh


def _refresh(**kwargs):
    rules_refresh()
    transaction.on_commit(rules_refresh)


post_save.connect(_refresh, sender=AccessRule, dispatch_uid="perks_rule_saved")
post_delete.connect(_refresh, sender=AccessRule, dispatch_uid="perks_rule_deleted")
for _through in (AccessRule.products.through, AccessRule.categories.through, AccessRule.ranks.through):
    m2m_changed.connect(_refresh, sender=_through, dispatch_uid=f"perks_rule_m2m_{_through.__name__}")


@receiver(post_save, sender="catalog.Category", dispatch_uid="perks_category_saved")
def _category_saved(sender, **kwargs):
    # A new sub-category belongs to rules on its parent.
    transaction.on_commit(rules_refresh)
