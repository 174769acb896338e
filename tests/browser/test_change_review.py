"""In chromium: a village cadre's change on a phone goes to the town, which approves it on a PC; the forms'
behaviours (indicator values, income period, extra rows) and the import page's progress polling work under the
strict CSP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bangfu.accounts.models import User
from bangfu.registry import services
from bangfu.registry.models import ChangeRequest, Household, ImportRun, ImportStatus
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import TEST_PASSWORD, ImportRunFactory, synthetic_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DONGGUAN = "610902001001"


@pytest.fixture
def household(town_officer: User) -> Household:
    return services.create_household(
        by=town_officer,
        values={"region_code": DONGGUAN, "household_number": "610902001001000001"},
        members=[
            {
                "name": "王建国",
                "id_number": synthetic_id_number(birth=date(1970, 5, 1), sex="male", serial=11),
                "relation": "head",
            },
            {
                "name": "王小明",
                "id_number": synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=13),
                "relation": "son",
            },
        ],
        on=timezone.localdate(),
    )


class Session:
    """A logged-in browser page that records Content-Security-Policy violations."""

    def __init__(self, browser: Browser, live_server: object, user: User, viewport: dict[str, int]) -> None:
        self.context: BrowserContext = browser.new_context(viewport=viewport, base_url=str(live_server))
        self.page: Page = self.context.new_page()
        self.csp_errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: self.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        self.page.goto("/accounts/login/")
        self.page.get_by_label("用户名").fill(user.username)
        self.page.get_by_label("密码").fill(TEST_PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_test_id("user-name")).to_be_attached()


@pytest.fixture
def sessions(browser: Browser, live_server: object) -> Iterator[list[Session]]:
    made: list[Session] = []
    yield made
    for session in made:
        assert session.csp_errors == []
        session.context.close()


def login(
    sessions: list[Session], browser: Browser, live_server: object, user: User, viewport: dict[str, int]
) -> Page:
    session = Session(browser, live_server, user, viewport)
    sessions.append(session)
    return session.page


def test_a_village_change_on_a_phone_is_approved_by_the_town(
    household: Household,
    village_cadre: User,
    town_officer: User,
    browser: Browser,
    live_server: object,
    sessions: list[Session],
) -> None:
    son = household.members.get(name="王小明")
    phone = login(sessions, browser, live_server, village_cadre, PHONE)
    phone.goto(f"/households/members/{son.pk}/edit/")
    phone.get_by_label("姓名").fill("王晓明")
    phone.get_by_label("变更理由").fill("按户口本更正")
    phone.get_by_role("button", name="保存").click()
    expect(phone.get_by_text("已提交，等待乡镇审核。")).to_be_visible()
    change = ChangeRequest.objects.get()
    assert phone.url.endswith(f"/households/changes/{change.pk}/")

    pc = login(sessions, browser, live_server, town_officer, DESKTOP)
    pc.goto("/households/changes/")
    pc.get_by_role("link", name="修改家庭成员信息").click()
    expect(pc.get_by_test_id("change-reason")).to_have_text("按户口本更正")
    pc.get_by_role("button", name="审核通过").click()
    expect(pc.get_by_text("已审核通过，修改已生效。")).to_be_visible()
    son.refresh_from_db()
    assert son.name == "王晓明"


def test_indicator_values_follow_the_indicator(
    household: Household, village_cadre: User, browser: Browser, live_server: object, sessions: list[Session]
) -> None:
    page = login(sessions, browser, live_server, village_cadre, PHONE)
    page.goto(f"/households/{household.pk}/indicators/new/")
    values = page.get_by_label("结果")
    page.get_by_label("指标").select_option("housing_grade")
    offered = values.locator("option:not([hidden])")
    expect(offered).to_have_text(["—", "A级", "B级", "C级（局部危房）", "D级（整幢危房）"])
    values.select_option("C")
    page.get_by_label("指标").select_option("water_quality")
    expect(offered).to_have_text(["—", "达标（无问题）", "不达标（有问题）"])
    expect(values).to_have_value("")


def test_the_income_form_stacks_on_a_phone_and_adds_rows(
    household: Household, county_clerk: User, browser: Browser, live_server: object, sessions: list[Session]
) -> None:
    page = login(sessions, browser, live_server, county_clerk, PHONE)
    page.goto(f"/households/{household.pk}/income/new/")
    # One statement period input at a time: the year for 自然年度, the date for 认定前12个月.
    expect(page.get_by_label("年度")).to_be_visible()
    expect(page.get_by_label("认定日期")).to_be_hidden()
    page.get_by_label("统计口径").select_option("twelve_months")
    expect(page.get_by_label("认定日期")).to_be_visible()
    expect(page.get_by_label("年度")).to_be_hidden()
    # On 360 px the amount input takes the whole width under its label; the page does not scroll sideways.
    amount = page.get_by_label("工资性收入", exact=True).bounding_box()
    assert amount is not None
    assert amount["width"] > 280
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rows = page.locator(".excluded-row")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="添加一行").click()
    expect(rows).to_have_count(3)
    expect(page.locator("#id_excluded-TOTAL_FORMS")).to_have_value("3")


def test_the_run_page_polls_until_the_import_finishes(
    county_clerk: User, browser: Browser, live_server: object, sessions: list[Session]
) -> None:
    run = ImportRunFactory(
        created_by=county_clerk, status=ImportStatus.RUNNING, total_rows=100, processed_rows=40
    )
    page = login(sessions, browser, live_server, county_clerk, DESKTOP)
    page.goto(f"/households/imports/{run.pk}/")
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("data-status", "running")
    expect(page.locator("progress")).to_have_attribute("value", "40")
    ImportRun.objects.filter(pk=run.pk).update(processed_rows=80)
    expect(page.locator("progress")).to_have_attribute("value", "80")
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.REJECTED,
        processed_rows=100,
        error_count=1,
        problems=[
            {"sheet": "Sheet1", "row": 7, "column": "D", "level": "error", "message": "证件号码位数不对"}
        ],
    )
    expect(progress).to_have_attribute("data-status", "rejected")
    expect(page.get_by_test_id("import-problems")).to_contain_text("证件号码位数不对")
    assert page.url.endswith(f"/households/imports/{run.pk}/")
