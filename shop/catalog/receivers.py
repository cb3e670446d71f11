from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import tasks
from .models import ProductImage


@receiver(post_save, sender=ProductImage, dispatch_uid="catalog_image_renditions")
def enqueue_renditions(sender, instance: ProductImage, **kwargs):
    if instance.image and not instance.renditions_ready:
        transaction.on_commit(lambda: tasks.product_image_make_renditions.delay(instance.pk))
