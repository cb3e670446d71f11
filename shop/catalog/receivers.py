from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shop.core.local_copies import local_forget
from shop.core.page_cache import visitor_pages_expire

from . import tasks
from .models import Category, Feature, Product, ProductImage, Variant
from .selectors import CATEGORY_TREE_CACHE_KEY, on_sale_counts_forget


@receiver(post_save, sender=ProductImage, dispatch_uid="catalog_image_renditions")
def enqueue_renditions(sender, instance: ProductImage, **kwargs):
    if instance.image and not instance.renditions_ready:
        transaction.on_commit(lambda: tasks.product_image_make_renditions.delay(instance.pk))


@receiver(post_save, sender=Category, dispatch_uid="catalog_category_tree_saved")
@receiver(post_delete, sender=Category, dispatch_uid="catalog_category_tree_deleted")
def forget_category_tree(sender, **kwargs):
    """Navigation shows the change on the next page: now, and again at commit (a page may have cached the old tree
    in between)."""
    _forget_category_tree()
    transaction.on_commit(_forget_category_tree)


def _forget_category_tree():
    cache.delete(CATEGORY_TREE_CACHE_KEY)
    local_forget(CATEGORY_TREE_CACHE_KEY)


@receiver(post_save, sender=Product, dispatch_uid="catalog_on_sale_counts_saved")
@receiver(post_delete, sender=Product, dispatch_uid="catalog_on_sale_counts_deleted")
def forget_on_sale_counts(sender, **kwargs):
    """Listing totals follow a product put on or taken off sale at once: now, and again at commit (a page may have
    counted the old rows in between)."""
    on_sale_counts_forget()
    transaction.on_commit(on_sale_counts_forget)


def expire_visitor_pages(sender, **kwargs):
    """A staff edit shows at once to visitors too: now, and again at commit (a page may have been cached from the
    old rows in between)."""
    visitor_pages_expire()
    transaction.on_commit(visitor_pages_expire)


for model in (Product, Variant, ProductImage, Category, Feature):
    post_save.connect(expire_visitor_pages, sender=model, dispatch_uid=f"catalog_visitor_pages_{model.__name__}_saved")
    post_delete.connect(
        expire_visitor_pages, sender=model, dispatch_uid=f"catalog_visitor_pages_{model.__name__}_deleted"
    )
