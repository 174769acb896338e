"""The rule catalogue's form: the city headquarters adds a rule (or a version of one) on the page, with a
preview that adds nothing; a bad condition is explained beside the field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.monitoring.models import ScreeningRule
from bangfu.policy.services import add_policy_version

pytestmark = pytest.mark.django_db

FORM = {
    "code": "MED-61",
    "name": "陕西：单次住院自付超过8000元",
    "source": "medical",
    "risk_type": "因病",
    "condition": json.dumps([{"field": "amount", "op": "gt", "value": 8000}]),
    "window_days": "90",
    "region_prefix": "61",
    "effective_from": "2026-04-01",
    "enabled": "on",
}


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_city_adds_a_rule_on_the_page(city_hq: User) -> None:
    response = client(city_hq).post("/warnings/rules/new/", FORM)

    assert response.status_code == 302
    rule = ScreeningRule.objects.get(code="MED-61")
    assert (rule.window_days, rule.region_prefix, rule.enabled) == (90, "61", True)
    assert "MED-61" in client(city_hq).get("/warnings/rules/").content.decode()


def test_a_bad_condition_is_explained_and_nothing_is_added(city_hq: User) -> None:
    bad = {**FORM, "condition": json.dumps([{"field": "amount", "op": "between", "value": 1}])}
    page = client(city_hq).post("/warnings/rules/new/", bad).content.decode()
    assert "比较方式“between”无效" in page
    broken = client(city_hq).post("/warnings/rules/new/", {**FORM, "condition": "[{"}).content.decode()
    assert "条件不是有效的 JSON" in broken
    padded = client(city_hq).post("/warnings/rules/new/", {**FORM, "region_prefix": "6100"}).content.decode()
    assert "适用范围须为区划代码前缀" in padded
    assert not ScreeningRule.objects.filter(code="MED-61").exists()


def test_a_preview_counts_and_adds_nothing(regions: object, city_hq: User) -> None:
    import datetime as dt

    add_policy_version(
        key="deadline.warning_feedback",
        region_prefix="61",
        effective_from=dt.date(2025, 1, 1),
        value={"days": 5, "unit": "calendar"},
        source_note="测试",
        by=None,
    )
    page = client(city_hq).post("/warnings/rules/new/", {**FORM, "preview": "1"}).content.decode()

    assert "MED-61：将涉及0户" in page
    assert not ScreeningRule.objects.filter(code="MED-61").exists()


def test_only_the_city_sees_the_form(county_clerk: User, city_hq: User) -> None:
    assert client(county_clerk).get("/warnings/rules/new/").status_code == 403
    assert "/warnings/rules/new/" not in client(county_clerk).get("/warnings/rules/").content.decode()
    assert "/warnings/rules/new/" in client(city_hq).get("/warnings/rules/").content.decode()


def test_the_runs_page_shows_each_rules_households_per_county_of_the_users_scope(
    city_hq: User, county_clerk: User, other_county_clerk: User
) -> None:
    import datetime as dt

    from django.utils import timezone

    from bangfu.monitoring.models import ScreeningRun

    now = timezone.now()
    ScreeningRun.objects.create(
        as_of=dt.date(2026, 3, 20),
        started_at=now - dt.timedelta(seconds=8),
        finished_at=now,
        created_warnings=7,
        counts={
            "rules": {
                "INC-01": {
                    "name": "收入偏低",
                    "flagged": 7,
                    "new": 7,
                    "by_county": {"610902": 5, "610981": 2},
                }
            },
            "by_county": {"610902": 5, "610981": 2},
        },
    )

    city = client(city_hq).get("/warnings/runs/").content.decode()
    assert "汉滨区" in city
    assert "旬阳市" in city
    assert "新增预警 7 条" in city
    assert "用时 8.0 秒" in city
    # A county sees its own column, and no figure of the whole run.
    county = client(county_clerk).get("/warnings/runs/").content.decode()
    assert "汉滨区" in county
    assert "旬阳市" not in county
    assert "新增预警" not in county
    assert ">5<" in county.replace(" ", "").replace("\n", "")
    other = client(other_county_clerk).get("/warnings/runs/").content.decode()
    assert "旬阳市" in other
    assert "汉滨区" not in other


def test_a_run_of_another_county_is_not_listed(county_clerk: User, city_hq: User) -> None:
    import datetime as dt

    from django.utils import timezone

    from bangfu.monitoring.models import ScreeningRun

    ScreeningRun.objects.create(
        as_of=dt.date(2026, 3, 21),
        region_prefix="610981",
        started_at=timezone.now(),
        created_by=city_hq,
        counts={
            "rules": {
                "MED-01": {
                    "name": "x",
                    "flagged": 0,
                    "new": 0,
                    "by_county": {},
                    "skipped": {"610981": "缺少"},
                }
            },
            "by_county": {},
        },
    )

    assert "2026-03-21" in client(city_hq).get("/warnings/runs/").content.decode()
    county = client(county_clerk).get("/warnings/runs/").content.decode()
    assert "2026-03-21" not in county
    assert "县区因缺少政策参数未筛查" not in county
