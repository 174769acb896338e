"""The assistance plan (一户一策): measures from the catalogue, the coverage check that every risk has an
answering measure, protective measures only for a household without labour, and the contact cadre."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from bangfu.accounts.models import Role, User
from bangfu.monitoring import assistance, identification
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import Measure, MonitoringCase
from bangfu.regions.models import Region
from tests.factories import (
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    ensure_measure_catalogue,
    ensure_procedure_policy,
    monitored_case,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 10)


@pytest.fixture(autouse=True)
def catalogue(regions: object) -> None:
    ensure_procedure_policy()
    ensure_measure_catalogue()


@pytest.fixture
def case(village_cadre: User, town_officer: User, county_clerk: User) -> MonitoringCase:
    household = MemberFactory(name="孙有田", household=HouseholdFactory()).household
    return monitored_case(
        household, village=village_cadre, town=town_officer, county=county_clerk, risk_types=("因病", "因学")
    )


def measure(case: MonitoringCase, by: User, category: str, **extra: object) -> Measure:
    values: dict[str, object] = {
        "description": "医疗救助",
        "responsible_unit": "区医保局",
        "responsible_person": "王医保",
        "starts_on": DAY,
        **extra,
    }
    return assistance.add_measure(case=case, by=by, category=category, **values)  # type: ignore[arg-type]


def test_every_risk_needs_a_measure_that_answers_it(case: MonitoringCase, village_cadre: User) -> None:
    assert assistance.uncovered(case) == ["因病", "因学"]
    measure(case, village_cadre, "100A45", amount="3000")  # 健康帮扶
    assert assistance.uncovered(case) == ["因学"]
    measure(case, village_cadre, "100A46", description="落实义务教育资助", responsible_unit="区教育局")
    assert assistance.uncovered(case) == []
    covered = dict(assistance.coverage(case))
    assert [m.category.name for m in covered["因病"]] == ["健康帮扶"]


def test_a_plan_is_made_by_the_village_or_town_for_an_approved_household(
    case: MonitoringCase,
    county_clerk: User,
    other_village_cadre: User,
    village_cadre: User,
    town_officer: User,
) -> None:
    with pytest.raises(PermissionDenied):
        measure(case, county_clerk, "100A45")
    with pytest.raises(PermissionDenied):
        measure(case, other_village_cadre, "100A45")
    early = identification.report_by_cadre(
        household=MemberFactory(household=HouseholdFactory()).household,
        by=village_cadre,
        on=DAY,
        difficulty="住院",
        risk_types=["因病"],
    )
    with pytest.raises(PermissionDenied):
        measure(early, village_cadre, "100A45")
    with pytest.raises(MonitoringRefused, match="请选择帮扶措施类别"):
        measure(case, town_officer, "999")
    with pytest.raises(MonitoringRefused, match="结束日期不能早于开始日期"):
        measure(case, town_officer, "100A45", ends_on=DAY - dt.timedelta(days=1))
    with pytest.raises(MonitoringRefused, match="请填写责任人"):
        measure(case, town_officer, "100A45", responsible_person=" ")
    assert not Measure.objects.exists()


def test_a_household_without_labour_gets_protective_measures_only(
    village_cadre: User, town_officer: User, county_clerk: User
) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = monitored_case(
        household,
        village=village_cadre,
        town=town_officer,
        county=county_clerk,
        risk_types=("因缺劳动力",),
        no_labour=True,
    )
    with pytest.raises(MonitoringRefused, match="整户无劳动力，应安排保障性措施，不能安排“公益岗位帮扶”"):
        measure(case, village_cadre, "100A42")
    measure(case, village_cadre, "100A48", description="纳入低保")  # 综合保障
    assert assistance.uncovered(case) == []


def test_the_town_names_the_contact_cadre(
    case: MonitoringCase, town_officer: User, village_cadre: User, other_village_cadre: User
) -> None:
    with pytest.raises(PermissionDenied):
        assistance.assign_contact(case=case, by=village_cadre, cadre=village_cadre)
    with pytest.raises(MonitoringRefused, match="帮扶联系人须为该村驻村工作队员或所在乡镇干部"):
        assistance.assign_contact(case=case, by=town_officer, cadre=other_village_cadre)
    case = assistance.assign_contact(case=case, by=town_officer, cadre=village_cadre)
    assert MonitoringCase.objects.get(pk=case.pk).contact_cadre == village_cadre


def test_the_case_page_shows_the_plan_and_takes_measures(
    case: MonitoringCase, village_cadre: User, town_officer: User, regions: dict[str, Region]
) -> None:
    c = Client()
    c.force_login(village_cadre)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-risk="因病"' in page
    assert "缺少措施" in page
    assert "未确定" in page  # no contact cadre yet
    refused = c.post(f"/cases/{case.pk}/measures/", {"category": "100A45", "starts_on": "2026-10-10"})
    assert refused.status_code == 200
    assert "这个字段是必填项" in refused.content.decode()
    added = c.post(
        f"/cases/{case.pk}/measures/",
        {
            "category": "100A45",
            "description": "大病保险倾斜",
            "responsible_unit": "区医保局",
            "responsible_person": "王医保",
            "starts_on": "2026-10-10",
            "amount": "1200",
        },
    )
    assert added.status_code == 302
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert "大病保险倾斜" in page
    assert "1200.00" in page
    other_town_cadre = UserFactory(role=Role.TOWN, region=regions["610902001000"], full_name="镇干部甲")
    t = Client()
    t.force_login(town_officer)
    assert t.post(f"/cases/{case.pk}/contact/", {"cadre": other_town_cadre.pk}).status_code == 302
    assert MonitoringCase.objects.get(pk=case.pk).contact_cadre == other_town_cadre
