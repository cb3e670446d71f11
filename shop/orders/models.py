import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shop.catalog.models import Variant
from shop.core.models import TimeStampedModel
from shop.core.money import Money, money_property


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


class ShippingMethod(models.Model):
    """How an order travels: fee, free-shipping threshold and the delivery estimate shown at checkout."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    fee = models.PositiveIntegerField(_("fee (tax incl.)"))
    free_over = models.PositiveIntegerField(
        _("free shipping from"), null=True, blank=True, help_text=_("Orders of this subtotal or more ship free.")
    )
    days_min = models.PositiveSmallIntegerField(_("delivery days (min)"), default=2)
    days_max = models.PositiveSmallIntegerField(_("delivery days (max)"), default=4)
    remote_extra_days = models.PositiveSmallIntegerField(_("extra days to Hokkaido and Okinawa"), default=1)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("position", "fee")
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")

    def __str__(self):
        return self.name


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        PAID = "paid", _("Paid")
        PROCESSING = "processing", _("Processing")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    class PaymentMethod(models.TextChoices):
        CARD = "card", _("Credit card")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        COD = "cod", _("Cash on delivery")

    number = models.CharField(_("order number"), max_length=20, unique=True)
    checkout_token = models.UUIDField(_("checkout token"), unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        related_name="orders",
        on_delete=models.SET_NULL,
    )
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=8, default="ja")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True
    )
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)

    ship_name = models.CharField(_("full name"), max_length=100)
    ship_postal_code = models.CharField(_("postal code"), max_length=8)
    ship_prefecture = models.CharField(_("prefecture"), max_length=10)
    ship_city = models.CharField(_("city"), max_length=100)
    ship_street = models.CharField(_("street address"), max_length=200)
    ship_building = models.CharField(_("building, room"), max_length=200, blank=True)
    ship_phone = models.CharField(_("phone"), max_length=15)

    shipping_method = models.ForeignKey(
        ShippingMethod, verbose_name=_("shipping method"), null=True, on_delete=models.SET_NULL
    )
    shipping_method_name = models.CharField(_("shipping method"), max_length=100)
    delivery_date_min = models.DateField(_("expected delivery from"))
    delivery_date_max = models.DateField(_("expected delivery by"))

    currency = models.CharField(_("currency"), max_length=3, default="JPY")
    subtotal = models.PositiveIntegerField(_("subtotal"))
    shipping_fee = models.PositiveIntegerField(_("shipping fee"))
    payment_fee = models.PositiveIntegerField(_("payment fee"), default=0)
    discount = models.PositiveIntegerField(_("discount"), default=0)
    # What the discount is made of (the loyalty app keeps the details): a coupon's code and points spent.
    coupon_code = models.CharField(_("coupon"), max_length=40, blank=True)
    points_used = models.PositiveIntegerField(_("points used"), default=0)
    total = models.PositiveIntegerField(_("total"))
    refunded_amount = models.PositiveIntegerField(_("refunded"), default=0)

    reserved_until = models.DateTimeField(_("stock reserved until"), null=True, blank=True)
    payment_due = models.DateField(_("payment due"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=50, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    flagged_reason = models.CharField(_("needs attention"), max_length=200, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation e-mail sent at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["status", "reserved_until"]), models.Index(fields=["email"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    total=models.F("subtotal")
                    + models.F("shipping_fee")
                    + models.F("payment_fee")
                    - models.F("discount")
                ),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("total")), name="order_refund_not_over_total"
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:order_detail", kwargs={"number": self.number})

    total_money = money_property("total")
    subtotal_money = money_property("subtotal")
    shipping_fee_money = money_property("shipping_fee")
    payment_fee_money = money_property("payment_fee")
    discount_money = money_property("discount")
    refunded_money = money_property("refunded_amount")
    points_used_money = money_property("points_used")

    @property
    def coupon_discount_money(self) -> Money:
        return Money(self.discount - self.points_used, self.currency)

    @property
    def ship_address_lines(self) -> list[str]:
        return [
            f"〒{self.ship_postal_code}",
            f"{self.ship_prefecture}{self.ship_city}{self.ship_street}",
            self.ship_building,
            self.ship_name,
            self.ship_phone,
        ]


class OrderLine(models.Model):
    """What was bought, copied at the time of the order so later catalogue edits do not change it."""

    order = models.ForeignKey(Order, verbose_name=_("order"), related_name="lines", on_delete=models.CASCADE)
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    sku = models.CharField(_("SKU"), max_length=64)
    product_name = models.CharField(_("product"), max_length=200)
    variant_label = models.CharField(_("variant"), max_length=60, blank=True)
    unit_price = models.PositiveIntegerField(_("unit price"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ("id",)
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive")]

    def __str__(self):
        return f"{self.product_name} {self.variant_label} × {self.quantity}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def line_total_money(self) -> Money:
        return Money(self.line_total, self.order.currency)

    @property
    def unit_price_money(self) -> Money:
        return Money(self.unit_price, self.order.currency)


class OrderEvent(models.Model):
    """One entry of an order's timeline: every status change and every action, with who and when."""

    order = models.ForeignKey(Order, verbose_name=_("order"), related_name="events", on_delete=models.CASCADE)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Order.Status.choices, blank=True)
    message = models.CharField(_("message"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    actor_label = models.CharField(_("by"), max_length=100, default="system")
    is_public = models.BooleanField(_("shown to the customer"), default=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self):
        return f"{self.order.number}: {self.message}"
