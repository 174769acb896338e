"""Each demo account logs in through the real login page in headless chromium and is offered its role's
navigation, on a 360-px phone and on an office PC screen. Admin roles bind a TOTP authenticator first."""

from __future__ import annotations

import re
from binascii import unhexlify

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from bangfu.accounts.models import ADMIN_ROLES, User
from bangfu.demo.services import DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo
from tests.browser.conftest import DESKTOP, PHONE

BUSINESS_NAV = ["首页", "本辖区", "政策参数"]
# Every link of the main navigation in page order, the ones inside its drop-down menus included.
REVIEWER_NAV = [
    "首页",
    "农户信息",
    "变更审核",
    "疑似重复",
    "数据导入",
    "数据质量",
    "预警线索",
    "监测对象识别",
    "部门数据",
    "排查清零",
    "清零周报",
    "督办通报",
    "本辖区",
    "政策参数",
]
EXPECTED_NAV = {
    "demo_city": REVIEWER_NAV,
    "demo_county": REVIEWER_NAV,
    "demo_medical": [
        "首页",
        "预警线索",
        "部门数据",
        "排查清零",
        "清零周报",
        "督办通报",
        "本辖区",
        "政策参数",
    ],
    "demo_town": [
        "首页",
        "农户信息",
        "变更审核",
        "疑似重复",
        "数据导入",
        "数据质量",
        "预警线索",
        "监测对象识别",
        "我的联系户",
        "排查清零",
        "清零周报",
        "督办通报",
        "本辖区",
        "政策参数",
    ],
    "demo_village": [
        "首页",
        "农户信息",
        "变更审核",
        "数据质量",
        "预警线索",
        "监测对象识别",
        "我的联系户",
        "排查清零",
        "清零周报",
        "督办通报",
        "本辖区",
        "政策参数",
    ],
    "demo_inspector": [
        "首页",
        "农户信息",
        "数据质量",
        "预警线索",
        "监测对象识别",
        "部门数据",
        "排查清零",
        "清零周报",
        "督办通报",
        "本辖区",
        "政策参数",
    ],
    "demo_auditor": ["首页", "审计日志", "日志核验"],
    "demo_security": ["首页", "用户管理"],
    "demo_sysadmin": ["首页", "系统状态", "放假安排"],
}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _bind_authenticator(page: Page, user: User) -> None:
    """Enrol through the setup page the way a person would: read the key, type the current code."""
    expect(page.get_by_test_id("totp-secret")).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("动态口令").fill(f"{totp(unhexlify(device.key)):06d}")
    page.get_by_role("button", name="确认绑定").click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("username", [a.username for a in DEMO_ACCOUNTS])
def test_demo_account_logs_in_and_sees_its_navigation(
    browser: Browser, live_server: object, username: str, viewport: dict[str, int]
) -> None:
    build_demo()
    user = User.objects.get(username=username)
    context = browser.new_context(viewport=viewport, base_url=str(live_server))
    page = context.new_page()
    csp_errors: list[str] = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )

    page.goto("/")
    expect(page).to_have_title("登录 · 帮扶")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    if user.role in ADMIN_ROLES:
        _bind_authenticator(page, user)

    if viewport is PHONE:
        # On a phone the navigation folds into an offcanvas panel behind the toggler.
        page.get_by_role("button", name="打开导航").click()
    nav = page.get_by_test_id("main-nav")
    expect(nav).to_be_visible()
    # Every link, the ones folded in a closed menu included.
    assert [text.strip() for text in nav.locator("a").all_text_contents()] == EXPECTED_NAV[username]
    if user.region is not None:
        expect(page.get_by_test_id("user-region")).to_contain_text(user.region.name)
    assert csp_errors == []
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_county_clerks_pages_fit_one_line_in_menus_and_open_from_them(
    browser: Browser, live_server: object, viewport: dict[str, int]
) -> None:
    build_demo()
    context = browser.new_context(viewport=viewport, base_url=str(live_server))
    page = context.new_page()
    page.goto("/")
    page.get_by_label("用户名").fill("demo_county")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    if viewport is PHONE:
        page.get_by_role("button", name="打开导航").click()
    else:
        # Fourteen pages on an office screen: one line of menus, not labels broken over two lines.
        header = page.locator("header").bounding_box()
        assert header is not None
        assert header["height"] < 70
    nav = page.get_by_test_id("main-nav")
    report_link = nav.get_by_role("link", name="清零周报")
    expect(report_link).to_be_hidden()
    nav.get_by_role("button", name="排查清零").click()
    report_link.click()
    expect(page).to_have_url(re.compile(r"/rectification/reports/$"))
    if viewport is PHONE:
        page.get_by_role("button", name="打开导航").click()
    expect(nav.get_by_role("button", name="排查清零")).to_have_class(re.compile(r"\bactive\b"))
    context.close()
