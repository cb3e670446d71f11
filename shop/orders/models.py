import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.catalog.models import Variant
from shop.core.models import TimeStampedModel


class Cart(TimeStampedModel):
    """A signed-in shopper has one cart (by user); a guest's cart is found by the token kept in their session."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        related_name="cart",
        on_delete=models.CASCADE,
    )
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self):
        return str(self.user) if self.user_id else f"guest {self.token}"


class CartLine(TimeStampedModel):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), related_name="+", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_one_per_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.variant} × {self.quantity}"
