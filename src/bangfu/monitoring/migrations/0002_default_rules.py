"""The default screening rules (RULES §5.2, issue 4): each reads one kind of department data or the income
statements, with its thresholds taken from the policy tables. A province changes them as data (a new
version with a later ``effective_from``), never here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations

START = dt.date(2021, 1, 1)  # the start of the transition period, as the policy defaults (RULES §0)
# Households a department's alert concerns first: registered exited-poor, 低保, 特困 (RULES §5.2 住建).
PRIORITY: dict[str, Any] = {
    "any": [
        {"household": "is_exited_poor", "op": "eq", "value": True},
        {"programme": "dibao", "active": True},
        {"programme": "extreme_poverty_support", "active": True},
        {"programme": "dibao_edge", "active": True},
    ]
}

RULES: list[dict[str, Any]] = [
    {
        "code": "MED-01",
        "name": "脱贫户及低保、特困人员单次住院自付超过预警额",
        "source": "medical",
        "risk_type": "因病",
        "window_days": 90,
        "condition": [PRIORITY, {"field": "amount", "op": "gt", "value": {"policy": "medical.oop_per_stay_monitored"}}],
    },
    {
        "code": "MED-02",
        "name": "其他农村居民单次住院自付超过预警额",
        "source": "medical",
        "risk_type": "因病",
        "window_days": 90,
        "condition": [{"not": PRIORITY}, {"field": "amount", "op": "gt", "value": {"policy": "medical.oop_per_stay_other"}}],
    },
    {
        "code": "MED-03",
        "name": "一年内医疗自付累计超过家庭纯收入的规定比例",
        "source": "medical",
        "risk_type": "因病",
        "window_days": 365,
        "condition": [
            {"income_share": {"op": "gt", "value": {"policy": "medical.oop_income_ratio"}, "days": 365}}
        ],
    },
    {
        "code": "HOU-01",
        "name": "重点对象住房鉴定为危房",
        "source": "housing",
        "risk_type": "其他",
        "window_days": 365,
        "condition": [PRIORITY, {"field": "grade", "op": "in", "value": {"policy": "housing.unsafe_grades"}}],
    },
    {
        "code": "EDU-01",
        "name": "义务教育适龄儿童未在校（疑似辍学、辍学、未入学）",
        "source": "school",
        "risk_type": "因学",
        "window_days": 180,
        "condition": [
            {"field": "category", "op": "in", "value": ["suspected_dropout", "dropout", "not_enrolled"]},
            {"age": {"gte": 6, "lte": 15}},
        ],
    },
    {
        "code": "DTH-01",
        "name": "劳动年龄的主要劳动力死亡",
        "source": "death",
        "risk_type": "因缺劳动力",
        "window_days": 180,
        "condition": [
            {"age": {"gte": 16, "lte": 60}},
            {"member": "labour_capacity", "op": "in", "value": ["skilled", "ordinary"]},
        ],
    },
    {
        "code": "DIS-01",
        "name": "新增一、二级重度残疾",
        "source": "disability",
        "risk_type": "因残",
        "window_days": 365,
        "condition": [{"field": "grade", "op": "in", "value": ["1", "2"]}, {"new_within_days": 90}],
    },
    {
        "code": "EMP-01",
        "name": "务工人员连续无社保缴费",
        "source": "employment",
        "risk_type": "因务工就业不稳",
        "window_days": 365,
        "condition": [
            {"field": "category", "op": "eq", "value": "contribution_gap"},
            {"field": "amount", "op": "gte", "value": {"policy": "employment.no_contribution_months"}},
        ],
    },
    {
        "code": "ASS-01",
        "name": "新纳入低保但登记中无低保的农户",
        "source": "assistance",
        "risk_type": "其他",
        "window_days": 365,
        "condition": [
            {"field": "category", "op": "eq", "value": "dibao"},
            {"new_within_days": 90},
            {"programme": "dibao", "active": False},
        ],
    },
    {
        "code": "DSR-01",
        "name": "受灾农户",
        "source": "disaster",
        "risk_type": "因自然灾害",
        "window_days": 180,
        "condition": [{"field": "category", "op": "ne", "value": ""}],
    },
    {
        "code": "INC-01",
        "name": "家庭人均纯收入低于监测范围的1.1倍",
        "source": "income",
        "risk_type": "其他",
        "window_days": 400,
        "condition": [
            {"field": "net_income_per_capita", "op": "lt", "value": {"policy": "monitoring_line", "times": "1.1"}}
        ],
    },
]


def seed(apps: Any, schema_editor: Any) -> None:
    ScreeningRule = apps.get_model("monitoring", "ScreeningRule")
    for rule in RULES:
        ScreeningRule.objects.get_or_create(
            code=rule["code"],
            region_prefix="",
            effective_from=START,
            defaults={key: value for key, value in rule.items() if key != "code"},
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("monitoring", "ScreeningRule").objects.filter(region_prefix="", effective_from=START).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_screening")]

    operations = [migrations.RunPython(seed, unseed)]
