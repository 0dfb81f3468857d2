from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from fenrun.catalog.models import Category, Product, ProductImage
from fenrun.core.money import format_twd
from fenrun.core.permissions import Capability, CapabilityAdminMixin

CATALOGUE = {
    "view": Capability.MANAGE_CATALOGUE,
    "add": Capability.MANAGE_CATALOGUE,
    "change": Capability.MANAGE_CATALOGUE,
    "delete": Capability.MANAGE_CATALOGUE,
}


@admin.register(Category)
class CategoryAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = CATALOGUE
    list_display = ("name", "slug", "parent", "product_count", "sort_order", "is_active")
    list_display_links = ("name",)
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active", "parent")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("products"))

    @display(description=_("products"), ordering="_product_count")
    def product_count(self, obj):
        return obj._product_count


class ProductImageInline(CapabilityAdminMixin, TabularInline):
    capabilities = CATALOGUE
    model = ProductImage
    extra = 0
    fields = ("image", "alt", "sort_order")


@admin.register(Product)
class ProductAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = CATALOGUE
    list_display = ("name", "category", "price_display", "stock", "is_active", "updated_at")
    list_display_links = ("name",)
    list_editable = ("stock", "is_active")
    list_filter = ("is_active", "category")
    list_select_related = ("category",)
    search_fields = ("name", "slug", "summary", "description")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    inlines = (ProductImageInline,)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "summary", "description")}),
        (_("Price and stock"), {"fields": ("price", "compare_at_price", "stock", "is_active")}),
        (_("Search engines and sharing"), {"fields": ("seo_description", "seo_keywords")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    @display(description=_("price"), ordering="price")
    def price_display(self, obj):
        return format_twd(obj.price)
