"""The town's change-request inbox on a 360-px phone: every column stays readable (no change type broken into
one character per line, no household number cut off by the table's edge)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from bangfu.accounts.models import User
from bangfu.registry import services
from tests.browser.conftest import PHONE
from tests.factories import TEST_PASSWORD, synthetic_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_change_inbox_fits_a_phone(
    browser: Browser, live_server: object, town_officer: User, village_cadre: User
) -> None:
    today = timezone.localdate()
    household = services.create_household(
        by=town_officer,
        values={"region_code": "610902001001", "household_number": "610902001001000321"},
        members=[
            {
                "name": "吴长顺",
                "id_number": synthetic_id_number(birth=date(1966, 4, 18), sex="male", serial=61),
                "relation": "head",
            }
        ],
        on=today,
    )
    head = household.members.get()
    services.submit_change(
        by=village_cadre,
        kind="update_member",
        payload={"name": "吴长春"},
        reason="户口本姓名更正",
        household=household,
        member=head,
        on=today,
    )
    context = browser.new_context(viewport=PHONE, base_url=str(live_server))
    page = context.new_page()
    page.goto("/accounts/login/?next=/households/changes/")
    page.get_by_label("用户名").fill(town_officer.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    table = page.get_by_test_id("changes-pending")
    link = table.get_by_role("link", name="修改家庭成员信息")
    expect(link).to_be_visible()
    # The waiting time, the village and the submitter are still on the row.
    expect(table).to_contain_text("已等待 0 天")
    expect(table).to_contain_text("东关村")
    expect(table).to_contain_text("village_cadre")
    # The change type reads on one or two lines, not one character per line.
    box = link.bounding_box()
    assert box is not None
    line_height = float(link.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box["height"] <= 2 * line_height + 1
    # The table fits the screen: nothing hidden behind a sideways scroll.
    for key in ("pending", "decided"):
        wrapper = page.get_by_test_id(f"changes-{key}").locator("xpath=..")
        assert wrapper.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    context.close()
