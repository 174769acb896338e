"""The key catalogue (shapes, validators, Chinese messages) and the seeded demo defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from bangfu.policy import catalogue
from bangfu.policy.exceptions import UnknownPolicyKey
from bangfu.policy.models import PolicyValue

D = dt.date
LINE = "“防止返贫监测范围（家庭年人均纯收入）”："

SEEDED = {
    ("monitoring_line", "", D(2021, 1, 1), 6000),
    ("monitoring_line", "61", D(2024, 1, 1), 7800),
    ("income_window_months", "61", D(2021, 1, 1), 12),
    ("deadline.self_report_acceptance", "61", D(2021, 1, 1), (2, "calendar")),
    ("deadline.home_check", "61", D(2021, 1, 1), (5, "working")),
    ("deadline.info_comparison", "61", D(2021, 1, 1), (5, "calendar")),
    ("deadline.village_notice", "61", D(2021, 1, 1), (5, "calendar")),
    ("deadline.identification", "61", D(2021, 1, 1), (15, "working")),
    ("deadline.warning_feedback", "61", D(2021, 1, 1), (5, "working")),
    ("visit.interval", "61", D(2021, 1, 1), (30, "calendar")),
    ("elimination.min_stable_months", "61", D(2021, 1, 1), 6),
    ("medical.oop_per_stay_monitored", "61", D(2021, 1, 1), 6000),
    ("medical.oop_per_stay_other", "61", D(2021, 1, 1), 10000),
    ("medical.oop_income_ratio", "61", D(2021, 1, 1), 0.4),
    ("employment.no_contribution_months", "61", D(2021, 1, 1), 3),
    ("housing.unsafe_grades", "", D(2021, 1, 1), ("C", "D")),
    ("water.min_litres_rich", "", D(2021, 1, 1), 35),
    ("water.min_litres_scarce", "", D(2021, 1, 1), 20),
    ("water.max_fetch_minutes", "", D(2021, 1, 1), 20),
    ("water.max_horizontal_metres", "", D(2021, 1, 1), 800),
    ("water.max_vertical_metres", "", D(2021, 1, 1), 80),
    ("water.max_outage_days", "", D(2021, 1, 1), 36),
    ("codes.monitoring_categories", "", D(2021, 1, 1), ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")),
    (
        "codes.risk_types",
        "",
        D(2021, 1, 1),
        (
            "因病",
            "因残",
            "因学",
            "因自然灾害",
            "因意外事故",
            "因产业失败",
            "因务工就业不稳",
            "因缺劳动力",
            "因安全饮水",
            "其他",
        ),
    ),
    ("codes.elimination_methods", "", D(2021, 1, 1), ("帮扶消除", "自然消除")),
    ("microcredit.max_amount", "", D(2021, 1, 1), 50000),
    ("welfare_post.max_hire_age", "61", D(2021, 1, 1), 60),
    ("welfare_post.max_hire_age_relaxed", "61", D(2021, 1, 1), 65),
}


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return (value["days"], value["unit"])
    if isinstance(value, list):
        return tuple(value)
    return value


def test_the_demo_defaults_are_seeded_exactly(db: None) -> None:
    rows = PolicyValue.objects.all()
    assert {(r.key, r.region_prefix, r.effective_from, _comparable(r.value)) for r in rows} == SEEDED
    assert all(r.created_by_id is None for r in rows)


def test_every_seeded_value_is_valid_for_its_key_and_cites_rules_and_a_source(db: None) -> None:
    for row in PolicyValue.objects.all():
        spec = catalogue.get(row.key)
        assert spec.validate(row.value) == row.value, row.key
        assert "RULES.md §" in row.source_note, row.key
        assert "http" in row.source_note or "RULES 未载网址" in row.source_note, row.key


def test_shaanxi_rows_say_they_are_demo_assumptions(db: None) -> None:
    shaanxi = PolicyValue.objects.filter(region_prefix="61")
    assert shaanxi.count() == 16
    assert all("演示假设" in row.source_note for row in shaanxi)
    line = PolicyValue.objects.get(key="monitoring_line", region_prefix="61")
    assert line.source_note.startswith("演示假设，不是陕西省公布的数字")


def test_every_catalogue_key_is_seeded() -> None:
    assert {spec.key for spec in catalogue.CATALOGUE} == {key for key, *_ in SEEDED}


def test_unknown_key_is_refused_with_a_chinese_message() -> None:
    with pytest.raises(UnknownPolicyKey, match=r"^未知的政策参数：“poverty_line”。请检查参数名称是否正确。$"):
        catalogue.get("poverty_line")


def _message(key: str, raw: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        catalogue.get(key).validate(raw)
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        (
            "monitoring_line",
            "abc",
            {"amount": [LINE + "金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“abc”。"]},
        ),
        (
            "monitoring_line",
            -1,
            {"amount": [LINE + "金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“-1”。"]},
        ),
        (
            "monitoring_line",
            "7800.125",
            {"amount": [LINE + "金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“7800.125”。"]},
        ),
        (
            "monitoring_line",
            True,
            {"amount": [LINE + "金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“True”。"]},
        ),
        (
            "deadline.home_check",
            {"days": 0, "unit": "working"},
            {"days": ["“入户核查时限”：天数必须是 1 到 3650 之间的整数，收到“0”。"]},
        ),
        (
            "deadline.home_check",
            {"days": 5, "unit": "weekday"},
            {"unit": ["“入户核查时限”：计算方式必须是“自然日”或“工作日”。"]},
        ),
        (
            "elimination.min_stable_months",
            "61",
            {"number": ["“风险消除前收入稳定最少月数”：月数必须是1 到 60 之间的整数，收到“61”。"]},
        ),
        (
            "medical.oop_income_ratio",
            "40%",
            {
                "ratio": [
                    "“医保预警：医疗自付占家庭年收入比例”："
                    "比例必须是 0 到 1 之间的小数（如 0.4 表示 40%），最多四位小数，收到“40%”。"
                ]
            },
        ),
        ("codes.elimination_methods", [], {"items": ["“代码表：风险消除方式”：代码表至少要有一项。"]}),
        (
            "codes.elimination_methods",
            ["帮扶消除", "帮扶消除"],
            {"items": ["“代码表：风险消除方式”：第 2 项“帮扶消除”重复。"]},
        ),
    ],
)
def test_bad_values_get_a_chinese_message_naming_the_parameter(
    key: str, raw: Any, expected: dict[str, list[str]]
) -> None:
    assert _message(key, raw) == expected


@pytest.mark.parametrize(
    ("key", "raw", "stored", "python", "display"),
    [
        ("monitoring_line", "7,800", 7800, Decimal(7800), "7,800 元"),
        ("monitoring_line", "8050.50", 8050.5, Decimal("8050.5"), "8,050.50 元"),
        (
            "deadline.identification",
            {"days": "15", "unit": "working"},
            {"days": 15, "unit": "working"},
            {"days": 15, "unit": "working"},
            "15 个工作日",
        ),
        (
            "deadline.village_notice",
            {"days": 5, "unit": "calendar"},
            {"days": 5, "unit": "calendar"},
            {"days": 5, "unit": "calendar"},
            "5 天（自然日）",
        ),
        ("medical.oop_income_ratio", "0.40", 0.4, Decimal("0.4"), "40%"),
        ("water.min_litres_rich", "35", 35, 35, "35 升/人·日"),
        ("elimination.min_stable_months", 6, 6, 6, "6 个月"),
        ("housing.unsafe_grades", [" C ", "D"], ["C", "D"], ["C", "D"], "C、D"),
    ],
)
def test_good_values_are_normalised_converted_and_displayed(
    key: str, raw: Any, stored: Any, python: Any, display: str
) -> None:
    spec = catalogue.get(key)
    assert spec.validate(raw) == stored
    assert spec.to_python(stored) == python
    assert spec.display(stored) == display
