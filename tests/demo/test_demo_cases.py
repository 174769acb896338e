"""The demo's cases: households of the demo village along the identification procedure, made once through
the services a cadre uses."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.demo.cases import seed_demo_cases
from bangfu.monitoring.models import CaseState, Lead, MonitoringCase, OverdueDigest, Visit
from bangfu.registry.models import Household
from tests.factories import HouseholdFactory, MemberFactory, ensure_measure_catalogue, ensure_national_policy

pytestmark = pytest.mark.django_db
ALLOW = [] if connection.vendor == "sqlite" else ["--allow-non-sqlite"]


@pytest.fixture(autouse=True)
def migration_data(db: None) -> None:
    """The demo relies on what the migrations seed (national code tables, the measure catalogue); a
    transactional test before this one may have emptied the tables."""
    ensure_national_policy()
    ensure_measure_catalogue()


def test_the_demo_village_has_cases_at_several_steps() -> None:
    call_command("demo", "--no-serve", "--households", "0", *ALLOW)
    village = User.objects.get(username="demo_village").region
    assert village is not None
    for number in range(6):
        MemberFactory(household=HouseholdFactory(region_code=village.code, household_number=f"D{number}"))
    made = seed_demo_cases(on=timezone.localdate())
    assert (made.cases, made.leads) == (5, 1)
    states = sorted(MonitoringCase.objects.values_list("state", flat=True))
    assert states == sorted(
        [
            CaseState.MONITORED,
            CaseState.ELIMINATION_APPRAISAL,
            CaseState.TOWN_REVIEW,
            CaseState.APPLICATION,
            CaseState.APPLICATION,
        ]
    )
    assert Visit.objects.count() == 2
    assert Lead.objects.filter(status="pending").count() == 1
    assert OverdueDigest.objects.filter(region_code=village.code[:9] + "000").exists()
    assert seed_demo_cases(on=timezone.localdate()).cases == 0  # made once
    board = Client()
    board.force_login(User.objects.get(username="demo_town"))
    assert "data-late" in board.get("/cases/").content.decode()


def test_the_demo_command_seeds_what_the_village_allows(capsys: pytest.CaptureFixture[str]) -> None:
    # One generating process: a fork inside the test worker is what the other demo tests already exercise.
    call_command("demo", "--no-serve", "--households", "400", "--seed", "3", "--workers", "1", *ALLOW)
    out = capsys.readouterr().out
    village = User.objects.get(username="demo_village").region
    assert village is not None
    # One case per household of the demo village, in the scenarios' order (the sixth is a self-report).
    households = Household.objects.filter(region_code=village.code).count()
    assert households >= 1
    assert MonitoringCase.objects.filter(region_code=village.code).count() == min(households, 5)
    assert MonitoringCase.objects.exclude(region_code=village.code).count() == 0
    assert MonitoringCase.objects.order_by("id").values_list("state", flat=True)[0] == CaseState.MONITORED
    assert f"监测对象识别：演示村 {min(households, 5)} 户在办" in out
