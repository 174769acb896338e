"""A factory per model (factory_boy). Models with an audited or append-only life are built through their
services, so a factory never produces a row the product could not have written itself."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from bangfu.accounts.models import ApiToken, PasswordHistory, Role, User
from bangfu.audit.models import AuditEvent
from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from bangfu.regions.models import Region

TEST_PASSWORD = "Bangfu-test-2026"  # satisfies the password policy: length and three character classes


class RegionFactory(DjangoModelFactory[Region]):
    """Villages of a made-up town of 汉滨区; codes stay 12 digits for the first 999 of them."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"610902900{n % 999 + 1:03d}")
    name = factory.Sequence(lambda n: f"测试村{n}")


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


class PasswordHistoryFactory(DjangoModelFactory[PasswordHistory]):
    class Meta:
        model = PasswordHistory

    user = factory.SubFactory(UserFactory)
    password = factory.LazyFunction(lambda: make_password("Earlier-pass-2025"))


class ApiTokenFactory(DjangoModelFactory[ApiToken]):
    """Issued through ``accounts.tokens.create_token``; the raw token is kept on ``.raw`` for the test."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = "测试令牌"

    @classmethod
    def _create(cls, model_class: type[ApiToken], *args: Any, **kwargs: Any) -> ApiToken:
        from bangfu.accounts.tokens import create_token

        issued = create_token(user=kwargs["user"], name=kwargs["name"], by=None)
        issued.token.raw = issued.raw  # type: ignore[attr-defined]
        return issued.token


class PolicyValueFactory(DjangoModelFactory[PolicyValue]):
    """A new version of a policy parameter (append-only: a factory only ever inserts)."""

    class Meta:
        model = PolicyValue

    key = "monitoring_line"
    region_prefix = "6109"
    effective_from = date(2026, 1, 1)
    value = 8000
    source_note = "测试数据"


class OfficialCalendarYearFactory(DjangoModelFactory[OfficialCalendarYear]):
    class Meta:
        model = OfficialCalendarYear

    year = 2027
    version = factory.Sequence(lambda n: n + 1)
    holidays: Any = factory.LazyFunction(lambda: ["2027-01-01"])
    workdays: Any = factory.LazyFunction(list)
    source_note = "测试数据"


class AuditEventFactory(DjangoModelFactory[AuditEvent]):
    """Appended through ``audit.events.security`` so the hash chain stays intact."""

    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory)
    action = "example"

    @classmethod
    def _create(cls, model_class: type[AuditEvent], *args: Any, **kwargs: Any) -> AuditEvent:
        from bangfu.audit import events

        return events.security(actor=kwargs["actor"], action=kwargs["action"], obj=kwargs["actor"])
