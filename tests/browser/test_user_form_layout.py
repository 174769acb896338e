"""The security admin's user form on a 360-px phone and on an office screen: the inspected counties read as
check boxes with their names on one line, above the save button (not one character a line, running over the
button and the footer)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from bangfu.accounts.models import User
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_demo_logins import _bind_authenticator
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_inspected_counties_fit_the_user_form(
    browser: Browser,
    live_server: object,
    security_admin: User,
    regions: dict[str, Region],
    viewport: dict[str, int],
) -> None:
    context = browser.new_context(viewport=viewport, base_url=str(live_server))
    page = context.new_page()
    page.goto("/accounts/login/?next=/accounts/users/new/")
    page.get_by_label("用户名").fill(security_admin.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    _bind_authenticator(page, security_admin)
    expect(page).to_have_title("新建用户 · 帮扶")

    county = Region.objects.filter(level=Level.COUNTY).order_by("code").first()
    assert county is not None
    box = page.get_by_label(county.name, exact=False).first
    expect(box).to_be_visible()
    label = page.locator("label.form-check-label", has_text=county.name).first
    label_box = label.bounding_box()
    assert label_box is not None
    # One line of text (about 24 px), beside its check box.
    assert label_box["height"] < 40
    checks = page.locator("#id_assigned_regions input[type=checkbox]")
    last = checks.nth(checks.count() - 1).bounding_box()
    save = page.get_by_role("button", name="保存").bounding_box()
    assert last is not None
    assert save is not None
    assert save["y"] > last["y"] + last["height"]
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    context.close()
