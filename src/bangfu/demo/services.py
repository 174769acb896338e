"""The demo city: 安康市 (6109) down to village level, one account per role and the assumed policy values.

Everything here goes through the real services (region loader, account creation, policy versions), so the
demo exercises the same code paths as a deployment. Re-running it changes nothing that already exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from bangfu.accounts import services as accounts
from bangfu.accounts.models import Role, Sector, User
from bangfu.policy import services as policy
from bangfu.policy.models import PolicyValue
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
    policy_versions: int = 0


# --- assumed policy values for 陕西省 (61) ------------------------------------------------------------------
# RULES.md has no Shaanxi figure for these parameters. The demo needs a value for every key, so it borrows
# the named place's rule and says so in each source note; a real deployment never loads these (the policy
# migration seeds only sourced national rules) and enters the province's own documents instead.

DEMO_POLICY_START = dt.date(2021, 1, 1)  # start of the 2021–2025 transition period (过渡期), RULES §0
GANSU_2023 = "人民日报2023-02-21 [gov] http://paper.people.com.cn/rmrb/html/2023-02/21/nw.D110000renmrb_20230221_5-10.htm"
ZONGYANG_ELIMINATION = "安徽枞阳 [gov] https://zongyang.gov.cn/openness/OpennessContent/show/913795.html"
MEDICAL_PUSH = "[gov-mirror] http://ugaw.cn/mrwzrczsz/rczssdjre"
NO_SHAANXI = "陕西省数字 RULES 未载，此为演示假设，正式使用前须按陕西省文件录入新版本。"
WELFARE_POSTS = (
    "《贵州省乡村公益性岗位开发管理办法》[gov-mirror] https://newton.com.tw/wiki/"
    "%E8%B2%B4%E5%B7%9E%E7%9C%81%E9%84%89%E6%9D%91%E5%85%AC%E7%9B%8A%E6%80%A7%E5%B4%97%E4%BD%8D"
    "%E9%96%8B%E7%99%BC%E7%AE%A1%E7%90%86%E8%BE%A6%E6%B3%95/59522260"
)


def _working(days: int) -> dict[str, object]:
    return {"days": days, "unit": "working"}


def _calendar(days: int) -> dict[str, object]:
    return {"days": days, "unit": "calendar"}


# (key, region_prefix, effective_from, value, source_note); each note says 演示假设.
DEMO_POLICY: tuple[tuple[str, str, dt.date, object, str], ...] = (
    (
        "monitoring_line",
        "61",
        dt.date(2024, 1, 1),
        7800,
        "演示假设，不是陕西省公布的数字：RULES.md §2.2 未收录陕西省的监测范围。取相邻的甘肃省陇南市武都区"
        "2024年监测范围7,800元（[3rd] https://laitimes.com/en/article/6ulyq_7ay8o.html）作演示值；"
        "正式使用前须按陕西省当年文件录入新版本。",
    ),
    (
        "income_window_months",
        "61",
        DEMO_POLICY_START,
        12,
        "RULES.md §3.2：新识别时按识别前一个月为止的12个月计算家庭纯收入（江西南康 [gov-mirror] "
        "https://feifeitong.com/nkqxxgk/c130193/202408/ff5100c7e062400b839a427801e6f70f.shtml ；"
        "安徽2020年规则，人民日报2020-06-30 [gov-mirror] http://www.dingqianjf.com/news/show/134/1469160_0.html）。"
        + NO_SHAANXI,
    ),
    (
        "deadline.self_report_acceptance",
        "61",
        DEMO_POLICY_START,
        _calendar(2),
        "RULES.md §6.2、§12.2：农户线上申报进入乡镇账户后，乡镇2日内受理并交村入户核查（安徽枞阳2024 [gov] "
        "https://zongyang.gov.cn/openness/OpennessContent/show/941460.html）；原文“2日内”，按自然日计。"
        + NO_SHAANXI,
    ),
    (
        "deadline.home_check",
        "61",
        DEMO_POLICY_START,
        _working(5),
        "RULES.md §6.2：甘肃“一键报贫”2023年规定5个工作日内入户核查（" + GANSU_2023 + "）。"
        "其他地方：安徽2个工作日，某县规程3日。" + NO_SHAANXI,
    ),
    (
        "deadline.info_comparison",
        "61",
        DEMO_POLICY_START,
        _calendar(5),
        "RULES.md §6.2：某县规程，入户核查后5日内完成信息比对（[3rd] "
        "https://m.jiusongjiankang.com/health/news/5450632.html ，第三方转载，⚠未经两源确认）。" + NO_SHAANXI,
    ),
    (
        "deadline.village_notice",
        "61",
        DEMO_POLICY_START,
        _calendar(5),
        "RULES.md §6.1、§6.4：民主评议后村内公示不少于5天（河南永城2024 [gov] "
        "https://ycs.gov.cn/xzxxgk/cfsjd/cfsjczwgk1511121131/tpgjcg231511121131/jcdx31511121131/"
        "jchsb31511121131/content_18011）。" + NO_SHAANXI,
    ),
    (
        "deadline.identification",
        "61",
        DEMO_POLICY_START,
        _working(15),
        "RULES.md §6.2：甘肃2023年规定评议公示、乡镇复核、县级审批在15个工作日内完成（" + GANSU_2023 + " ；"
        "临夏 [gov] https://lxs.gov.cn/lxs/zwgk/zjdbmxx/bm/lxsxczxj/fdzdgknr/ZCJJD/art/2023/"
        "art_d19909862c124d0f8f3a3dc15185cb75.html）。河南为一般不超过15天，安徽、海南为20个工作日。"
        + NO_SHAANXI,
    ),
    (
        "deadline.warning_feedback",
        "61",
        DEMO_POLICY_START,
        _working(5),
        "RULES.md §6.2：甘肃“一键报贫”入户核查后5个工作日内反馈结果（" + GANSU_2023 + "）；礼县“户户清”"
        "后台5个工作日内核实（[media] https://lnews.ichezone.com/Index/Topic/articledetail/id/43920.html）。"
        + NO_SHAANXI,
    ),
    (
        "visit.interval",
        "61",
        DEMO_POLICY_START,
        _calendar(30),
        "RULES.md §9.3：走访频次全国未见统一规定，各地不一：孟津每周三帮扶走访日（[gov]），"
        "“每周扶贫工作日、每月扶贫走访日”（县级方案 [3rd] http://qyclass.com/fangan/8229125.html），"
        "乡镇每月核实。演示假设：每30天至少走访一次。" + NO_SHAANXI,
    ),
    (
        "elimination.min_stable_months",
        "61",
        DEMO_POLICY_START,
        6,
        "RULES.md §8.1、§8.4：收入稳定“原则上不得低于半年”（" + ZONGYANG_ELIMINATION + "）；"
        "全国未见最短监测期限。" + NO_SHAANXI,
    ),
    (
        "medical.oop_per_stay_monitored",
        "61",
        DEMO_POLICY_START,
        6000,
        "RULES.md §5.2：医保部门“一月一提取、一月一比对”，监测对象单次住院经基本医保、大病保险、医疗救助后"
        "个人自付超过6,000元推送民政（" + MEDICAL_PUSH + "，⚠省份未明）。" + NO_SHAANXI,
    ),
    (
        "medical.oop_per_stay_other",
        "61",
        DEMO_POLICY_START,
        10000,
        "RULES.md §5.2：其他农村居民单次住院经三重保障后个人自付超过10,000元推送民政（"
        + MEDICAL_PUSH
        + "，⚠省份未明）。"
        + NO_SHAANXI,
    ),
    (
        "medical.oop_income_ratio",
        "61",
        DEMO_POLICY_START,
        0.4,
        "RULES.md §5.2：市级规则示例，医疗自付超过家庭年收入40%即预警（河南漯河，[3rd] "
        "https://m.todayonhistory.com/know/223962.html ，⚠第三方描述）。" + NO_SHAANXI,
    ),
    (
        "employment.no_contribution_months",
        "61",
        DEMO_POLICY_START,
        3,
        "RULES.md §5.2 人社行：连续3个月无缴费记录即预警（河南漯河，第三方描述，RULES 未载网址，⚠未经确认）。"
        + NO_SHAANXI,
    ),
    (
        "welfare_post.max_hire_age",
        "61",
        DEMO_POLICY_START,
        60,
        "RULES.md §13.2：新聘人员年龄一般不超过60岁（" + WELFARE_POSTS + "）。" + NO_SHAANXI,
    ),
    (
        "welfare_post.max_hire_age_relaxed",
        "61",
        DEMO_POLICY_START,
        65,
        "RULES.md §13.2：身体健康的可放宽至65岁（" + WELFARE_POSTS + "）。" + NO_SHAANXI,
    ),
)


def seed_demo_policy() -> int:
    """Add the demo's assumed policy values (``DEMO_POLICY``) that are not stored yet; returns how many.

    Each goes through ``bangfu.policy.services.add_policy_version`` as the system (``by=None``), which may
    date them back to the transition period. Side effects: one PolicyValue row and one ``created`` audit
    event per new value, in one transaction; nothing when all exist (re-running changes nothing).
    """
    with transaction.atomic():
        stored = set(
            PolicyValue.objects.filter(key__in=[row[0] for row in DEMO_POLICY]).values_list(
                "key", "region_prefix", "effective_from"
            )
        )
        added = 0
        for key, prefix, effective_from, value, note in DEMO_POLICY:
            if (key, prefix, effective_from) in stored:
                continue
            policy.add_policy_version(
                key=key,
                region_prefix=prefix,
                effective_from=effective_from,
                value=value,
                source_note=note,
                by=None,
            )
            added += 1
    return added


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
    """Load the demo regions, the demo's assumed policy values and the demo accounts that do not exist yet.

    Side effects: regions rows (see ``load_regions``); policy versions (see ``seed_demo_policy``); new users,
    each with an audit event written by ``accounts.services.create_user``.
    """
    regions = ensure_demo_regions()
    policy_versions = seed_demo_policy()
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
    return DemoResult(regions=regions, accounts=users, created=created, policy_versions=policy_versions)
