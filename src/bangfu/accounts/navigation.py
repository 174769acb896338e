"""Navigation by role (三员分立): which pages each role is offered in the top bar and on the home page.

One declared list of items, each naming a URL and the roles that see it. An item is shown only when its URL
name resolves, so the navigation grows as apps add their pages and never links to a page that is not there.
The list is what the user is *offered*; every view still checks the role itself (``role_required``), so a
hidden link is never the only protection.

Separation of duties: the auditor sees only the audit trail, the security admin only user and role
management, the system admin only system pages; business roles see business pages within their scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangfu.accounts.models import BUSINESS_ROLES, Role, User

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class NavItem:
    """A page offered in the navigation: a URL name that takes no arguments, the roles offered it, and the
    menu it folds into when a role is offered many pages (``menu_for``)."""

    label: str | Promise
    url_name: str
    roles: frozenset[Role]
    group: str | Promise = ""

    @property
    def namespace(self) -> str:
        return self.url_name.rpartition(":")[0]


@dataclass(frozen=True)
class NavLink:
    """A navigation item resolved for one user and one request."""

    label: str
    url: str
    url_name: str
    active: bool
    group: str = ""


@dataclass(frozen=True)
class NavMenu:
    """Links of one group, shown as one drop-down menu of the top bar."""

    label: str
    links: tuple[NavLink, ...]

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


# Up to this many pages are shown side by side; a role offered more gets them folded into menus by group: 14
# labels of four to six characters do not fit one line of a 1366-px office screen and broke mid-word.
FLAT_LIMIT = 7

REGISTRY_GROUP = pgettext_lazy("menu", "农户")
MONITORING_GROUP = _("监测帮扶")
RECTIFICATION_GROUP = _("排查清零")
REFERENCE_GROUP = _("基础数据")


# The registry (bangfu.registry.access): readers, direct editors (town and above) and the village work team,
# which proposes changes for the town to review. Sector departments do not browse the registry.
REGISTRY_READERS = frozenset(
    {Role.CITY_HQ, Role.COUNTY_OFFICE, Role.TOWN, Role.VILLAGE_TEAM, Role.INSPECTION_GROUP}
)
REGISTRY_EDITORS = frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE, Role.TOWN})

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("首页"), "home", ALL_ROLES),
    # Business pages, within the user's scope.
    NavItem(_("农户信息"), "registry:household-list", REGISTRY_READERS, REGISTRY_GROUP),
    # The same list is the village team's own requests and the town's (and above) review inbox.
    NavItem(_("变更审核"), "registry:change-list", REGISTRY_EDITORS | {Role.VILLAGE_TEAM}, REGISTRY_GROUP),
    NavItem(_("疑似重复"), "registry:duplicate-list", REGISTRY_EDITORS, REGISTRY_GROUP),
    NavItem(_("数据导入"), "registry:import-list", REGISTRY_EDITORS, REGISTRY_GROUP),
    # The nightly data-quality findings of the registry: what each village has to fix.
    NavItem(_("数据质量"), "monitoring:quality-list", REGISTRY_READERS, REGISTRY_GROUP),
    # Warnings from the screening: a village's to check, overdue ones for the town and county, a
    # department's outcomes of its own data.
    NavItem(_("预警线索"), "monitoring:warning-list", BUSINESS_ROLES, MONITORING_GROUP),
    # The identification procedure: cases per step (late ones red), the town's inbox of reported leads
    # (bangfu.monitoring.access.CASE_READER_ROLES).
    NavItem(_("监测对象识别"), "cases:case-board", REGISTRY_READERS, MONITORING_GROUP),
    # The contact cadre's households and their visits due (bangfu.monitoring.access.VISITOR_ROLES).
    NavItem(
        _("我的联系户"), "cases:my-households", frozenset({Role.TOWN, Role.VILLAGE_TEAM}), MONITORING_GROUP
    ),
    # Departments upload their data; the city and counties collect it (bangfu.datasets.access.READER_ROLES).
    NavItem(
        _("部门数据"),
        "datasets:dataset-list",
        frozenset({Role.CITY_HQ, Role.COUNTY_OFFICE, Role.DEPARTMENT, Role.INSPECTION_GROUP}),
        MONITORING_GROUP,
    ),
    # Rectification to zero (bangfu.rectification.access): every business role reads its scope's problems
    # (a department: its sector's), weekly reports and the supervision orders addressed to it.
    NavItem(_("排查清零"), "rectification:problem-board", BUSINESS_ROLES, RECTIFICATION_GROUP),
    NavItem(_("清零周报"), "rectification:report-list", BUSINESS_ROLES, RECTIFICATION_GROUP),
    NavItem(_("督办通报"), "rectification:order-list", BUSINESS_ROLES, RECTIFICATION_GROUP),
    NavItem(_("本辖区"), "regions:index", BUSINESS_ROLES, REFERENCE_GROUP),
    NavItem(_("政策参数"), "policy:list", BUSINESS_ROLES, REFERENCE_GROUP),
    # 三员: one area each.
    NavItem(_("审计日志"), "audit:event-list", frozenset({Role.AUDITOR})),
    NavItem(_("日志核验"), "audit:verify", frozenset({Role.AUDITOR})),
    NavItem(_("用户管理"), "accounts:user-list", frozenset({Role.SECURITY_ADMIN})),
    NavItem(_("系统状态"), "accounts:system", frozenset({Role.SYSTEM_ADMIN})),
    # The official holiday calendar is national reference data kept by the system admin (policy/access.py).
    NavItem(_("放假安排"), "policy:calendar", frozenset({Role.SYSTEM_ADMIN})),
)

# Pages about the user's own account, offered to every role in the user menu.
ACCOUNT_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("修改密码"), "accounts:password-change", ALL_ROLES),
    NavItem(_("双因素认证"), "accounts:second-factor-setup", ALL_ROLES),
    # 三员 hold no API tokens (accounts.tokens).
    NavItem(_("我的API令牌"), "accounts:token-list", BUSINESS_ROLES),
)

# What each role does here, shown on the home page (DESIGN.md §1).
ROLE_DUTIES: dict[str, str | Promise] = {
    Role.CITY_HQ: _("设置政策参数、下发问题清单、查看全市情况。"),
    Role.COUNTY_OFFICE: _("审定识别和消除，督导乡镇，报送周报。"),
    Role.DEPARTMENT: _("上传本行业数据，处理交办给本部门的预警和问题。"),
    Role.TOWN: _("审核村里报送的事项，分派任务，核实销号。"),
    Role.VILLAGE_TEAM: _("走访农户、入户核查，登记进展和佐证材料，受理农户申报。"),
    Role.INSPECTION_GROUP: _("查看所督查县区的情况，下发督办单。"),
    Role.AUDITOR: _("查阅和核验审计日志。审计员不能查看业务数据，也不能管理用户。"),
    Role.SECURITY_ADMIN: _("管理用户、角色和管辖区域。安全管理员不能查看业务数据和审计日志。"),
    Role.SYSTEM_ADMIN: _("维护系统运行和基础配置。系统管理员不能查看业务数据和审计日志。"),
}


def items_for_role(role: Role | str, items: Iterable[NavItem] = NAV_ITEMS) -> list[NavItem]:
    """The declared items offered to ``role``, whether or not their pages exist yet."""
    return [item for item in items if role in item.roles]


def links_for(
    user: User, *, current_view: str | None = None, items: Iterable[NavItem] = NAV_ITEMS
) -> list[NavLink]:
    """The items offered to ``user`` whose URLs resolve, in declared order.

    ``current_view`` is the view name of the current request (``request.resolver_match.view_name``); the
    item of the same name, or else the first item of the same URL namespace, is marked active.
    """
    if not user.is_active or not user.role:
        return []
    resolved: list[tuple[NavItem, str]] = []
    for item in items_for_role(user.role, items):
        url = _reverse(item)
        if url is not None:
            resolved.append((item, url))
    active = _active_item([item for item, _url in resolved], current_view)
    return [
        NavLink(
            label=str(item.label),
            url=url,
            url_name=item.url_name,
            active=item is active,
            group=str(item.group),
        )
        for item, url in resolved
    ]


def menu_for(user: User, *, current_view: str | None = None) -> list[NavLink | NavMenu]:
    """The top bar: ``links_for`` side by side when they are few (``FLAT_LIMIT``), else each group's links
    folded into one menu where the group's first link stood; a group of one link stays a link."""
    links = links_for(user, current_view=current_view)
    if len(links) <= FLAT_LIMIT:
        return list(links)
    by_group: dict[str, list[NavLink]] = {}
    for link in links:
        if link.group:
            by_group.setdefault(link.group, []).append(link)
    entries: list[NavLink | NavMenu] = []
    for link in links:
        members = by_group.get(link.group, [])
        if len(members) < 2:
            entries.append(link)
        elif link is members[0]:
            entries.append(NavMenu(label=link.group, links=tuple(members)))
    return entries


def _reverse(item: NavItem) -> str | None:
    try:
        return reverse(item.url_name)
    except NoReverseMatch:
        # The page has not landed yet (or now takes arguments): leave it out rather than break every page.
        return None


def _active_item(items: list[NavItem], current_view: str | None) -> NavItem | None:
    if not current_view:
        return None
    for item in items:
        if item.url_name == current_view:
            return item
    namespace = current_view.rpartition(":")[0]
    if namespace:
        for item in items:
            if item.namespace == namespace:
                return item
    return None
