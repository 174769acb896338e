"""Navigation by role (三员分立): what each role is offered, and that only existing pages are linked.

Two URL configurations make the tests independent of which app pages have landed: this module itself (every
page the navigation names exists, as a stub) and the ``only_home`` fixture (no page but the home page).
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, include, path, reverse
from pytest_django.fixtures import Settings

from bangfu.accounts.context_processors import navigation
from bangfu.accounts.models import ADMIN_ROLES, BUSINESS_ROLES, Role, User
from bangfu.accounts.navigation import (
    ACCOUNT_ITEMS,
    FLAT_LIMIT,
    NAV_ITEMS,
    NavLink,
    NavMenu,
    items_for_role,
    links_for,
    menu_for,
)
from tests.permissions import client_for

THIS_MODULE = __name__


def _stub(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("stub")


def _app(namespace: str, *routes: URLPattern) -> URLResolver:
    return path(f"{namespace}/", include((list(routes), namespace), namespace=namespace))


# Every page named by the navigation exists here, so the full declared set is shown.
urlpatterns = [
    path("", _stub, name="home"),
    _app("regions", path("", _stub, name="index"), path("<str:code>/", _stub, name="detail")),
    _app("policy", path("", _stub, name="list"), path("calendar/", _stub, name="calendar")),
    _app(
        "audit",
        path("", _stub, name="event-list"),
        path("<int:seq>/", _stub, name="event-detail"),
        path("verify/", _stub, name="verify"),
    ),
    _app(
        "accounts",
        path("users/", _stub, name="user-list"),
        path("system/", _stub, name="system"),
        path("password/", _stub, name="password-change"),
        path("second-factor/setup/", _stub, name="second-factor-setup"),
    ),
]


class OnlyHomeSite:
    """A site with no page but home (ROOT_URLCONF may be any hashable object with ``urlpatterns``)."""

    urlpatterns: ClassVar = [path("", _stub, name="home")]


@pytest.fixture
def only_home(settings: Settings) -> None:
    settings.ROOT_URLCONF = OnlyHomeSite


# The declared offer per role: the specification of 三员分立 in the navigation.
# Rectification (排查清零): every business role reads its scope's problems, reports and supervision orders.
RECTIFICATION = {"rectification:problem-board", "rectification:report-list", "rectification:order-list"}
BUSINESS_PAGES = {"home", "regions:index", "policy:list", "monitoring:warning-list"} | RECTIFICATION
REGISTRY_READ = {"registry:household-list", "monitoring:quality-list", "cases:case-board"}
REGISTRY_EDIT = REGISTRY_READ | {"registry:change-list"}
REGISTRY_REVIEW = REGISTRY_EDIT | {"registry:duplicate-list", "registry:import-list"}
# Department data: uploaded by the departments, collected by the city and the counties, read by inspectors.
DATASETS = {"datasets:dataset-list"}
DECLARED = {
    Role.CITY_HQ: BUSINESS_PAGES | REGISTRY_REVIEW | DATASETS,
    Role.COUNTY_OFFICE: BUSINESS_PAGES | REGISTRY_REVIEW | DATASETS,
    # Sector departments match their data against the registry through services, not by browsing it.
    Role.DEPARTMENT: BUSINESS_PAGES | DATASETS,
    # The contact cadres (village team members and town cadres) visit their households.
    Role.TOWN: BUSINESS_PAGES | REGISTRY_REVIEW | {"cases:my-households"},
    Role.VILLAGE_TEAM: BUSINESS_PAGES | REGISTRY_EDIT | {"cases:my-households"},
    Role.INSPECTION_GROUP: BUSINESS_PAGES | REGISTRY_READ | DATASETS,
    Role.AUDITOR: {"home", "audit:event-list", "audit:verify"},
    Role.SECURITY_ADMIN: {"home", "accounts:user-list"},
    Role.SYSTEM_ADMIN: {"home", "accounts:system", "policy:calendar"},
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_offered_exactly_its_declared_pages(role: Role) -> None:
    assert {item.url_name for item in items_for_role(role)} == DECLARED[role]


def test_admin_roles_share_no_page_with_any_other_role_except_home() -> None:
    for admin_role in ADMIN_ROLES:
        own = {item.url_name for item in items_for_role(admin_role)} - {"home"}
        for other in set(Role) - {admin_role}:
            assert own.isdisjoint(item.url_name for item in items_for_role(other)), (admin_role, other)


def test_business_roles_are_offered_no_audit_or_user_management_page() -> None:
    for role in BUSINESS_ROLES:
        names = {item.url_name for item in items_for_role(role)}
        assert not any(name.startswith(("audit:", "accounts:")) for name in names), role


@pytest.mark.urls(THIS_MODULE)
def test_village_cadre_sees_home_own_region_and_policy_when_all_pages_exist(village_cadre: User) -> None:
    links = links_for(village_cadre)
    assert [(link.label, link.url) for link in links] == [
        ("首页", "/"),
        ("本辖区", "/regions/"),
        ("政策参数", "/policy/"),
    ]


@pytest.mark.urls(THIS_MODULE)
def test_auditor_sees_only_home_and_audit_trail(auditor: User) -> None:
    assert [(link.label, link.url) for link in links_for(auditor)] == [
        ("首页", "/"),
        ("审计日志", "/audit/"),
        ("日志核验", "/audit/verify/"),
    ]


@pytest.mark.urls(THIS_MODULE)
def test_security_admin_sees_only_home_and_user_management(security_admin: User) -> None:
    assert [(link.label, link.url) for link in links_for(security_admin)] == [
        ("首页", "/"),
        ("用户管理", "/accounts/users/"),
    ]


@pytest.mark.urls(THIS_MODULE)
def test_system_admin_sees_only_home_and_system_pages(system_admin: User) -> None:
    assert [(link.label, link.url) for link in links_for(system_admin)] == [
        ("首页", "/"),
        ("系统状态", "/accounts/system/"),
        ("放假安排", "/policy/calendar/"),
    ]


@pytest.mark.urls(THIS_MODULE)
def test_every_role_is_offered_password_change_and_second_factor(
    system_admin: User, village_cadre: User
) -> None:
    for user in (system_admin, village_cadre):
        labels = [link.label for link in links_for(user, items=ACCOUNT_ITEMS)]
        assert labels == ["修改密码", "双因素认证"]


@pytest.mark.usefixtures("only_home")
@pytest.mark.parametrize("persona", ["village_cadre", "auditor", "security_admin", "system_admin"])
def test_pages_that_do_not_exist_yet_are_left_out(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    assert [(link.label, link.url) for link in links_for(user)] == [("首页", "/")]


@pytest.mark.urls(THIS_MODULE)
def test_inactive_user_is_offered_nothing(village_cadre: User) -> None:
    village_cadre.is_active = False
    assert links_for(village_cadre) == []


@pytest.mark.urls(THIS_MODULE)
def test_current_page_and_pages_of_its_namespace_are_marked_active(auditor: User) -> None:
    def active(current_view: str) -> list[str]:
        return [link.url_name for link in links_for(auditor, current_view=current_view) if link.active]

    assert active("audit:event-list") == ["audit:event-list"]
    assert active("audit:verify") == ["audit:verify"]
    # A page not in the navigation marks the first item of its app.
    assert active("audit:event-detail") == ["audit:event-list"]
    assert active("home") == ["home"]
    assert active("accounts:password-change") == []


def test_context_processor_offers_nothing_to_anonymous_visitors() -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert navigation(request) == {"nav_menu": [], "account_links": []}


def _resolvable(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


@pytest.mark.django_db
def test_rendered_navigation_lists_the_resolvable_declared_pages_of_the_real_site(
    village_cadre: User,
) -> None:
    expected = [str(item.label) for item in items_for_role(village_cadre.role) if _resolvable(item.url_name)]
    response = client_for(village_cadre).get("/")
    nav = response.content.decode().split('data-testid="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert response.status_code == 200
    assert [label for label in expected if f">{label}</a>" in nav] == expected
    assert nav.count("<a ") == len(expected)


def _shape(entries: list[NavLink | NavMenu]) -> list[str | tuple[str, list[str]]]:
    return [
        (entry.label, [link.label for link in entry.links]) if isinstance(entry, NavMenu) else entry.label
        for entry in entries
    ]


@pytest.mark.django_db
def test_a_few_pages_stay_side_by_side(auditor: User) -> None:
    assert all(isinstance(entry, NavLink) for entry in menu_for(auditor))
    assert len(links_for(auditor)) <= FLAT_LIMIT


@pytest.mark.django_db
def test_many_pages_fold_into_one_menu_per_group_in_declared_order(county_clerk: User) -> None:
    assert len(links_for(county_clerk)) > FLAT_LIMIT
    assert _shape(menu_for(county_clerk)) == [
        "首页",
        ("农户", ["农户信息", "变更审核", "疑似重复", "数据导入", "数据质量"]),
        ("监测帮扶", ["预警线索", "监测对象识别", "部门数据"]),
        ("排查清零", ["排查清零", "清零周报", "督办通报"]),
        ("基础数据", ["本辖区", "政策参数"]),
    ]
    # Every page is still offered, each once.
    folded = [
        link.url_name
        for entry in menu_for(county_clerk)
        for link in (entry.links if isinstance(entry, NavMenu) else (entry,))
    ]
    assert folded == [link.url_name for link in links_for(county_clerk)]


@pytest.mark.django_db
def test_the_menu_of_the_current_page_is_marked_active(county_clerk: User) -> None:
    menus = {
        entry.label: entry
        for entry in menu_for(county_clerk, current_view="rectification:report-list")
        if isinstance(entry, NavMenu)
    }
    assert [label for label, menu in menus.items() if menu.active] == ["排查清零"]
    assert [link.label for link in menus["排查清零"].links if link.active] == ["清零周报"]


@pytest.mark.django_db
def test_the_rendered_menus_hold_every_offered_page(county_clerk: User) -> None:
    response = client_for(county_clerk).get("/")
    nav = response.content.decode().split('data-testid="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert nav.count('data-bs-toggle="dropdown"') == 4
    assert [link.label for link in links_for(county_clerk) if f">{link.label}</a>" in nav] == [
        link.label for link in links_for(county_clerk)
    ]


def test_every_declared_item_names_a_namespaced_or_home_url() -> None:
    for item in (*NAV_ITEMS, *ACCOUNT_ITEMS):
        assert item.url_name == "home" or ":" in item.url_name, item
