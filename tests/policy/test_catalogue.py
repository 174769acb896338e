"""The key catalogue (shapes, validators, bounds, Chinese messages), the seeded national rows and the demo's
assumed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from bangfu import policy
from bangfu.demo.services import DEMO_POLICY, seed_demo_policy
from bangfu.policy import catalogue
from bangfu.policy.catalogue import Shape
from bangfu.policy.exceptions import PolicyNotSet, UnknownPolicyKey
from bangfu.policy.models import PolicyValue

D = dt.date
LINE = "“防止返贫监测范围（家庭年人均纯收入）”："

# What the data migration seeds: sourced national rules only.
NATIONAL = {
    ("monitoring_line", "", D(2021, 1, 1), 6000),
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
}
# What the demo adds for 陕西省: assumptions borrowed from other places, never loaded in a deployment.
DEMO = {
    ("monitoring_line", "61", D(2024, 1, 1), 7800),
    ("income_window_months", "61", D(2021, 1, 1), 12),
    ("deadline.self_report_acceptance", "61", D(2021, 1, 1), (2, "calendar")),
    ("deadline.home_check", "61", D(2021, 1, 1), (5, "working")),
    ("deadline.info_comparison", "61", D(2021, 1, 1), (5, "calendar")),
    ("deadline.village_notice", "61", D(2021, 1, 1), (5, "calendar")),
    ("deadline.village_appraisal", "61", D(2021, 1, 1), (5, "calendar")),
    ("deadline.town_review", "61", D(2021, 1, 1), (3, "working")),
    ("deadline.county_approval", "61", D(2021, 1, 1), (3, "working")),
    ("deadline.announcement", "61", D(2021, 1, 1), (2, "working")),
    ("deadline.identification", "61", D(2021, 1, 1), (15, "working")),
    ("deadline.warning_feedback", "61", D(2021, 1, 1), (5, "working")),
    ("visit.interval", "61", D(2021, 1, 1), (30, "calendar")),
    ("elimination.min_stable_months", "61", D(2021, 1, 1), 6),
    ("medical.oop_per_stay_monitored", "61", D(2021, 1, 1), 6000),
    ("medical.oop_per_stay_other", "61", D(2021, 1, 1), 10000),
    ("medical.oop_income_ratio", "61", D(2021, 1, 1), 0.4),
    ("employment.no_contribution_months", "61", D(2021, 1, 1), 3),
    ("welfare_post.max_hire_age", "61", D(2021, 1, 1), 60),
    ("welfare_post.max_hire_age_relaxed", "61", D(2021, 1, 1), 65),
    ("rectification.start_within", "61", D(2021, 1, 1), (3, "working")),
    ("rectification.county_verifies_red", "61", D(2021, 1, 1), 1),
    ("rectification.backdate_days", "61", D(2021, 1, 1), 3),
    ("deadline.supervision_reply", "61", D(2021, 1, 1), (3, "working")),
    ("rectification.circular_after_orders", "61", D(2021, 1, 1), 2),
    ("rectification.interview_after_circulars", "61", D(2021, 1, 1), 2),
    ("rectification.referral_after_interviews", "61", D(2021, 1, 1), 1),
}
VILLAGE = "610902001001"


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return (value["days"], value["unit"])
    if isinstance(value, list):
        return tuple(value)
    return value


def _stored() -> set[tuple[str, str, dt.date, Any]]:
    return {
        (r.key, r.region_prefix, r.effective_from, _comparable(r.value)) for r in PolicyValue.objects.all()
    }


def test_the_migration_seeds_exactly_the_sourced_national_rows(db: None) -> None:
    assert _stored() == NATIONAL
    assert not PolicyValue.objects.filter(created_by__isnull=False).exists()


def test_no_seeded_row_is_a_demo_assumption(db: None) -> None:
    assert [r.key for r in PolicyValue.objects.all() if "演示假设" in r.source_note] == []


def test_the_demo_adds_its_assumptions_for_shaanxi_once(demo_policy: None) -> None:
    assert _stored() == NATIONAL | DEMO
    shaanxi = PolicyValue.objects.filter(region_prefix="61")
    assert shaanxi.count() == len(DEMO_POLICY) == 27
    assert all("演示假设" in row.source_note and row.created_by_id is None for row in shaanxi)
    line = PolicyValue.objects.get(key="monitoring_line", region_prefix="61")
    assert line.source_note.startswith("演示假设，不是陕西省公布的数字")

    assert seed_demo_policy() == 0  # re-running changes nothing
    assert _stored() == NATIONAL | DEMO


def test_every_seeded_value_is_valid_for_its_key_and_cites_rules_and_a_source(demo_policy: None) -> None:
    for row in PolicyValue.objects.all():
        spec = catalogue.get(row.key)
        assert spec.validate(row.value) == row.value, row.key
        assert "RULES.md §" in row.source_note, row.key
        assert "http" in row.source_note or "RULES 未载网址" in row.source_note, row.key


def test_every_catalogue_key_is_seeded_nationally_or_by_the_demo() -> None:
    assert {spec.key for spec in catalogue.CATALOGUE} == {key for key, *_ in NATIONAL | DEMO}


def test_in_the_demo_every_key_resolves_for_a_shaanxi_village(demo_policy: None) -> None:
    keys = [spec.key for spec in catalogue.CATALOGUE]
    for on in (D(2026, 6, 1), D(2031, 1, 1)):
        assert set(policy.values_for(keys, region=VILLAGE, on=on)) == set(keys)


def test_without_the_demo_national_keys_resolve_and_the_others_are_not_set(db: None) -> None:
    national = {key for key, *_ in NATIONAL}
    for spec in catalogue.CATALOGUE:
        if spec.key in national:
            assert policy.value(spec.key, region=VILLAGE, on=D(2026, 6, 1)) is not None
        else:
            with pytest.raises(PolicyNotSet):
                policy.value(spec.key, region=VILLAGE, on=D(2026, 6, 1))
    with pytest.raises(PolicyNotSet) as caught:
        policy.value("deadline.home_check", region=VILLAGE, on=D(2026, 6, 1))
    assert caught.value.message == (
        "政策参数“入户核查时限”（deadline.home_check）在 2026-06-01 对区划610902001001没有生效的取值，"
        "请市指挥部先录入。"
    )


def test_every_number_in_the_catalogue_has_an_upper_bound() -> None:
    numeric = [s for s in catalogue.CATALOGUE if s.shape in {Shape.MONEY, Shape.MONTHS, Shape.COUNT}]
    assert [s.key for s in numeric if s.maximum is None] == []
    assert {s.key: s.maximum for s in numeric if s.shape == Shape.MONEY} == {
        "monitoring_line": 100_000,
        "medical.oop_per_stay_monitored": 1_000_000,
        "medical.oop_per_stay_other": 1_000_000,
        "microcredit.max_amount": 1_000_000,
    }


def test_a_numeric_key_without_a_maximum_cannot_be_declared() -> None:
    with pytest.raises(ValueError, match="needs a maximum"):
        catalogue.PolicyKey(
            "x", catalogue.SHAPE_LABELS[Shape.MONEY], catalogue.SHAPE_LABELS[Shape.MONEY], Shape.MONEY
        )


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
        (
            "monitoring_line",
            "100000.01",
            {"amount": [LINE + "金额不能超过 100,000 元。"]},
        ),
        (
            "monitoring_line",
            "1" + "0" * 30,
            {"amount": [LINE + "金额不能超过 100,000 元。"]},
        ),
        (
            "monitoring_line",
            "1" * 41,
            {
                "amount": [
                    LINE
                    + "金额必须是不小于 0 的数字，最多两位小数（单位：元），收到“11111111111111111111…”。"
                ]
            },
        ),
        (
            "deadline.home_check",
            {"days": 3651, "unit": "working"},
            {"days": ["“入户核查时限”：天数必须是 1 到 3650 之间的整数，收到“3651”。"]},
        ),
        (
            "water.max_outage_days",
            "367",
            {"number": ["“饮水安全：年累计断水最多天数”：数值必须是0 到 366 之间的整数，收到“367”。"]},
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


NOTATION = "请用普通数字书写（如 7800 或 0.4），不接受科学计数法、NaN 或 Infinity，收到“%s”。"


@pytest.mark.parametrize(
    ("key", "raw", "shown", "input_name"),
    [
        ("monitoring_line", "1e400", "1e400", "amount"),  # once stored as a 401-digit line
        ("monitoring_line", "7.8E3", "7.8E3", "amount"),
        ("monitoring_line", "NaN", "NaN", "amount"),
        ("monitoring_line", "Infinity", "Infinity", "amount"),
        ("monitoring_line", float("inf"), "inf", "amount"),
        ("monitoring_line", 1e16, "1e+16", "amount"),
        ("monitoring_line", Decimal("7.8E+3"), "7.8E+3", "amount"),
        ("medical.oop_income_ratio", "4e-1", "4e-1", "ratio"),
        ("medical.oop_income_ratio", float("nan"), "nan", "ratio"),
        ("elimination.min_stable_months", "6e0", "6e0", "number"),
        ("water.max_horizontal_metres", "-Infinity", "-Infinity", "number"),
    ],
)
def test_exponents_nan_and_infinity_are_refused_with_their_own_message(
    key: str, raw: Any, shown: str, input_name: str
) -> None:
    label = catalogue.get(key).label
    assert _message(key, raw) == {input_name: [f"“{label}”：" + NOTATION % shown]}


def test_exponent_days_of_a_deadline_are_refused() -> None:
    assert _message("deadline.home_check", {"days": "5e0", "unit": "working"}) == {
        "days": ["“入户核查时限”：" + NOTATION % "5e0"]
    }


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
