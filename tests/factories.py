"""factory_boy factories shared by the suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from knox.models import AuthToken

from carriers.models import Carrier, Device, Dispatcher, Driver


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    name = factory.Sequence(lambda n: f"Carrier {n}")


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Driver

    phone = factory.Sequence(lambda n: f"+7701{n:07d}")
    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..phone"))
    name = factory.Sequence(lambda n: f"Driver {n}")
    citizenship = "KZ"
    language = "ru"
    carrier = factory.SubFactory(CarrierFactory)


class DispatcherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispatcher

    user = factory.SubFactory(UserFactory, is_staff=True)
    carrier = factory.SubFactory(CarrierFactory)


def token_for(driver: Driver, device: str = "test phone") -> str:
    """A signed-in device for ``driver``; returns the raw token for the Authorization header."""
    instance, token = AuthToken.objects.create(user=driver.user)
    Device.objects.create(driver=driver, auth_token=instance, name=device)
    return token
