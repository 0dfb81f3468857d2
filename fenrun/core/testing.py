"""Factories shared by every app's tests."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from fenrun.catalog.models import Category, Product
from fenrun.orders.models import ShippingMethod
from fenrun.orders.services import Recipient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    name = factory.Sequence(lambda n: f"會員{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分類{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("500")
    stock = 10


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod
        django_get_or_create = ("code",)

    code = "home"
    name = "宅配"
    kind = ShippingMethod.Kind.HOME
    fee = Decimal("100")
    free_threshold = Decimal("1500")


def home_recipient(**overrides) -> Recipient:
    data = dict(
        name="王小明",
        phone="0912345678",
        email="buyer@example.com",
        county="臺北市",
        district="大安區",
        street="復興南路一段1號",
        postal_code="106",
    )
    data.update(overrides)
    return Recipient(**data)
