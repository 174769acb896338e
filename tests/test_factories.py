"""Every model has a factory, and each factory builds a row the product itself could have written."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command

from bangfu.audit.chain import verify_chain
from tests import factories

# Models owned by third-party apps are theirs to build; ours are listed by app label.
OUR_APPS = {"regions", "accounts", "audit", "policy", "registry"}
# Bookkeeping rows with no life of their own (a single row kept by the chain, created by a migration).
NOT_BUILT_BY_FACTORIES = {"AuditChainHead"}


def test_every_model_of_ours_has_a_factory() -> None:
    ours = {m.__name__ for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    covered = {
        f._meta.model.__name__
        for f in vars(factories).values()
        if isinstance(f, type) and issubclass(f, factories.DjangoModelFactory) and f._meta.model
    }
    assert ours - NOT_BUILT_BY_FACTORIES - covered == set()


@pytest.mark.django_db
def test_region_factory_keeps_twelve_digit_codes() -> None:
    codes = [factories.RegionFactory().code for _ in range(120)]
    assert {len(c) for c in codes} == {12}


@pytest.mark.django_db
def test_token_factory_issues_a_working_token() -> None:
    from django.test import Client

    from bangfu.accounts.models import Role

    region = factories.RegionFactory()
    token = factories.ApiTokenFactory(user=factories.UserFactory(role=Role.VILLAGE_TEAM, region=region))
    response = Client().get(f"/api/v1/regions/{region.code}", HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_audit_event_factory_keeps_the_chain_intact() -> None:
    factories.AuditEventFactory.create_batch(3)
    assert verify_chain().ok
    call_command("audit", "verify")


@pytest.mark.django_db
def test_member_factory_builds_valid_id_numbers_matching_birth_and_sex() -> None:
    from bangfu.core import idnumbers
    from bangfu.core.crypto import blind_index

    members = [factories.MemberFactory(sex=sex, relation="head") for sex in ("male", "female")]
    for member in members:
        member.refresh_from_db()
        parsed = idnumbers.parse(member.id_number)
        assert (parsed.birth_date, parsed.sex) == (member.birth_date, member.sex)
        assert member.id_number_index == blind_index(member.id_number, kind="id_number")
