"""Loading the synthetic population into the database: rows readable through the ORM, the same rows the
generator produces, one summary audit event, no duplicate on a re-run, a refusal for another size."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from bangfu.audit.models import AuditEvent
from bangfu.core import crypto
from bangfu.demo import bulkload
from bangfu.demo.population import COUNTY_WEIGHTS, Settings, plan
from bangfu.demo.services import (
    POPULATION_OPERATION,
    PopulationRefused,
    demo_villages,
    existing_population,
    load_population,
)
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.services import ensure_demo_regions
from bangfu.registry import models as registry
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
YEAR = 2026
HOUSEHOLDS = 300


@pytest.fixture
def demo_regions() -> None:
    ensure_demo_regions()


@pytest.fixture
def loaded(demo_regions: None) -> None:
    # In this process: forking under the test runner's threads is what these tests need least; the one test
    # of the forked workers loads with two of them itself.
    load_population(households=HOUSEHOLDS, seed=3, year=YEAR, workers=1)


@pytest.fixture
def loaded_by_workers(demo_regions: None) -> None:
    load_population(households=HOUSEHOLDS, seed=3, year=YEAR, workers=2)


def constraint_names() -> set[tuple[str, str]]:
    """Every index, unique constraint and foreign key of the loaded tables, with its kind."""
    tables = [model._meta.db_table for model in bulkload.MODELS.values()]
    with connection.cursor() as cursor:
        return {
            (name, "foreign key" if info["foreign_key"] else "index")
            for table in tables
            for name, info in connection.introspection.get_constraints(cursor, table).items()
            if info["index"] or info["unique"] or info["foreign_key"]
        }


def test_loaded_members_and_households_read_through_the_orm(loaded: None) -> None:
    assert registry.Household.objects.count() == HOUSEHOLDS
    member = registry.Member.objects.select_related("household").order_by("id").first()
    assert member is not None
    # The field decrypts with its own column context, and the blind index finds the member again.
    assert member.id_number_index == crypto.blind_index(member.id_number, kind="id_number")
    found = registry.Member.objects.get(
        id_number_index=crypto.blind_index(member.id_number, kind="id_number")
    )
    assert found.pk == member.pk
    assert member.source == registry.Source.DEMO
    assert member.region_code == member.household.region_code
    household = registry.Household.objects.exclude(phone_index="").order_by("id").first()
    assert household is not None
    assert (household.phone or "").startswith("140")
    assert (
        registry.Household.objects.get(phone_index=crypto.blind_index(household.phone, kind="phone"))
        == household
    )


def test_every_row_sits_on_a_real_village_of_the_city(loaded: None) -> None:
    villages = set(
        Region.objects.filter(code__startswith="6109", level=Level.VILLAGE).values_list("code", flat=True)
    )
    for model in bulkload.MODELS.values():
        codes = set(model._default_manager.values_list("region_code", flat=True).distinct())
        assert codes <= villages, model
    # 汉滨区, the largest district, holds the most households.
    by_county = {
        c: registry.Household.objects.filter(region_code__startswith=c).count() for c in COUNTY_WEIGHTS
    }
    assert max(by_county, key=by_county.__getitem__) == "610902"
    assert sum(by_county.values()) == HOUSEHOLDS


def test_generated_columns_are_computed_by_the_database(loaded: None) -> None:
    for statement in registry.IncomeStatement.objects.order_by("id")[:50]:
        net = (
            statement.wages
            + statement.business
            + statement.property
            + statement.transfers
            - statement.business_expenditure
        )
        assert statement.net_income == net
        # Both databases round halves away from zero.
        per_capita = (net / statement.household_size).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert statement.net_income_per_capita == per_capita
        assert statement.household_size == statement.household.members.current().count()


def test_database_rows_are_the_generators_rows(loaded_by_workers: None) -> None:
    """The same plan generated again in this process gives exactly what the two workers wrote."""
    settings = Settings(seed=3, year=YEAR, created_at="", id_context="", phone_context="")
    units = plan(households=HOUSEHOLDS, seed=3, villages=demo_villages())
    expected = hashlib.sha256()
    for batch in bulkload.generate(units, settings, workers=1):
        for row in batch.rows["member"]:
            # id, household, region, name, (token, index), sex, birth date, relation, …
            expected.update(repr((row[0], row[1], row[3], row[5], row[6], row[7], row[8])).encode())
    stored = hashlib.sha256()
    for row in registry.Member.objects.order_by("id").values_list(
        "id", "household_id", "name", "id_number_index", "sex", "birth_date", "relation"
    ):
        member_id, household_id, name, index, sex, birth, relation = row
        stored.update(repr((member_id, household_id, name, index, sex, birth.isoformat(), relation)).encode())
    assert stored.hexdigest() == expected.hexdigest()


def test_the_load_writes_one_summary_audit_event(loaded: None) -> None:
    event = AuditEvent.objects.get(operation=POPULATION_OPERATION)
    detail = event.data["detail"]
    assert detail["households"] == HOUSEHOLDS
    assert detail["seed"] == 3
    assert detail["year"] == YEAR
    assert detail["rows"]["member"] == registry.Member.objects.count()
    assert detail["rows"]["incomeline"] == registry.IncomeLine.objects.count()
    # Nothing else about the population went into the trail: no event per household or member.
    assert not AuditEvent.objects.filter(object_type__startswith="registry.").exists()


def test_loading_the_same_population_again_changes_nothing(loaded: None) -> None:
    members = registry.Member.objects.count()
    result = load_population(households=HOUSEHOLDS, seed=3, year=YEAR)
    assert result.created is False
    assert result.population == existing_population()
    assert registry.Member.objects.count() == members
    assert AuditEvent.objects.filter(operation=POPULATION_OPERATION).count() == 1
    # Asking for "whatever is there" is the same as asking for it exactly.
    assert load_population(households=None, seed=None, year=YEAR).created is False


@pytest.mark.parametrize(("households", "seed"), [(HOUSEHOLDS + 1, 3), (HOUSEHOLDS, 4)])
def test_another_size_or_seed_on_an_existing_population_is_refused(
    loaded: None, households: int, seed: int
) -> None:
    with pytest.raises(PopulationRefused, match="数据库中已有演示人口（300 户，随机种子 3）"):
        load_population(households=households, seed=seed, year=YEAR)
    assert registry.Household.objects.count() == HOUSEHOLDS


def test_demo_rows_without_their_event_are_refused(demo_regions: None) -> None:
    HouseholdFactory(source=registry.Source.DEMO)
    with pytest.raises(PopulationRefused, match="没有生成记录"):
        load_population(households=10, seed=1, year=YEAR)


def test_the_load_appends_after_existing_rows_and_new_rows_follow_it(demo_regions: None) -> None:
    before = HouseholdFactory.create(region_code="610902001001")
    load_population(households=50, seed=1, year=YEAR, workers=1)
    ids = list(registry.Household.objects.order_by("id").values_list("id", flat=True))
    assert ids[0] == before.pk
    assert ids[1] == before.pk + 1
    # The id sequences continue after the loaded rows (PostgreSQL's identity sequences are reset).
    after = HouseholdFactory.create(region_code="610902001001")
    assert after.pk > ids[-1]


def test_rebuilt_indexes_are_back_and_still_enforce_uniqueness(demo_regions: None) -> None:
    names = constraint_names()
    assert ("registry_member_one_current_household", "index") in names
    load_population(households=60, seed=2, year=YEAR, workers=1, rebuild_indexes=True)
    assert constraint_names() == names
    member = registry.Member.objects.filter(left_on__isnull=True).first()
    assert member is not None
    twin = registry.Member.objects.filter(household=member.household).exclude(pk=member.pk).first() or member
    with pytest.raises(IntegrityError), transaction.atomic():
        registry.Member.objects.create(
            household=twin.household,
            region_code=twin.region_code,
            name="重复",
            id_number=member.id_number,
            id_number_index=member.id_number_index,
            sex=member.sex,
            birth_date=member.birth_date,
            relation="other",
        )


def test_every_foreign_key_points_at_a_row(loaded: None) -> None:
    # SQLite loads without enforcing foreign keys (see bulkload) and PostgreSQL enforces them; on both, the
    # plan's explicit ids must link up: no row of the registry points at a missing one.
    from django.apps import apps
    from django.db.models import Exists, OuterRef

    dangling = {}
    for model in apps.get_app_config("registry").get_models():
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.related_model is None:
                continue
            target = field.related_model._default_manager.filter(pk=OuterRef(field.attname))
            rows = model._default_manager.filter(**{f"{field.attname}__isnull": False}).exclude(
                Exists(target)
            )
            dangling[f"{model.__name__}.{field.name}"] = rows.count()
    assert "Member.household" in dangling
    assert set(dangling.values()) == {0}, dangling


def test_zero_households_loads_nothing(demo_regions: None) -> None:
    result = load_population(households=0, seed=1, year=YEAR)
    assert result.created is False
    assert not registry.Household.objects.exists()
    assert existing_population() is None


def test_programmes_employment_and_indicators_are_dated_in_the_past(loaded: None) -> None:
    today = dt.date(YEAR, 1, 1)
    assert registry.ProgrammeEnrolment.objects.filter(start_date__gte=today).count() == 0
    assert registry.Employment.objects.filter(start_date__gte=today).count() == 0
    assert registry.IndicatorObservation.objects.filter(observed_on__gte=today).count() == 0
    assert registry.HouseholdYear.objects.count() == 2 * HOUSEHOLDS


def test_a_population_needs_the_citys_villages() -> None:
    with pytest.raises(PopulationRefused, match="没有安康市的村级区划"):
        load_population(households=10, seed=1, year=YEAR)
    assert not registry.Household.objects.exists()
