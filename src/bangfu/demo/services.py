"""The demo city: 安康市 (6109) down to village level and one account per role.

Everything here goes through the real services (region loader, account creation), so the demo exercises the
same code paths as a deployment. Re-running it changes nothing that already exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from bangfu.accounts import services as accounts
from bangfu.accounts.models import Role, Sector, User
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.services import LoadResult, ensure_demo_regions

# Known to everyone who reads this file: the demo is for trying the product, never for real data.
DEMO_PASSWORD = "Bangfu@2026"  # noqa: S105 - published demo password, printed by `bangfu demo`
CITY = "610900000000"  # 安康市
COUNTY = "610902000000"  # 汉滨区, one of the three districts named in the source speech


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    full_name: str
    unit: str
    region: str | None = None  # a full code, or "town"/"village" for the first town/village of the county
    sector: str = ""


DEMO_ACCOUNTS = (
    DemoAccount("demo_city", Role.CITY_HQ, "市指挥部演示账号", "安康市巩固衔接指挥部", CITY),
    DemoAccount("demo_county", Role.COUNTY_OFFICE, "汉滨区演示账号", "汉滨区农业农村局", COUNTY),
    DemoAccount(
        "demo_medical",
        Role.DEPARTMENT,
        "医保局演示账号",
        "汉滨区医疗保障局",
        COUNTY,
        Sector.MEDICAL_INSURANCE,
    ),
    DemoAccount("demo_town", Role.TOWN, "乡镇演示账号", "乡镇人民政府", "town"),
    DemoAccount("demo_village", Role.VILLAGE_TEAM, "第一书记演示账号", "驻村工作队", "village"),
    DemoAccount("demo_inspector", Role.INSPECTION_GROUP, "督查组演示账号", "市挂牌督战组", COUNTY),
    DemoAccount("demo_auditor", Role.AUDITOR, "审计员演示账号", "信息中心"),
    DemoAccount("demo_security", Role.SECURITY_ADMIN, "安全管理员演示账号", "信息中心"),
    DemoAccount("demo_sysadmin", Role.SYSTEM_ADMIN, "系统管理员演示账号", "信息中心"),
)


@dataclass(frozen=True)
class DemoResult:
    regions: LoadResult
    accounts: list[User]
    created: list[str]


def _resolve_region(spec: str | None) -> Region | None:
    if spec is None:
        return None
    if spec in {"town", "village"}:
        # A rural town (镇) of the county and a village (村委会) in it, the first by code: stable across runs.
        towns = Region.objects.filter(parent_id=COUNTY, level=Level.TOWN).order_by("code")
        town = towns.filter(name__endswith="镇").first() or towns.first()
        if town is None or spec == "town":
            return town
        villages = Region.objects.filter(parent=town, level=Level.VILLAGE).order_by("code")
        return villages.filter(name__endswith="村委会").first() or villages.first()
    return Region.objects.get(code=spec)


def build_demo() -> DemoResult:
    """Load the demo regions and create the demo accounts that do not exist yet.

    Side effects: regions rows (see ``load_regions``); new users, each with an audit event written by
    ``accounts.services.create_user``.
    """
    regions = ensure_demo_regions()
    created: list[str] = []
    with transaction.atomic():
        existing = set(
            User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).values_list(
                "username", flat=True
            )
        )
        for account in DEMO_ACCOUNTS:
            if account.username in existing:
                continue
            accounts.create_user(
                by=None,
                username=account.username,
                role=account.role,
                region=_resolve_region(account.region),
                sector=account.sector,
                full_name=account.full_name,
                unit=account.unit,
                password=DEMO_PASSWORD,
                must_change_password=False,
            )
            created.append(account.username)
    users = list(
        User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
        .select_related("region")
        .order_by("id")
    )
    return DemoResult(regions=regions, accounts=users, created=created)
