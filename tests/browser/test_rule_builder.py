"""In chromium: the city headquarters writes a screening rule term by term — the builder writes the
condition's JSON, reads it back, and steps aside for "any"/"not" groups — under the strict CSP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bangfu.accounts.models import User
from bangfu.monitoring.models import ScreeningRule
from tests.browser.conftest import DESKTOP
from tests.browser.test_change_review import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Browser, live_server: object, city_hq: User) -> Iterator[Page]:
    session = Session(browser, live_server, city_hq, DESKTOP)
    session.page.goto("/warnings/rules/new/")
    yield session.page
    assert session.csp_errors == []
    session.context.close()


def condition(page: Page) -> object:
    return json.loads(page.locator("#id_condition").input_value())


def test_a_rule_is_written_term_by_term_and_saved(page: Page) -> None:
    page.get_by_label("规则编码").fill("MED-71")
    page.get_by_label("规则名称").fill("未享受低保的住院自付超过预警额八成")
    page.get_by_label("数据来源").select_option("medical")
    page.get_by_label("风险类型").fill("因病")
    page.get_by_label("生效日期").fill("2026-12-01")

    page.get_by_role("button", name="添加一项条件").click()
    first = page.locator("[data-term]").nth(0)
    first.get_by_label("类型", exact=True).select_option("field")
    # The medical file's own name for the amount.
    first.get_by_label("项目", exact=True).select_option(label="个人自付")
    first.get_by_label("比较", exact=True).select_option("gt")
    first.get_by_label("或引用政策参数", exact=True).select_option("medical.oop_per_stay_other")
    first.get_by_label("倍数", exact=True).fill("0.8")

    page.get_by_role("button", name="添加一项条件").click()
    second = page.locator("[data-term]").nth(1)
    second.get_by_label("类型", exact=True).select_option("programme")
    second.get_by_label("项目", exact=True).select_option("dibao")
    second.get_by_label("比较", exact=True).select_option(label="未享受")

    page.get_by_role("button", name="添加一项条件").click()
    third = page.locator("[data-term]").nth(2)
    third.get_by_label("类型", exact=True).select_option("member")
    third.get_by_label("项目", exact=True).select_option("labour_capacity")
    third.get_by_label("比较", exact=True).select_option("in")
    third.get_by_label("取值", exact=True).fill("skilled、ordinary")

    expected = [
        {"field": "amount", "op": "gt", "value": {"policy": "medical.oop_per_stay_other", "times": "0.8"}},
        {"programme": "dibao", "active": False},
        {"member": "labour_capacity", "op": "in", "value": ["skilled", "ordinary"]},
    ]
    assert condition(page) == expected

    # A term removed is gone from the condition.
    page.get_by_role("button", name="添加一项条件").click()
    page.locator("[data-term]").nth(3).get_by_role("button", name="删除").click()
    assert condition(page) == expected

    page.get_by_role("button", name="新增规则").click()
    expect(page.get_by_text("已新增规则 MED-71。")).to_be_visible()
    assert ScreeningRule.objects.get(code="MED-71").condition == expected


def test_a_written_condition_is_read_back_and_groups_are_left_to_json(page: Page) -> None:
    page.get_by_label("数据来源").select_option("school")
    textarea = page.locator("#id_condition")
    textarea.fill(
        json.dumps(
            [
                {"field": "category", "op": "in", "value": ["dropout", "suspected_dropout"]},
                {"age": {"gte": 6, "lte": 15}},
            ]
        )
    )
    textarea.dispatch_event("change")

    rows = page.locator("[data-term]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_label("项目", exact=True)).to_have_value("category")
    expect(rows.nth(0).get_by_label("取值", exact=True)).to_have_value("dropout、suspected_dropout")
    # The school file's codes are listed beside the field, with their names.
    expect(rows.nth(0).locator("[data-term-codes]")).to_contain_text("dropout（辍学）")
    expect(rows.nth(1).get_by_label("不小于（岁）", exact=True)).to_have_value("6")
    expect(rows.nth(1).get_by_label("不大于（岁）", exact=True)).to_have_value("15")

    grouped = [{"any": [{"field": "grade", "op": "eq", "value": "1"}]}]
    textarea.fill(json.dumps(grouped))
    textarea.dispatch_event("change")
    expect(page.get_by_text("该条件含“任一/否定”组合，请直接编辑下方 JSON。")).to_be_visible()
    expect(page.get_by_role("button", name="添加一项条件")).to_be_disabled()
    # Changing the source does not write the old rows over the grouped condition.
    page.get_by_label("数据来源").select_option("disability")
    assert condition(page) == grouped
