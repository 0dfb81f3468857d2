from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenrun.catalog.models import Product
from fenrun.core.validators import validate_tw_mobile, validate_tw_postal_code
from fenrun.orders.status import OrderStatus

MONEY = {"max_digits": 12, "decimal_places": 2}


class Cart(models.Model):
    """A member's cart (kept across logins) or a guest's (bound to the session)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(session_key__isnull=False),
                name="cart_has_owner",
            )
        ]

    def __str__(self):
        return f"cart of {self.user or self.session_key}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"


class ShippingMethod(models.Model):
    class Kind(models.TextChoices):
        HOME = "home", _("Home delivery")
        CVS = "cvs", _("Convenience-store pickup")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    fee = models.DecimalField(_("fee"), **MONEY)
    free_threshold = models.DecimalField(
        _("free shipping from"),
        null=True,
        blank=True,
        help_text=_("Goods total from which shipping is free; empty for never."),
        **MONEY,
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        constraints = [
            models.CheckConstraint(condition=Q(fee__gte=0), name="shipping_fee_not_negative")
        ]

    def __str__(self):
        return self.name


class PaymentMethod(models.TextChoices):
    ATM = "atm", _("ATM bank transfer")
    COD = "cod", _("Cash on delivery")
    GATEWAY = "gateway", _("Credit card (payment gateway)")


class Carrier(models.TextChoices):
    """Who carries a parcel in Taiwan; the label is what buyers know the carrier as."""

    TCAT = "tcat", _("T-Cat (Black Cat)")
    HCT = "hct", _("Hsinchu Logistics (HCT)")
    POST = "post", _("Chunghwa Post")
    SEVEN_ELEVEN = "seven_eleven", _("7-ELEVEN parcel delivery")
    FAMILYMART = "familymart", _("FamilyMart store-to-store")
    HILIFE = "hilife", _("Hi-Life")
    OKMART = "okmart", _("OK mart")
    OTHER = "other", _("Other")


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    source = models.CharField(
        _("source"), max_length=40, default="web", help_text=_("web, api or an integrator's name")
    )
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    # The checkout form's one-time token: a second submission of the same form finds this
    # order instead of placing another (unique below). Empty for API and integrator orders.
    checkout_token = models.CharField(max_length=64, blank=True, editable=False)

    recipient_name = models.CharField(_("recipient name"), max_length=60)
    recipient_phone = models.CharField(
        _("recipient mobile"), max_length=10, validators=[validate_tw_mobile]
    )
    county = models.CharField(_("county / city"), max_length=10, blank=True)
    district = models.CharField(_("district"), max_length=10, blank=True)
    street = models.CharField(_("street address"), max_length=120, blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=6, blank=True, validators=[validate_tw_postal_code]
    )
    shipping_method = models.ForeignKey(
        ShippingMethod, verbose_name=_("shipping method"), on_delete=models.PROTECT
    )
    cvs_store_name = models.CharField(_("store name"), max_length=60, blank=True)
    cvs_store_id = models.CharField(_("store id"), max_length=20, blank=True)
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices
    )
    payment_reference = models.CharField(
        _("payment reference"), max_length=20, blank=True, db_index=True
    )
    # Which provider and method an online payment goes through ("ecpay.atm", "linepay.linepay"):
    # the buyer chose it at checkout, and "pay again" opens the same kind of payment.
    payment_option = models.CharField(_("online payment option"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    carrier = models.CharField(_("carrier"), max_length=20, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)

    goods_total = models.DecimalField(_("goods"), **MONEY)
    discount_total = models.DecimalField(_("discount"), default=0, **MONEY)
    shipping_fee = models.DecimalField(_("shipping"), **MONEY)
    credit_used = models.DecimalField(_("shopping credit used"), default=0, **MONEY)
    # Whether credit may pay shipping is a wallet setting that can change after placement; the
    # commission base needs the split the order was actually paid with.
    credit_on_shipping = models.DecimalField(
        _("shopping credit on shipping"),
        default=0,
        help_text=_(
            "The part of the shopping credit used that paid shipping; the rest paid goods."
        ),
        **MONEY,
    )
    grand_total = models.DecimalField(_("total"), **MONEY)

    placed_at = models.DateTimeField(_("placed"), auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    pay_by = models.DateTimeField(
        _("pay by"),
        null=True,
        blank=True,
        help_text=_("Unpaid by then, the order is cancelled and its stock and credit returned."),
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["user", "-placed_at"], name="order_user_placed"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(goods_total__gte=0)
                & Q(discount_total__gte=0)
                & Q(shipping_fee__gte=0)
                & Q(credit_used__gte=0)
                & Q(grand_total__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    grand_total=F("goods_total")
                    - F("discount_total")
                    + F("shipping_fee")
                    - F("credit_used")
                ),
                name="order_grand_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(credit_on_shipping__gte=0)
                & Q(credit_on_shipping__lte=F("credit_used"))
                & Q(credit_on_shipping__lte=F("shipping_fee")),
                name="order_credit_on_shipping_within_credit_and_fee",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_known"
            ),
            models.CheckConstraint(
                condition=Q(carrier__in=["", *Carrier.values]), name="order_carrier_known"
            ),
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~Q(external_ref=""),
                name="order_external_ref_unique_per_source",
            ),
            models.UniqueConstraint(
                fields=["checkout_token"],
                condition=~Q(checkout_token=""),
                name="order_checkout_token_unique",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def status_label(self) -> str:
        return OrderStatus(self.status).label

    @property
    def carrier_label(self) -> str:
        return Carrier(self.carrier).label if self.carrier else ""

    @property
    def is_cvs(self) -> bool:
        return self.shipping_method.kind == ShippingMethod.Kind.CVS

    @property
    def payment_label(self) -> str:
        """How the buyer chose to pay: the online method's own name (信用卡（綠界）) if any."""
        if self.payment_option:
            from fenrun.orders.gateways import REGISTRY, split_option

            provider, method = split_option(self.payment_option)
            cls = REGISTRY.get(provider)
            gateway = cls() if cls else None
            option = gateway.method(method) if gateway else None
            if option is not None:
                return str(option.label)
        return self.get_payment_method_display()

    @property
    def issued_payment(self):
        """The open payment whose provider issued where to pay it (ATM account, store code)."""
        return next(
            (p for p in self.payments.all() if p.status == "started" and p.instructions), None
        )

    @property
    def address_line(self) -> str:
        if self.cvs_store_name:
            return f"{self.shipping_method.name} {self.cvs_store_name} ({self.cvs_store_id})"
        return f"{self.postal_code} {self.county}{self.district}{self.street}"


class OrderLine(models.Model):
    """A snapshot of what was bought: later price or name changes do not touch it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    product_name = models.CharField(_("product"), max_length=120)
    product_slug = models.CharField(max_length=120, blank=True)
    category_id_snapshot = models.BigIntegerField(null=True, blank=True)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), **MONEY)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="order_line_total_adds_up",
            ),
        ]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"


class OrderStatusChange(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"


class Payment(models.Model):
    """One attempt to pay an order through a gateway, and what the gateway said.

    An order is paid by one payment at most (a constraint). A success that arrives for an order
    that no longer needs paying (a second payment of it, or it was paid or cancelled meanwhile)
    is a charge the buyer must get back: it becomes a *duplicate*, refunded through the gateway
    when it can refund, else left for staff; once the money is back it is *refunded*.
    """

    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        DUPLICATE = "duplicate", _("Duplicate charge, to refund")
        REFUNDED = "refunded", _("Duplicate charge, refunded")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=30)
    method = models.CharField(_("method"), max_length=20, blank=True)
    # Ours, sent to the provider (ECPay's MerchantTradeNo, LINE Pay's orderId).
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    # The provider's own (ECPay's TradeNo, LINE Pay's transactionId): refunds name it.
    provider_reference = models.CharField(_("provider reference"), max_length=64, blank=True)
    # Where a deferred payment is to be paid (bank code and virtual account, store code), shown
    # to the buyer until it is paid; ``expires_at`` is the provider's deadline for it.
    instructions = models.JSONField(_("payment instructions"), default=dict, blank=True)
    expires_at = models.DateTimeField(_("pay by (provider)"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.STARTED
    )
    payload = models.JSONField(_("gateway data"), default=dict, blank=True)
    refund_reference = models.CharField(_("refund reference"), max_length=64, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    refund_note = models.CharField(
        _("refund note"),
        max_length=300,
        blank=True,
        help_text=_("Why the refund is waiting for staff, or how staff refunded it."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["started", "succeeded", "failed", "duplicate", "refunded"]),
                name="payment_status_known",
            ),
            # The money guarantee behind the duplicate-charge handling: two successes can
            # never both count as paying one order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="succeeded"),
                name="payment_one_success_per_order",
            ),
            models.CheckConstraint(
                condition=Q(status="refunded", refunded_at__isnull=False) | ~Q(status="refunded"),
                name="payment_refunded_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.gateway} {self.reference} {self.status}"


class PaymentProvider(models.Model):
    """A payment provider's settings, entered by staff: on or off, which methods, which keys.

    The keys are stored encrypted (``fenrun.core.secrets``), or left empty here and given in
    the environment (see docs/payments.md), which then wins.
    """

    class Mode(models.TextChoices):
        STANDIN = "standin", _("Local stand-in (demo, no real provider)")
        TEST = "test", _("Provider's test environment")
        PRODUCTION = "production", _("Production (real money)")

    code = models.CharField(_("provider"), max_length=20, unique=True)
    is_enabled = models.BooleanField(_("enabled"), default=False)
    mode = models.CharField(_("environment"), max_length=12, choices=Mode.choices, default="test")
    merchant_id = models.CharField(
        _("merchant id"),
        max_length=40,
        blank=True,
        help_text=_("ECPay MerchantID; LINE Pay Channel ID."),
    )
    key_encrypted = models.TextField(blank=True, editable=False)
    iv_encrypted = models.TextField(blank=True, editable=False)
    methods = models.JSONField(
        _("enabled methods"),
        default=list,
        blank=True,
        help_text=_("The methods buyers may choose."),
    )
    installments = models.JSONField(
        _("card installments"),
        default=list,
        blank=True,
        help_text=_("Numbers of instalments offered for cards (3, 6, 12); empty for one-off only."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("payment provider")
        verbose_name_plural = _("payment providers")
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=["standin", "test", "production"]),
                name="payment_provider_mode_known",
            )
        ]

    def __str__(self):
        return self.code
