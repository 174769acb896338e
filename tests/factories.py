"""A factory per model (factory_boy). Later apps add theirs here."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bangfu.accounts.models import Role, User
from bangfu.regions.models import Region

TEST_PASSWORD = "Bangfu-test-2026"  # satisfies the password policy: length and three character classes


class RegionFactory(DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"6109{n:02d}000000")
    name = factory.Sequence(lambda n: f"区域{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.VILLAGE_TEAM
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()
