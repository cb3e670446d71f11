from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shop.catalog.receivers import expire_visitor_pages
from shop.orders.signals import order_delivered

from . import services, tasks
from .models import Review


@receiver(order_delivered, dispatch_uid="reviews_request_after_delivery")
def enqueue_review_request(sender, order_id, **kwargs):
    tasks.send_review_request.delay(order_id)


# Review stars and lists are on the catalogue pages visitors may see from the page cache.
post_save.connect(expire_visitor_pages, sender=Review, dispatch_uid="reviews_visitor_pages_saved")
post_delete.connect(expire_visitor_pages, sender=Review, dispatch_uid="reviews_visitor_pages_deleted")


@receiver(post_save, sender=Review, dispatch_uid="reviews_rating_saved")
@receiver(post_delete, sender=Review, dispatch_uid="reviews_rating_deleted")
def refresh_product_rating(sender, instance, **kwargs):
    """Every save and delete (the shopper's form, staff's admin form, an account deleted with its reviews), in the
    same transaction: the stars on cards never disagree with the reviews for longer than the change takes."""
    services.product_rating_refresh(product_id=instance.product_id)
