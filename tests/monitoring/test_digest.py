"""The daily digest of late identification work per town and county, and the board's pipeline per region."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.monitoring import digest, identification
from bangfu.monitoring.models import OverdueDigest
from tests.factories import HouseholdFactory, MemberFactory, ensure_procedure_policy

pytestmark = pytest.mark.django_db
OPENED = dt.date(2026, 9, 29)


@pytest.fixture(autouse=True)
def procedure_policy(regions: object) -> None:
    ensure_procedure_policy()


def report(village: str, head: str, by: User, on: dt.date = OPENED) -> object:
    household = MemberFactory(name=head, household=HouseholdFactory(region_code=village)).household
    return identification.report_by_cadre(
        household=household, by=by, on=on, difficulty="住院", risk_types=["因病"]
    )


def test_the_digest_lists_late_work_per_town_and_county(
    village_cadre: User, town_officer: User, county_clerk: User, regions: dict[str, object]
) -> None:
    from tests.factories import UserFactory

    other_town = UserFactory(role="town", region=regions["610902100000"])
    late = report("610902001001", "孙有田", village_cadre)  # home check due 10-12
    report("610902100001", "钱多多", other_town)
    report("610902001001", "赵大", village_cadre, on=dt.date(2026, 10, 12))  # due later
    identification.submit_self_report(
        region_code="610902001002",
        name="李四",
        phone="13900001111",
        id_number=MemberFactory(household=HouseholdFactory(region_code="610902001002")).id_number,
        difficulty="困难",
        risk_types=[],
        on=OPENED,
    )  # to be accepted by 10-01
    assert digest.build(on=dt.date(2026, 10, 13)) == 3  # two towns and their county
    town = OverdueDigest.objects.get(region_code="610902001000", on=dt.date(2026, 10, 13))
    assert (town.late_cases, town.late_leads, town.by_step) == (1, 1, {"application": 1})
    assert [item["head"] for item in town.items] == ["孙有田"]
    assert town.items[0]["case"] == late.pk  # type: ignore[attr-defined]
    county = OverdueDigest.objects.get(region_code="610902000000")
    assert (county.late_cases, county.late_leads) == (2, 1)
    # Rebuilt the same day: replaced, not doubled.
    assert digest.build(on=dt.date(2026, 10, 13)) == 3
    assert OverdueDigest.objects.count() == 3
    c = Client()
    c.force_login(town_officer)
    page = c.get("/cases/digest/").content.decode()
    assert "孙有田" in page
    assert "钱多多" not in page
    c.force_login(county_clerk)
    page = c.get("/cases/digest/").content.decode()
    assert "孙有田" in page
    assert "钱多多" in page


def test_the_board_counts_per_region_below_the_scope(village_cadre: User, county_clerk: User) -> None:
    report("610902001001", "孙有田", village_cadre)
    report("610902001001", "赵大", village_cadre)
    c = Client()
    c.force_login(county_clerk)
    page = c.get("/cases/").content.decode()
    assert 'data-region="老城街道"' in page
    assert "<td>2</td>" in page


DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _digest_ran(at: dt.datetime) -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.create(
        task_path="bangfu.monitoring.jobs.digest_daily",
        status="SUCCESSFUL",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=at,
        finished_at=at,
    )


def test_the_page_says_when_todays_digest_is_not_built_yet_and_whose_day_it_shows(
    village_cadre: User, town_officer: User, settings: object
) -> None:
    from django.utils import timezone

    settings.TASKS = DB_QUEUE  # type: ignore[attr-defined]
    report("610902001001", "孙有田", village_cadre)
    digest.build(on=dt.date(2026, 10, 13))
    c = Client()
    c.force_login(town_officer)
    today = timezone.localdate()
    # The morning job has not run today: the last digest is shown with its day, and why.
    page = c.get("/cases/digest/").content.decode()
    assert f"今天（{today:%Y-%m-%d}）的逾期通报尚未生成" in page
    assert "以下是2026-10-13的通报" in page
    assert "孙有田" in page
    assert "没有逾期的识别认定工作" not in page
    # Run today with nothing late in this town: nothing is late, whatever an older digest said.
    _digest_ran(timezone.now())
    page = c.get("/cases/digest/").content.decode()
    assert "尚未生成" not in page
    assert "孙有田" not in page
    assert "没有逾期的识别认定工作" in page
