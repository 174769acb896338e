"""The warning pages as a village cadre, a town officer and a department use them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import Role, Sector, User
from bangfu.monitoring.models import ScreeningRule, ScreeningWarning, WarningStatus
from bangfu.regions.models import Region
from tests.factories import HouseholdFactory, UserFactory, ensure_procedure_policy

pytestmark = pytest.mark.django_db


def make_warning(*, due: dt.date, number: str, village: str = "610902001001") -> ScreeningWarning:
    household = HouseholdFactory(household_number=number, region_code=village)
    rule = ScreeningRule.objects.get(code="MED-01")
    return ScreeningWarning.objects.create(
        household=household,
        region_code=village,
        rule=rule,
        rule_code=rule.code,
        risk_type="因病",
        sector=Sector.MEDICAL_INSURANCE,
        episode=number,
        facts={
            "source": "medical",
            "source_label": "医保住院费用",
            "version": 2,
            "period": ["2026-02-01", "2026-02-28"],
            "row": 7,
            "values": {"个人自付": "8600.50"},
            "tests": [
                {
                    "field": "个人自付",
                    "op": ">",
                    "threshold": "6000.00",
                    "policy": "medical.oop_per_stay_monitored",
                }
            ],
        },
        screened_on=due - dt.timedelta(days=5),
        due_on=due,
    )


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_inbox_lists_the_most_urgent_first_and_overdue_ones_in_red(
    regions: dict[str, Region], town_officer: User
) -> None:
    today = timezone.localdate()
    late = make_warning(due=today - dt.timedelta(days=2), number="610902001001000001")
    soon = make_warning(due=today + dt.timedelta(days=3), number="610902001001000002")
    make_warning(due=today + dt.timedelta(days=1), number="610902001002000003", village="610902001002")

    page = client(town_officer).get("/warnings/").content.decode()

    assert page.index(f'data-warning="{late.pk}"') < page.index(f'data-warning="{soon.pk}"')
    assert re.search(rf'data-warning="{late.pk}"\s+data-overdue="1"\s+class="table-danger"', page)
    assert re.search(rf'data-warning="{soon.pk}"\s+data-overdue="0"\s+class=""', page)
    assert "已逾期 1" in page
    overdue = client(town_officer).get("/warnings/?show=overdue").content.decode()
    assert f'data-warning="{late.pk}"' in overdue
    assert f'data-warning="{soon.pk}"' not in overdue


def test_a_warning_shows_its_facts_and_the_village_answers_it(
    regions: dict[str, Region], village_cadre: User
) -> None:
    warning = make_warning(due=timezone.localdate() + dt.timedelta(days=3), number="610902001001000009")
    c = client(village_cadre)

    page = c.get(f"/warnings/{warning.pk}/").content.decode()
    assert "8600.50" in page
    assert "个人自付 &gt; 6000.00" in page
    assert "medical.oop_per_stay_monitored" in page
    assert "第7行" in page

    refused = c.post(f"/warnings/{warning.pk}/answer/", {"status": "excluded", "reason": ""})
    assert refused.status_code == 200
    assert "排除或退回时须写明核查说明" in refused.content.decode()
    warning.refresh_from_db()
    assert warning.status == WarningStatus.NEW

    done = c.post(
        f"/warnings/{warning.pk}/answer/", {"status": "returned", "reason": "身份证号对应的是邻村同名人员"}
    )
    assert done.status_code == 302
    warning.refresh_from_db()
    assert (warning.status, warning.answered_by) == (WarningStatus.RETURNED, village_cadre)
    answered = c.get(f"/warnings/{warning.pk}/").content.decode()
    assert 'data-status="returned"' in answered
    assert 'name="status"' not in answered


def test_a_department_sees_only_the_outcomes_of_its_own_data(
    regions: dict[str, Region], department_user: User
) -> None:
    warning = make_warning(due=timezone.localdate(), number="610902001001000010")
    civil = UserFactory(
        username="civil", role=Role.DEPARTMENT, region=regions["610902000000"], sector=Sector.CIVIL_AFFAIRS
    )

    assert (
        f'data-warning="{warning.pk}"' in client(department_user).get("/warnings/?show=all").content.decode()
    )
    assert f'data-warning="{warning.pk}"' not in client(civil).get("/warnings/?show=all").content.decode()
    assert client(civil).get(f"/warnings/{warning.pk}/").status_code == 404


def test_the_api_answers_like_the_page(regions: dict[str, Region], village_cadre: User) -> None:
    warning = make_warning(due=timezone.localdate() - dt.timedelta(days=1), number="610902001001000011")
    ensure_procedure_policy()  # including it opens a case
    c = client(village_cadre)

    listed = c.get("/api/v1/warnings?overdue=true").json()
    assert [item["id"] for item in listed["items"]] == [warning.pk]
    assert listed["items"][0]["overdue"] is True
    assert listed["items"][0]["facts"]["tests"][0]["threshold"] == "6000.00"
    refused = c.post(
        f"/api/v1/warnings/{warning.pk}/answer", {"status": "excluded"}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert "核查说明" in refused.json()["message"]
    done = c.post(
        f"/api/v1/warnings/{warning.pk}/answer",
        {"status": "included", "reason": ""},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "included"
    assert done.json()["overdue"] is False


def test_a_department_sees_per_rule_what_became_of_its_warnings(
    regions: dict[str, Region], department_user: User, village_cadre: User
) -> None:
    today = timezone.localdate()
    late = make_warning(due=today - dt.timedelta(days=1), number="610902001001000021")
    make_warning(due=today + dt.timedelta(days=3), number="610902001001000022")
    excluded = make_warning(due=today + dt.timedelta(days=3), number="610902001001000023")
    from bangfu.monitoring import services

    services.answer_warning(
        warning=excluded, by=village_cadre, status=WarningStatus.EXCLUDED, reason="已理赔"
    )

    page = client(department_user).get("/warnings/").content.decode()
    row = re.search(r'<tr data-rule="MED-01">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
    # rule, awaiting a check, overdue, included, excluded, returned
    assert [c.strip() for c in cells] == ["MED-01", "2", "1", "0", "1", "0"]
    assert late.pk
    # Villages and towns get the inbox without this table.
    assert "data-outcomes" not in client(village_cadre).get("/warnings/").content.decode()


@pytest.mark.parametrize("show", ["open", "all"])
def test_turning_pages_shows_every_warning_once(
    regions: dict[str, Region], town_officer: User, monkeypatch: pytest.MonkeyPatch, show: str
) -> None:
    from bangfu.monitoring import views

    monkeypatch.setattr(views, "PAGE", 2)
    today = timezone.localdate()
    made = [
        make_warning(due=today + dt.timedelta(days=n // 2), number=f"61090200100100{n:04d}") for n in range(5)
    ]
    c = client(town_officer)
    url, seen = f"/warnings/?show={show}", []
    for _page in range(5):
        page = c.get(url).content.decode()
        seen += [int(n) for n in re.findall(r'data-warning="(\d+)"', page)]
        after = re.search(r'href="\?([^"]*after=\d+)"', page)
        if after is None:
            break
        url = "/warnings/?" + after.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(w.pk for w in made)
    assert len(seen) == len(set(seen))


def test_coded_values_of_a_departments_file_read_by_their_names(
    regions: dict[str, Region], town_officer: User
) -> None:
    household = HouseholdFactory(household_number="610902001001000888", region_code="610902001001")
    rule = ScreeningRule.objects.get(code="EDU-01")
    warning = ScreeningWarning.objects.create(
        household=household,
        region_code="610902001001",
        rule=rule,
        rule_code=rule.code,
        risk_type="因学",
        sector=Sector.EDUCATION,
        episode="edu-1",
        facts={
            "source": "school",
            "source_label": "学籍异动",
            "version": 1,
            "period": ["2026-02-01", "2026-02-28"],
            "row": 3,
            "values": {"学籍状态": "suspected_dropout", "核查日期": "2026-02-10"},
            "tests": [
                {
                    "field": "学籍状态",
                    "op": "属于",
                    "threshold": "suspected_dropout、dropout、not_enrolled",
                    "policy": "",
                }
            ],
        },
        screened_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 3, 8),
    )
    page = client(town_officer).get(f"/warnings/{warning.pk}/").content.decode()
    assert "<td>疑似辍学</td>" in page
    assert "疑似辍学、辍学、未入学" in page
    assert "suspected_dropout" not in page
    # What the screening stored is kept as it was.
    warning.refresh_from_db()
    assert warning.facts["values"]["学籍状态"] == "suspected_dropout"
