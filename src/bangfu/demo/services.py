"""The demo city: 安康市 (6109) down to village level, one account per role, the assumed policy values and
a synthetic population of households (``load_population``).

Regions, accounts and policy go through the real services (region loader, account creation, policy
versions), so the demo exercises the same code paths as a deployment. The population is the exception:
a million households through the registry services would take hours, so ``bangfu.demo.bulkload`` writes
them as rows, with the encryption and blind indexes the models use, and one summary audit event. Re-running
changes nothing that already exists.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.accounts import services as accounts
from bangfu.accounts.models import Role, Sector, User
from bangfu.audit import events
from bangfu.audit.models import Action, AuditEvent
from bangfu.demo import bulkload
from bangfu.demo.population import CITY_PREFIX, Settings, Village, plan, short_village_name
from bangfu.policy import services as policy
from bangfu.policy.models import PolicyValue
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.services import LoadResult, ensure_demo_regions
from bangfu.registry.models import Household, Member, Source

# Known to everyone who reads this file: the demo is for trying the product, never for real data.
DEMO_PASSWORD = "Bangfu@2026"  # noqa: S105 - published demo password, printed by `bangfu demo`
CITY = "610900000000"  # 安康市
COUNTY = "610902000000"  # 汉滨区, one of the three districts named in the source speech
# The county account may reveal full ID numbers and phones, so the reveal feature can be tried.
REVEAL_ACCOUNTS = frozenset({"demo_county"})


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
RECTIFICATION_NOTE = (
    "RULES.md §10：三色管理、督办、通报、约谈无全国统一标准，县级验收红色问题见丹凤2020 [media] "
    "https://yybnet.net/shangluo/danfeng/202004/10380040.html；数值为演示假设。"
)
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
        "deadline.village_appraisal",
        "61",
        DEMO_POLICY_START,
        _calendar(5),
        "RULES.md §6.2：某县规程，入户核查和信息比对后5日内召开民主评议并当日公示（[3rd] "
        "https://m.jiusongjiankang.com/health/news/5450632.html ，第三方转载，⚠未经两源确认）。" + NO_SHAANXI,
    ),
    (
        "deadline.town_review",
        "61",
        DEMO_POLICY_START,
        _working(3),
        "RULES.md §6.1–§6.2 未载乡镇审核的分环节时限；演示假设：在识别总时限（甘肃2023年评议公示、乡镇复核、"
        "县级审批共15个工作日，" + GANSU_2023 + "）内分配3个工作日。" + NO_SHAANXI,
    ),
    (
        "deadline.county_approval",
        "61",
        DEMO_POLICY_START,
        _working(3),
        "RULES.md §6.1–§6.2 未载县级审定的分环节时限；演示假设：在识别总时限（甘肃2023年评议公示、乡镇复核、"
        "县级审批共15个工作日，" + GANSU_2023 + "）内分配3个工作日。" + NO_SHAANXI,
    ),
    (
        "deadline.announcement",
        "61",
        DEMO_POLICY_START,
        _working(2),
        "RULES.md §6.1、§6.4：县级审批后以乡镇名义在村内公告结果（河南永城2024 [gov] "
        "https://ycs.gov.cn/xzxxgk/cfsjd/cfsjczwgk1511121131/tpgjcg231511121131/jcdx31511121131/"
        "jchsb31511121131/content_18011），未载时限；演示假设2个工作日。" + NO_SHAANXI,
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
    # Rectification (RULES §10): no national numbers; local practice (Danfeng 2020: county on-site
    # acceptance of red items before 销号; Shaya: "report by 18:00 next day" orders). Assumed for the demo.
    ("rectification.start_within", "61", DEMO_POLICY_START, _working(3), RECTIFICATION_NOTE),
    ("rectification.county_verifies_red", "61", DEMO_POLICY_START, 1, RECTIFICATION_NOTE),
    ("rectification.backdate_days", "61", DEMO_POLICY_START, 3, RECTIFICATION_NOTE),
    ("deadline.supervision_reply", "61", DEMO_POLICY_START, _working(3), RECTIFICATION_NOTE),
    ("rectification.circular_after_orders", "61", DEMO_POLICY_START, 2, RECTIFICATION_NOTE),
    ("rectification.interview_after_circulars", "61", DEMO_POLICY_START, 2, RECTIFICATION_NOTE),
    ("rectification.referral_after_interviews", "61", DEMO_POLICY_START, 1, RECTIFICATION_NOTE),
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
    """Load the demo regions, the demo's assumed policy values and the demo accounts that do not exist yet,
    and grant ``demo_county`` the reveal permission.

    Side effects: regions rows (see ``load_regions``); policy versions (see ``seed_demo_policy``); new users,
    each with an audit event written by ``accounts.services.create_user``; the grant (``_grant_reveal``).
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
        _grant_reveal(REVEAL_ACCOUNTS)
    users = list(
        User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
        .select_related("region")
        .order_by("id")
    )
    return DemoResult(regions=regions, accounts=users, created=created, policy_versions=policy_versions)


def _grant_reveal(usernames: frozenset[str]) -> None:
    """Give the demo accounts in ``usernames`` the reveal permission they do not have yet.

    ``accounts.services`` offers no way for the server itself (``by=None``) to set this flag — on screen
    the security admin grants it — so the demo sets it here and records the same kind of security event.
    Side effects: the flag on each user; one ``security`` audit event ``reveal_granted`` per user changed.
    """
    for user in User.objects.filter(username__in=usernames, may_reveal_personal_data=False):
        user.may_reveal_personal_data = True
        user.save(update_fields=["may_reveal_personal_data"])
        events.security(
            actor=None,
            action="reveal_granted",
            obj=user,
            detail={
                "before": {"may_reveal_personal_data": False},
                "after": {"may_reveal_personal_data": True},
                "reason": "demo",
            },
        )


# --- the synthetic population ---------------------------------------------------------------------------

DEFAULT_HOUSEHOLDS = 20_000  # `python3 dev.py demo` is serving in well under a minute with this many
DEFAULT_SEED = 6109
POPULATION_OPERATION = "demo_population_loaded"


class PopulationRefused(Exception):
    """The requested population cannot be loaded here; ``str()`` is a Chinese message saying what to do."""


@dataclass(frozen=True)
class Population:
    """What a loaded population was generated from, as its audit event records it."""

    households: int
    seed: int
    year: int
    members: int


@dataclass(frozen=True)
class PopulationResult:
    population: Population
    created: bool  # False: it existed already and nothing was written
    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def existing_population() -> Population | None:
    """The population in this database, from the summary event its load wrote; None if there is none."""
    event = (
        AuditEvent.objects.filter(action=Action.SECURITY, operation=POPULATION_OPERATION)
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    detail = event.data.get("detail", {})
    return Population(
        households=int(detail["households"]),
        seed=int(detail["seed"]),
        year=int(detail["year"]),
        members=int(detail.get("rows", {}).get("member", 0)),
    )


def demo_villages() -> list[Village]:
    """The villages (村委会 and 社区居委会) of the demo city, with their town and county names."""
    regions = dict(Region.objects.filter(code__startswith=CITY_PREFIX).values_list("code", "name"))
    villages = []
    for code, name in regions.items():
        if len(code) != 12 or code.endswith("000"):
            continue
        town = regions.get(code[:9] + "000", "")
        county = regions.get(code[:6] + "000000", "")
        villages.append(
            Village(
                code=code,
                name=short_village_name(name),
                town=town,
                county=county,
                community=name.endswith("居委会"),
            )
        )
    return villages


def load_population(
    *,
    households: int | None,
    seed: int | None,
    year: int,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    rebuild_indexes: bool | None = None,
) -> PopulationResult:
    """Generate the synthetic population (``bangfu.demo.population``) unless it is already there.

    ``households``/``seed`` None mean "whatever is loaded, else the default". A database that already holds
    a population keeps it: asking again for the same size and seed (or for none in particular) is a no-op;
    asking for another size or seed raises ``PopulationRefused`` — a population cannot be grown or
    reshaped in place without breaking "the same seed gives the same rows", so the message says to start
    from a new demo database instead. ``year`` is the year the population is "as of" (ages on 1 January,
    income of the previous year). ``workers``: generating processes; ``rebuild_indexes``: see
    ``bulkload.load``.

    Side effects: about 20 rows per household in the registry tables (``source = demo``), written in one
    transaction by ``bulkload``; ONE summary ``security`` audit event ``demo_population_loaded`` with the
    size, seed, year and row counts — not an event per row: millions of synthetic rows would double the
    load time and bury the trail, and each row says ``source = demo`` itself.
    """
    existing = existing_population()
    if existing is not None:
        if (households is None or households == existing.households) and (
            seed is None or seed == existing.seed
        ):
            return PopulationResult(population=existing, created=False)
        raise PopulationRefused(
            _(
                "数据库中已有演示人口（%(households)s 户，随机种子 %(seed)s）。演示人口不能改变规模或种子："
                "请删除演示数据库（或设置新的 BANGFU_VAR_DIR）后重新运行 bangfu demo。"
            )
            % {"households": f"{existing.households:,}", "seed": existing.seed}
        )
    if Household.objects.filter(source=Source.DEMO).exists():
        raise PopulationRefused(
            _("数据库中已有演示农户，但没有生成记录，无法确认其规模。请使用新的演示数据库。")
        )
    households = DEFAULT_HOUSEHOLDS if households is None else households
    seed = DEFAULT_SEED if seed is None else seed
    if households < 0:
        raise PopulationRefused(_("户数不能为负数。"))
    if households == 0:
        return PopulationResult(population=Population(0, seed, year, 0), created=False)
    villages = demo_villages()
    if not villages:
        raise PopulationRefused(
            _("数据库中没有安康市的村级区划：请先运行 bangfu load-regions --prefix 6109。")
        )
    started = time.perf_counter()
    units = plan(households=households, seed=seed, villages=villages, first_ids=bulkload.next_ids())
    settings = Settings(
        seed=seed,
        year=year,
        created_at=bulkload.load_timestamp(),
        id_context=Member._meta.get_field("id_number").crypto_context,
        phone_context=Household._meta.get_field("phone").crypto_context,
    )

    def audit(rows: Counter[str]) -> None:
        events.security(
            actor=None,
            action=POPULATION_OPERATION,
            detail={
                "households": households,
                "seed": seed,
                "year": year,
                "workers": workers,
                "rows": dict(sorted(rows.items())),
                "seconds": round(time.perf_counter() - started, 1),
            },
        )

    rows = bulkload.load(
        units, settings, workers=workers, progress=progress, inside=audit, rebuild_indexes=rebuild_indexes
    )
    return PopulationResult(
        population=Population(households, seed, year, rows["member"]),
        created=True,
        rows=rows,
        seconds=time.perf_counter() - started,
    )
