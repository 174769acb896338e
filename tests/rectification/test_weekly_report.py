"""清零周报: a week of problems gives exactly the expected figures; snapshots are frozen (a past week stays as
it was after new work, a late run gives Monday's figures, a correction is a new version); a department's
snapshot counts its sector only; the command prints JSON and writes a workbook; the query count is bounded."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from bangfu.accounts.models import Sector, User
from bangfu.core.appendonly import AppendOnlyError
from bangfu.rectification import reports, services
from bangfu.rectification.models import (
    Campaign,
    Escalation,
    EscalationKind,
    OrderState,
    Problem,
    SupervisionOrder,
    WeeklyReport,
)
from tests.factories import HouseholdFactory, MemberFactory, new_problem

pytestmark = pytest.mark.django_db

W46 = dt.date(2026, 11, 9)
MONDAY = dt.date(2026, 11, 16)  # 2026-W47
SUNDAY = dt.date(2026, 11, 22)
VILLAGE = "610902001001"
OTHER_VILLAGE = "610902100001"


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile("fix.jpg", buffer.getvalue(), content_type="image/jpeg")


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def a_week(clock: Any, town: User, village: User, county: User) -> dict[str, Problem]:
    """W46: one problem (due 11-12, in a campaign). W47: started, idle, late, closed, rejected, fixed on the
    spot in 东关村 and one for the medical insurance department in 五里村; a supervision order to the town,
    a circular about the county and an unissued draft order."""
    campaign = Campaign.objects.create(
        name="冬季排查",
        region_code="610900000000",
        starts_on=dt.date(2026, 11, 2),
        clearance_date=dt.date(2026, 12, 31),
    )
    clock.set(dt.date(2026, 11, 10))
    old = new_problem(
        by=town, on=clock.today, due_on=dt.date(2026, 11, 12), description="old", campaign=campaign
    )
    clock.set(MONDAY)
    made = {
        "old": old,
        "started": new_problem(by=town, on=MONDAY, description="started"),
        "idle": new_problem(by=town, on=MONDAY, description="idle"),
        "late": new_problem(by=town, on=MONDAY, description="late 联系13812345678", due_on=day(2)),
        "closed": new_problem(by=town, on=MONDAY, description="closed", campaign=campaign),
        "rejected": new_problem(by=town, on=MONDAY, description="rejected"),
        "spot": new_problem(
            by=village, on=MONDAY, description="spot", fixed_on_the_spot=True, evidence=[photo()]
        ),
    }
    clock.set(day(1))
    services.note_progress(problem=made["started"], by=village, on=day(1), note="开工")
    for name in ("closed", "rejected"):
        services.request_closure(problem=made[name], by=village, on=day(1), note="完成", evidence=[photo()])
    clock.set(day(2))
    services.close_problem(problem=made["closed"], by=town, on=day(2))
    services.reject_closure(problem=made["rejected"], by=town, on=day(2), reason="照片不清")
    clock.set(day(4))
    made["sector"] = new_problem(
        by=county,
        on=day(4),
        region_code=OTHER_VILLAGE,
        description="sector",
        responsible_unit="区医保局",
        responsible_sector=Sector.MEDICAL_INSURANCE,
    )
    SupervisionOrder.objects.create(
        number="DB-1",
        region_code="610902000000",
        issuing_office="汉滨区",
        recipient_unit="老城街道",
        recipient_region_code="610902001000",
        state=OrderState.ISSUED,
        drafted_on=day(2),
        issued_on=day(3),
    )
    SupervisionOrder.objects.create(
        region_code="610902000000",
        issuing_office="汉滨区",
        recipient_unit="老城街道",
        recipient_region_code="610902001000",
        drafted_on=day(3),
    )
    Escalation.objects.create(
        kind=EscalationKind.CIRCULAR,
        region_code="610900000000",
        issuing_office="安康市",
        unit="汉滨区",
        unit_region_code="610902000000",
        on=day(4),
        text="通报",
        by=town,
    )
    return made


def report(code: str, sector: str = "", week: str = "2026-W47") -> WeeklyReport:
    return WeeklyReport.objects.filter(week=week, region_code=code, sector=sector).latest_versions().get()


def zg(problem: Problem) -> str:
    return f"ZG{problem.pk:07d}"


@pytest.fixture
def week(clock, town_officer, village_cadre, county_clerk) -> dict[str, Problem]:  # type: ignore[no-untyped-def]
    return a_week(clock, town_officer, village_cadre, county_clerk)


def test_a_weeks_problems_give_exactly_the_expected_figures(clock, week) -> None:  # type: ignore[no-untyped-def]
    clock.set(day(7))
    assert reports.make_weekly_reports(week_start=MONDAY) == 8
    assert set(WeeklyReport.objects.values_list("region_code", "sector", "version")) == {
        ("610900000000", "", 1),
        ("610902000000", "", 1),
        ("610902001000", "", 1),
        ("610902100000", "", 1),
        (VILLAGE, "", 1),
        (OTHER_VILLAGE, "", 1),
        ("610900000000", Sector.MEDICAL_INSURANCE, 1),
        ("610902000000", Sector.MEDICAL_INSURANCE, 1),
    }
    figures = report(VILLAGE).figures
    campaign = Campaign.objects.get()
    assert figures == {
        "schema": 1,
        "week": "2026-W47",
        "week_start": "2026-11-16",
        "week_end": "2026-11-22",
        "region_code": VILLAGE,
        "region_name": "东关村",
        "level": 5,
        "sector": "",
        "assigned": 7,
        "new": 6,
        "closed": 2,
        "open": {"red": 4, "yellow": 1, "total": 5},
        "green": 2,
        "overdue": 2,
        "overdue_list": [
            {
                "code": zg(week["old"]),
                "category": "住房",
                "region_code": VILLAGE,
                "region_name": "东关村",
                "responsible_unit": "老城街道办事处",
                "due_on": "2026-11-12",
                "days_overdue": 10,
                "description": "old",
            },
            {
                "code": zg(week["late"]),
                "category": "住房",
                "region_code": VILLAGE,
                "region_name": "东关村",
                "responsible_unit": "老城街道办事处",
                "due_on": "2026-11-18",
                "days_overdue": 4,
                "description": "late 联系***********",
            },
        ],
        "overdue_list_truncated": False,
        "clearance_rate": "28.6",
        "change": {
            "previous_week": "2026-W46",
            "source": "computed",
            "new": 5,
            "closed": 2,
            "red": 3,
            "yellow": 1,
            "open": 4,
            "green": 2,
            "overdue": 1,
            "clearance_rate": "+28.6",
        },
        "escalations": {"supervision_orders": 0, "circulars": 0, "interviews": 0, "discipline_referrals": 0},
        "campaigns": [
            {
                "id": campaign.pk,
                "name": "冬季排查",
                "clearance_date": "2026-12-31",
                "total": 2,
                "closed": 1,
                "open": 1,
                "burndown": [
                    {"week": "2026-W45", "week_end": "2026-11-08", "open": 0},
                    {"week": "2026-W46", "week_end": "2026-11-15", "open": 1},
                    {"week": "2026-W47", "week_end": "2026-11-22", "open": 1},
                ],
            }
        ],
    }
    county = report("610902000000").figures
    assert (county["assigned"], county["new"], county["closed"], county["green"]) == (8, 7, 2, 2)
    assert county["open"] == {"red": 4, "yellow": 2, "total": 6}
    assert (county["overdue"], county["clearance_rate"]) == (2, "25.0")
    assert county["escalations"] == {
        "supervision_orders": 1,
        "circulars": 1,
        "interviews": 0,
        "discipline_referrals": 0,
    }
    town = report("610902001000").figures
    assert town["escalations"]["supervision_orders"] == 1
    assert town["escalations"]["circulars"] == 0
    assert report("610900000000").figures["open"] == county["open"]


def test_a_department_snapshot_counts_its_sector_only(clock, week, department_user) -> None:  # type: ignore[no-untyped-def]
    clock.set(day(7))
    reports.make_weekly_reports(week_start=MONDAY)
    sector = report("610902000000", Sector.MEDICAL_INSURANCE).figures
    assert (sector["assigned"], sector["new"], sector["closed"], sector["overdue"]) == (1, 1, 0, 0)
    assert sector["open"] == {"red": 0, "yellow": 1, "total": 1}
    assert sector["clearance_rate"] == "0.0"
    assert sector["overdue_list"] == []
    assert sector["campaigns"] == []
    assert sector["escalations"]["circulars"] == 0
    visible = WeeklyReport.objects.visible_to(department_user)
    assert set(visible.values_list("region_code", "sector")) == {("610902000000", Sector.MEDICAL_INSURANCE)}


def test_last_weeks_snapshot_stays_as_it_was_after_new_work(
    clock, town_officer, village_cadre, county_clerk
) -> None:  # type: ignore[no-untyped-def]
    week = a_week(clock, town_officer, village_cadre, county_clerk)
    # W46 made late (its figures read only the facts up to 11-15), then W47 on its Monday.
    clock.set(day(7))
    assert reports.make_weekly_reports(week_start=W46) == 4
    w46 = {r.pk: r.figures for r in WeeklyReport.objects.filter(week="2026-W46")}
    assert report(VILLAGE, week="2026-W46").figures["open"] == {"red": 1, "yellow": 0, "total": 1}
    assert reports.make_weekly_reports(week_start=MONDAY) == 8
    # W47's change now reads W46's stored snapshot.
    assert report(VILLAGE).figures["change"]["source"] == "snapshot"
    assert report(VILLAGE).figures["change"]["red"] == 3
    monday_figures = {r.pk: r.figures for r in WeeklyReport.objects.filter(week="2026-W47")}
    # New work after Sunday: a new problem, a closure.
    clock.set(day(8))
    new_problem(by=town_officer, on=day(8), description="next week")
    services.request_closure(
        problem=week["started"], by=village_cadre, on=day(8), note="完成", evidence=[photo()]
    )
    clock.set(day(9))
    services.close_problem(problem=week["started"], by=town_officer, on=day(9))
    # Running again changes nothing; the stored rows are exactly as they were.
    assert reports.make_weekly_reports(week_start=MONDAY) == 0
    assert reports.make_weekly_reports(week_start=W46) == 0
    assert {r.pk: r.figures for r in WeeklyReport.objects.filter(week="2026-W46")} == w46
    assert {r.pk: r.figures for r in WeeklyReport.objects.filter(week="2026-W47")} == monday_figures
    # Computed late (Wednesday), the figures are Monday's.
    late = reports.compute_figures(week_start=MONDAY)
    assert {reports.report_prefix(f["region_code"]): f for (p, s), f in late.items() if not s} == {
        reports.report_prefix(r.region_code): r.figures
        for r in WeeklyReport.objects.filter(week="2026-W47", sector="")
    }
    stored = WeeklyReport.objects.filter(week="2026-W46").first()
    assert stored is not None
    stored.figures = {}
    with pytest.raises(AppendOnlyError):
        stored.save()


def test_a_correction_makes_version_2_and_leaves_version_1(
    clock, week, county_clerk, town_officer, village_cadre
) -> None:  # type: ignore[no-untyped-def]
    clock.set(day(7))
    reports.make_weekly_reports(week_start=MONDAY)
    first = report(VILLAGE)
    before = dict(first.figures)
    # A closure request recorded late but dated Saturday: the idle problem was started on 11-21.
    clock.set(day(8))  # a late entry, within the three days a step may be entered late
    services.request_closure(
        problem=week["idle"], by=village_cadre, on=day(5), note="完成", evidence=[photo()]
    )
    with pytest.raises(PermissionDenied):
        reports.correct_weekly_report(report=first, by=town_officer, reason="补录")
    second = reports.correct_weekly_report(report=first, by=county_clerk, reason="补录周六申请销号")
    assert (second.version, second.reason, second.generated_by) == (2, "补录周六申请销号", county_clerk)
    assert second.figures["open"] == {"red": 3, "yellow": 2, "total": 5}
    first.refresh_from_db()
    assert (first.version, first.figures) == (1, before)
    assert report(VILLAGE).pk == second.pk
    assert WeeklyReport.objects.filter(week="2026-W47", region_code=VILLAGE).count() == 2
    # Only that snapshot got a new version.
    assert WeeklyReport.objects.filter(version=2).count() == 1


def test_making_every_snapshot_takes_a_bounded_number_of_queries(  # type: ignore[no-untyped-def]
    clock, week, django_assert_max_num_queries
) -> None:
    clock.set(day(7))
    # 16, and the new rows' ids allocated before the insert (SQLite: two reads; PostgreSQL: one nextval)
    # and read back after it, to count only the rows this run wrote.
    with django_assert_max_num_queries(18):
        assert reports.make_weekly_reports(week_start=MONDAY) == 8


def test_the_overdue_list_hides_the_names_of_the_households_members(  # type: ignore[no-untyped-def]
    clock, town_officer, county_clerk, django_assert_max_num_queries
) -> None:
    clock.set(MONDAY)
    east = HouseholdFactory()
    MemberFactory(household=east, name="王一明")
    MemberFactory(household=east, name="王小红", relation="daughter")
    west = HouseholdFactory(region_code=OTHER_VILLAGE)
    MemberFactory(household=west, name="李四")
    made = {
        "east": new_problem(
            by=town_officer,
            on=MONDAY,
            due_on=day(1),
            description="王一明家危房，王小红联系13812345678",
            household=east,
        ),
        # Another household's member is not this problem's to hide.
        "west": new_problem(
            by=county_clerk,
            on=MONDAY,
            region_code=OTHER_VILLAGE,
            responsible_unit="五里镇人民政府",
            due_on=day(2),
            description="李四反映王一明家漏雨",
            household=west,
        ),
        "plain": new_problem(by=town_officer, on=MONDAY, due_on=day(3), description="王一明家门前路"),
    }
    clock.set(day(7))
    # One region (a few keys: each key's rows by a query of its own) ...
    assert reports.make_weekly_reports(week_start=MONDAY, region_codes=[VILLAGE]) == 1
    expected = {
        zg(made["east"]): "***家危房，***联系***********",
        zg(made["west"]): "**反映王一明家漏雨",
        zg(made["plain"]): "王一明家门前路",
    }
    listed = {row["code"]: row["description"] for row in report(VILLAGE).figures["overdue_list"]}
    assert listed == {code: text for code, text in expected.items() if code != zg(made["west"])}
    # ... and the whole job (every key's rows in one pass; the village's snapshot exists), still a bounded
    # number of queries.
    with django_assert_max_num_queries(19):
        assert reports.make_weekly_reports(week_start=MONDAY) == 5
    for code in ("610900000000", "610902000000"):
        listed = {row["code"]: row["description"] for row in report(code).figures["overdue_list"]}
        assert listed == expected
    listed = {row["code"]: row["description"] for row in report(OTHER_VILLAGE).figures["overdue_list"]}
    assert listed == {zg(made["west"]): "**反映王一明家漏雨"}


def test_last_weeks_snapshots_are_read_only_for_the_wanted_regions(  # type: ignore[no-untyped-def]
    clock, week, monkeypatch
) -> None:
    clock.set(day(7))
    assert reports.make_weekly_reports(week_start=W46) == 4
    read: list[str] = []
    level_of = reports.level_of

    def spy(code: str) -> Any:
        read.append(code)
        return level_of(code)

    # ``_stored_previous`` derives each row's key from its code: the codes it is given are the rows it read.
    monkeypatch.setattr(reports, "level_of", spy)
    found = reports._stored_previous("2026-W46", {(VILLAGE, ""), ("610902", Sector.MEDICAL_INSURANCE)})
    assert read == [VILLAGE]
    assert found == {(VILLAGE, ""): reports.Counts(assigned=1, new=1, red=1, overdue=1)}


def test_a_snapshot_written_meanwhile_by_another_run_is_not_counted(  # type: ignore[no-untyped-def]
    clock, week, monkeypatch
) -> None:
    clock.set(day(7))
    compute = reports.compute_figures

    def and_another_run(**kwargs: Any) -> Any:
        figures = compute(**kwargs)
        # A second worker writes the village's snapshot after this run planned it, before it inserts.
        WeeklyReport.objects.create(
            week="2026-W47",
            week_start=MONDAY,
            week_end=SUNDAY,
            region_code=VILLAGE,
            figures={"by": "the other run"},
        )
        return figures

    monkeypatch.setattr(reports, "compute_figures", and_another_run)
    assert reports.make_weekly_reports(week_start=MONDAY) == 7
    assert WeeklyReport.objects.filter(week="2026-W47").count() == 8
    assert report(VILLAGE).figures == {"by": "the other run"}


def test_an_unfinished_week_is_refused(clock, week) -> None:  # type: ignore[no-untyped-def]
    clock.set(SUNDAY)
    with pytest.raises(Exception, match="尚未结束"):
        reports.make_weekly_reports(week_start=MONDAY)
    assert not WeeklyReport.objects.exists()


def test_the_command_prints_json_and_writes_a_workbook(clock, week, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock.set(day(7))
    out = io.StringIO()
    call_command("weekly_report", "--region", VILLAGE, stdout=out)  # default: last week
    printed = json.loads(out.getvalue())
    stored = report(VILLAGE)
    assert (printed["week"], printed["version"], printed["id"]) == ("2026-W47", 1, stored.pk)
    assert printed["figures"] == stored.figures
    # Only the village's snapshot was made; the whole city's on the next run.
    assert WeeklyReport.objects.count() == 1
    city = io.StringIO()
    call_command("weekly_report", "--week", "2026-W47", stdout=city)
    assert json.loads(city.getvalue())["region_code"] == "610900000000"
    assert WeeklyReport.objects.count() == 8
    path = tmp_path / "w47.xlsx"
    call_command(
        "weekly_report", "--week", "2026-W47", "--region", "610902", "--format", "xlsx", "--output", str(path)
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "逾期问题清单", "专项清零进度"]
    summary = book["汇总"]
    assert summary["A1"].value == "汉滨区清零周报（2026-W47，2026-11-16至2026-11-22）"
    assert [summary.cell(row=5, column=c).value for c in (1, 2, 3)] == ["本周新增问题", 7, 6]
    assert [summary.cell(row=13, column=c).value for c in (1, 2, 3)] == ["清零率（%）", "25.0", "+25.0"]
    overdue = book["逾期问题清单"]
    assert [c.value for c in overdue[2]] == [
        zg(week["old"]),
        "住房",
        "东关村",
        "老城街道办事处",
        "2026-11-12",
        10,
        "old",
    ]
    assert overdue.max_row == 3
    burndown = book["专项清零进度"]
    assert [c.value for c in burndown[4]] == ["2026-W47", "2026-11-22", 1]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--week", "2026-47"], 2),
        (["--region", "6109021"], 2),
        (["--format", "xlsx"], 2),
        (["--week", "2026-W48"], 1),
        (["--region", "610902001009"], 1),
    ],
)
def test_the_command_refuses_bad_input(clock, week, args: list[str], code: int) -> None:  # type: ignore[no-untyped-def]
    clock.set(day(7))
    with pytest.raises(CommandError) as raised:
        call_command("weekly_report", *args, stdout=io.StringIO())
    assert raised.value.returncode == code
    assert not WeeklyReport.objects.exists()
