"""Exporting households in the national layout (``registry.exporting``): a file that re-imports unchanged,
masked unless the user may reveal (then audited)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.registry import exporting, layout
from bangfu.registry.history import close_year
from bangfu.registry.models import Household, ImportStatus, Member
from tests.factories import HouseholdFactory, MemberFactory
from tests.registry.test_import_households import (
    FULL,
    HEAD_1,
    NUMBER_1,
    NUMBER_4,
    ON,
    SON_1,
    WIFE_1,
    full_rows,
    registry_counts,
    run_import,
    write_messy,
    write_table,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def revealing_clerk(county_clerk: User) -> User:
    county_clerk.may_reveal_personal_data = True
    county_clerk.save(update_fields=["may_reveal_personal_data"])
    return county_clerk


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The export's data rows as header -> value."""
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_export_has_the_layout_headers_and_one_row_per_current_member(
    tmp_path: Path, revealing_clerk: User
) -> None:
    run_import(revealing_clerk, write_messy(tmp_path / "in.xlsx", fixed=True))
    out = tmp_path / "out.xlsx"

    count = exporting.export_households(by=revealing_clerk, region_code="610902", out=out, reveal=True)

    assert count == 9
    sheet = openpyxl.load_workbook(out, read_only=True).active
    assert sheet is not None
    header = next(sheet.iter_rows(values_only=True))
    assert header == layout.HEADERS
    rows = read_rows(out)
    first = rows[0]
    assert (first["户编号"], first["姓名"], first["证件号码"], first["与户主关系"]) == (
        NUMBER_1,
        "张大山",
        HEAD_1,
        "户主",
    )
    assert (first["县（市、区）"], first["乡（镇）"], first["行政村"], first["行政区划代码"]) == (
        "汉滨区",
        "老城街道",
        "东关村",
        "610902001001",
    )
    assert (first["联系电话"], first["家庭人口数"], first["年度"], first["工资性收入（元）"]) == (
        "13912345678",
        3,
        2025,
        24000,
    )
    assert (first["家庭纯收入（元）"], first["人均纯收入（元）"]) == (25200, 8400)
    assert first["出生日期"].date() == dt.date(1968, 4, 12)
    # Households in village order, the head first.
    assert [(r["户编号"], r["与户主关系"]) for r in rows][:3] == [
        (NUMBER_1, "户主"),
        (NUMBER_1, "配偶"),
        (NUMBER_1, "之子"),
    ]
    assert rows[-1]["户编号"] == NUMBER_4


def test_an_export_reimports_without_changing_anything(tmp_path: Path, revealing_clerk: User) -> None:
    run_import(revealing_clerk, write_messy(tmp_path / "in.xlsx", fixed=True))
    # The nightly job has recorded the year's snapshot of every household (the export's 年度 refers to it).
    close_year(year=2025, prefix="610902")
    out = tmp_path / "out.xlsx"
    exporting.export_households(by=revealing_clerk, region_code="610902000000", out=out, reveal=True)
    counts = registry_counts()
    stamps = sorted(Household.objects.values_list("id", "updated_at"))
    events = AuditEvent.objects.count()

    run = run_import(revealing_clerk, out, on=ON + dt.timedelta(days=30))

    assert run.status == ImportStatus.SUCCEEDED, run.problems
    assert run.problems == []
    assert run.summary["households_unchanged"] == 4
    assert [v for k, v in run.summary.items() if k not in {"households_unchanged", "year"}] == [0] * 14
    assert registry_counts() == counts
    assert sorted(Household.objects.values_list("id", "updated_at")) == stamps
    assert AuditEvent.objects.count() == events + 1


def test_the_full_layout_round_trips(tmp_path: Path, revealing_clerk: User) -> None:
    run_import(revealing_clerk, write_table(tmp_path / "full.xlsx", FULL, full_rows(grade="C")))
    out = tmp_path / "out.xlsx"
    exporting.export_households(by=revealing_clerk, region_code="610902001001", out=out, reveal=True)

    head = read_rows(out)[0]
    assert (head["享受低保政策情况"], head["低保类别"], head["务工所在地"], head["务工时间（月）"]) == (
        "是",
        "二类",
        "省外",
        9,
    )
    assert (head["就业渠道"], head["务工开始时间"].date(), head["收入说明"]) == (
        "组织化劳务输出",
        dt.date(2025, 1, 1),
        "含公益岗工资",
    )
    assert (head["住房安全鉴定等级"], head["住房出现安全问题"], head["饮水水质达标"]) == ("C", "是", "是")
    assert (head["户类型"], head["是否脱贫户"], head["核查日期"].date()) == (
        "脱贫户",
        "是",
        dt.date(2026, 3, 1),
    )
    run = run_import(revealing_clerk, out, on=ON + dt.timedelta(days=30))
    assert run.problems == []
    assert run.summary["households_unchanged"] == 1


def test_ids_and_phones_are_masked_without_the_reveal_grant(tmp_path: Path, county_clerk: User) -> None:
    run_import(county_clerk, write_messy(tmp_path / "in.xlsx", fixed=True))
    out = tmp_path / "out.xlsx"

    exporting.export_households(by=county_clerk, region_code="610902", out=out, reveal=True)

    rows = read_rows(out)
    assert rows[0]["证件号码"] == mask_id_number(HEAD_1) == "610902********0036"
    assert rows[0]["联系电话"] == mask_phone("13912345678")
    assert {r["证件号码"] for r in rows}.isdisjoint({HEAD_1, WIFE_1, SON_1})
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.object_type, event.region_code, event.data) == (
        "export",
        "registry.household",
        "610902000000",
        {"what": "registry.household", "count": 9},
    )
    assert not AuditEvent.objects.filter(operation="personal_data_exported").exists()


def test_a_revealed_export_is_audited_as_such(tmp_path: Path, revealing_clerk: User) -> None:
    run_import(revealing_clerk, write_messy(tmp_path / "in.xlsx", fixed=True))
    before = AuditEvent.objects.count()

    exporting.export_households(
        by=revealing_clerk, region_code="610902", out=tmp_path / "out.xlsx", reveal=True
    )

    exported, revealed = AuditEvent.objects.order_by("seq")[before:]
    assert (exported.action, exported.data["count"]) == ("export", 9)
    assert (revealed.operation, revealed.data["detail"]) == (
        "personal_data_exported",
        {
            "what": "registry.household",
            "count": 9,
            "region": "610902000000",
            "fields": ["id_number", "phone"],
        },
    )


def test_without_reveal_even_a_user_with_the_grant_gets_masked_values(
    tmp_path: Path, revealing_clerk: User
) -> None:
    run_import(revealing_clerk, write_messy(tmp_path / "in.xlsx", fixed=True))
    out = tmp_path / "out.xlsx"

    exporting.export_households(by=revealing_clerk, region_code="610902", out=out)

    assert read_rows(out)[0]["证件号码"] == mask_id_number(HEAD_1)


def test_members_who_left_and_other_regions_are_not_exported(tmp_path: Path, county_clerk: User) -> None:
    household = HouseholdFactory(household_number="610902001001000010")
    MemberFactory(household=household, name="在户", relation="head")
    MemberFactory(
        household=household, name="离户", relation="son", left_on=dt.date(2025, 1, 1), left_reason="died"
    )
    elsewhere = HouseholdFactory(household_number="610981100001000001", region_code="610981100001")
    MemberFactory(household=elsewhere, region_code="610981100001", relation="head")
    town = HouseholdFactory(household_number="610902100001000001", region_code="610902100001")
    MemberFactory(household=town, region_code="610902100001", relation="head", name="五里")
    out = tmp_path / "out.xlsx"

    count = exporting.export_households(by=county_clerk, region_code="610902001", out=out)

    assert count == 1
    assert [r["姓名"] for r in read_rows(out)] == ["在户"]
    assert Member.objects.count() == 4


def test_a_region_outside_the_users_scope_is_refused(tmp_path: Path, other_county_clerk: User) -> None:
    with pytest.raises(PermissionDenied, match="区域 610902 不在您的管辖范围内"):
        exporting.export_households(
            by=other_county_clerk, region_code="610902000000", out=tmp_path / "out.xlsx"
        )
    assert not (tmp_path / "out.xlsx").exists()
    assert AuditEvent.objects.count() == 0


def test_a_user_who_may_not_export_is_refused(tmp_path: Path, village_cadre: User) -> None:
    with pytest.raises(PermissionDenied, match="您没有导出农户信息的权限"):
        exporting.export_households(by=village_cadre, region_code="610902001001", out=tmp_path / "out.xlsx")


@pytest.mark.parametrize("code", ["6100", "61090", "abc", "610902999000"])
def test_a_malformed_or_unknown_region_is_refused(tmp_path: Path, county_clerk: User, code: str) -> None:
    with pytest.raises(exporting.ExportRefused):
        exporting.export_households(by=county_clerk, region_code=code, out=tmp_path / "out.xlsx")


def test_an_empty_region_exports_only_the_header(tmp_path: Path, county_clerk: User) -> None:
    out = tmp_path / "out.xlsx"

    assert exporting.export_households(by=county_clerk, region_code="610902100001", out=out) == 0
    assert read_rows(out) == []
