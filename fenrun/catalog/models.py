from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A node of the nested catalogue (e.g. 蔬果 › 當季水果)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="category_not_own_parent"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:category", args=[self.slug])

    def ancestors(self) -> list["Category"]:
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))

    def descendant_ids(self) -> list[int]:
        """This category and every category below it (catalogues are small: a few hundred)."""
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in Category.objects.values_list("id", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        result, stack = [], [self.pk]
        while stack:
            pk = stack.pop()
            if pk in result:
                continue
            result.append(pk)
            stack.extend(children.get(pk, []))
        return result


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def search(self, query: str):
        query = (query or "").strip()
        if not query:
            return self
        terms = query.split()
        condition = Q()
        for term in terms[:5]:
            condition &= (
                Q(name__icontains=term)
                | Q(summary__icontains=term)
                | Q(description__icontains=term)
                | Q(category__name__icontains=term)
            )
        return self.filter(condition)


class Product(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    compare_at_price = models.DecimalField(
        _("original price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    stock = models.PositiveIntegerField(_("stock"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)
    seo_keywords = models.CharField(_("SEO keywords"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["category__sort_order", "name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["is_active", "category"], name="product_active_category")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="product_stock_not_negative"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:product", args=[self.slug])

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def main_image(self):
        images = list(self.images.all())
        return images[0] if images else None

    @property
    def share_description(self) -> str:
        return self.seo_description or self.summary or self.description[:150]

    @property
    def discount_percent(self) -> int | None:
        if self.compare_at_price and self.compare_at_price > self.price:
            return int((Decimal(1) - self.price / self.compare_at_price) * 100)
        return None


class ProductImage(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(_("image"), upload_to="products/")
    alt = models.CharField(_("alternative text"), max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self):
        return self.alt or self.image.name
