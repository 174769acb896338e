"""The shared rules: typed values, members, composition, households, indicators, income periods and lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bangfu.registry import validation
from bangfu.registry.models import Employment, Household, Member
from bangfu.registry.validation import Problem
from tests.factories import synthetic_id_number

ON = date(2026, 3, 1)
VILLAGE = "610902001001"


class TestCoerceValues:
    def test_json_and_form_values_become_field_types(self) -> None:
        typed, problems = validation.coerce_values(
            Member,
            {
                "name": " 王明 ",
                "birth_date": "1980-05-06",
                "resident_medical_insurance": True,
                "disability_grade": "",
                "joined_on": "",
                "id_number": "６１０９０２ 19800506001x",
            },
            fields={
                "name",
                "birth_date",
                "resident_medical_insurance",
                "disability_grade",
                "joined_on",
                "id_number",
            },
        )
        assert problems == []
        assert typed == {
            "name": "王明",
            "birth_date": date(1980, 5, 6),
            "resident_medical_insurance": True,
            "disability_grade": "",
            "joined_on": None,
            "id_number": "61090219800506001X",
        }

    def test_each_unusable_value_is_a_problem(self) -> None:
        typed, problems = validation.coerce_values(
            Member,
            {
                "sex": "男",
                "birth_date": "1980-02-30",
                "resident_pension": "否",
                "name": "名" * 51,
                "left_on": "2026-01-01",
                "relation": None,
            },
            fields={"sex", "birth_date", "resident_pension", "name", "relation"},
        )
        assert typed == {}
        assert problems == [
            Problem("sex", "“性别”的取值无效：男"),
            Problem("birth_date", "“出生日期”的值无效：1980-02-30"),
            Problem("resident_pension", "“参加城乡居民基本养老保险”只能是“是”或“否”"),
            Problem("name", "“姓名”最多50个字，实际51个字"),
            Problem("left_on", "不能修改的字段：left_on"),
            Problem("relation", "“与户主关系”不能为空"),
        ]

    def test_money_and_phone(self) -> None:
        typed, problems = validation.coerce_values(
            Employment, {"transport_subsidy": "-1"}, fields={"transport_subsidy"}
        )
        assert problems == [Problem("transport_subsidy", "“年度交通费补助（元）”不能为负数")]
        typed, problems = validation.coerce_values(
            Household, {"phone": "+86 139-1234-5678"}, fields={"phone"}
        )
        assert (typed, problems) == ({"phone": "13912345678"}, [])


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("13912345678", True),
        ("0915-3212345", True),
        ("09153212345", True),
        ("12912345678", False),
        ("3212345", False),
    ],
)
def test_phone(raw: str, valid: bool) -> None:
    assert validation.is_phone(validation.normalize_phone(raw)) is valid


class TestCheckMember:
    def test_consistent_member_has_no_problem(self) -> None:
        number = synthetic_id_number(birth=date(1980, 5, 6), sex="female", serial=3)
        values = {"name": "李芳", "id_number": number, "sex": "female", "birth_date": date(1980, 5, 6)}
        assert validation.check_member(values, village_code=VILLAGE, on=ON) == []

    def test_id_from_another_city_is_a_warning(self) -> None:
        number = synthetic_id_number(birth=date(1980, 5, 6), sex="female", serial=3, region_prefix="110101")
        problems = validation.check_member({"id_number": number}, village_code=VILLAGE, on=ON)
        assert [(p.field, p.level) for p in problems] == [("id_number", "warning")]

    def test_disabled_needs_a_grade(self) -> None:
        assert validation.check_member({"health": "disabled"}, village_code=VILLAGE, on=ON) == [
            Problem("disability_grade", "健康状况为残疾时须填写残疾等级")
        ]


def test_composition_needs_exactly_one_head() -> None:
    assert validation.check_composition([{"name": "甲", "relation": "son"}]) == [
        Problem("relation", "该户没有户主（与户主关系须有一人为“户主”）")
    ]
    assert validation.check_composition(
        [{"name": "甲", "relation": "head"}, {"name": "乙", "relation": "head"}]
    ) == [Problem("relation", "该户有多名户主：甲、乙")]


def test_household_rules() -> None:
    assert validation.check_household({"household_type": "exited_poor", "is_exited_poor": False}) == [
        Problem("is_exited_poor", "户类型为“脱贫户”时，“是否脱贫户”须为“是”")
    ]
    assert validation.check_household({"relocated": True, "resettlement_site": ""}) == [
        Problem("resettlement_site", "易地扶贫搬迁集中安置户应填写安置点", "warning")
    ]
    assert validation.check_household({"household_type": "exited_poor", "is_exited_poor": True}) == []


@pytest.mark.parametrize(
    ("kind", "start", "end", "ok"),
    [
        ("calendar_year", date(2025, 1, 1), date(2025, 12, 31), True),
        ("calendar_year", date(2025, 1, 1), date(2026, 12, 31), False),
        ("calendar_year", date(2025, 2, 1), date(2025, 12, 31), False),
        ("twelve_months", date(2020, 6, 1), date(2021, 5, 31), True),
        ("twelve_months", date(2023, 3, 1), date(2024, 2, 29), True),
        ("twelve_months", date(2023, 1, 1), date(2023, 12, 31), True),
        ("twelve_months", date(2020, 6, 1), date(2021, 5, 30), False),
        ("twelve_months", date(2020, 6, 2), date(2021, 6, 1), False),
        ("fiscal", date(2020, 1, 1), date(2020, 12, 31), False),
    ],
)
def test_income_periods(kind: str, start: date, end: date, ok: bool) -> None:
    assert (validation.check_income_period(kind, start, end) == []) is ok


def test_period_end_before_start() -> None:
    assert validation.check_income_period("calendar_year", date(2025, 12, 31), date(2025, 1, 1)) == [
        Problem("period_end", "结束日期 2025-01-01 早于开始日期 2025-12-31")
    ]


def test_income_lines_are_typed() -> None:
    typed, problems = validation.check_income_lines(
        [
            {"component": "wages", "item": " 务工 ", "amount": "1200.5", "note": None},
            {"component": "excluded", "item": "慰问金", "amount": 300},
            {"component": "wages", "amount": True},
            {"component": "wages", "amount": "NaN"},
        ]
    )
    assert typed == [
        {"component": "wages", "item": "务工", "amount": Decimal("1200.5"), "note": ""},
        {"component": "excluded", "item": "慰问金", "amount": Decimal(300), "note": ""},
    ]
    assert [p.message for p in problems] == ["第3行：金额无效：True", "第4行：金额无效：NaN"]


def test_check_required_and_dates() -> None:
    assert validation.check_required({"a": "", "b": 0}, {"a": "甲", "b": "乙", "c": "丙"}) == [
        Problem("a", "“甲”不能为空"),
        Problem("c", "“丙”不能为空"),
    ]
    assert validation.check_dates_ordered(date(2025, 1, 2), None) == []
    assert validation.check_dates_ordered(date(2025, 1, 2), date(2025, 1, 2)) == []
    assert validation.check_indicator("water_guarantee", "unmet") == []
