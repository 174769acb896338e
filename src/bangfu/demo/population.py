"""The synthetic population of the demo city: households and members on the real 安康市 village codes.

Nothing here is real. People, names, ID numbers and phone numbers are assembled at random; only the region
codes and names are the real statistical divisions. The aim is data that *looks* like a registry a county
would import — so that screens, searches, imports, exports and later the screening rules have something
plausible to work on — with the rules a real registry obeys:

* households spread over the 1,924 villages (村委会 weighted more than urban 社区) of the ten counties,
  each county weighted by its rough population; sizes 1–8, mean ≈ 3.3;
* members composed as families: a head, usually a spouse of similar age, children 20–34 years younger than
  their mother, a married son with his wife and children, elderly parents of a middle-aged head — so the
  relation to the head always fits the ages; exactly one head per household;
* ID numbers valid under GB 11643: the county's own six digits, the birth date and the sex of the member,
  the check character; about one spouse in nine married in from another county or province (≈ 3 % of
  people) and carries that region's code. Real numbers of older residents often carry former codes
  (6124xx of the old 安康地区, 610928 of 旬阳县 before 2021); the demo does not model that;
* ~15 % former registered-poor households (脱贫户), of them ~8 % relocated (易地扶贫搬迁), ~5 % on 低保,
  ~1 % 特困供养, 残疾人两项补贴 for disabled members in need, public-welfare posts, employment for ~40 %
  of working-age adults, an income statement for the previous calendar year (log-normally spread
  components; a few excluded lines), 三保障 and water indicators, and ``HouseholdYear`` rows for the two
  previous years;
* about 3 % of households are *at risk*: lower income, more illness, a few housing or water problems, and
  most enrolled in 低保边缘 (``dibao_edge``) or given 临时救助. Monitoring cases (监测对象) have no model yet
  — they come with the monitoring issue, which will find these households through its screening rules.

Amounts (wages, 低保金, pensions, subsidies) are synthetic spreads, not policy values.

Phone numbers are 11 digits starting with 140. As far as we know 140 belongs to the 13-digit IoT (物联网)
numbering, so no person is reachable at an 11-digit 140 number; China publishes no fictional range like
the 555-01xx of North America. Check before publishing screenshots.

Determinism: rows are a function of (seed, number of households, year) only. The population is planned
in the main process (households per county and village, sizes, ids), then generated in *units* — a county
or a part of a large county — each from its own ``random.Random`` stream and with its own slice of the ID
sequence numbers, so units can run in any process and in any order and still give the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from math import ceil

from bangfu.core import crypto
from bangfu.core.idnumbers import check_digit
from bangfu.demo import names

# --- the plan --------------------------------------------------------------------------------------------

CITY_PREFIX = "6109"
# Rough populations (万人, after the 2020 census, rounded) of the ten counties of 安康市, used only as
# weights for spreading the households; a county missing here is weighted by its number of villages.
COUNTY_WEIGHTS: Mapping[str, float] = {
    "610902": 87.3,  # 汉滨区
    "610921": 25.0,  # 汉阴县
    "610922": 15.4,  # 石泉县
    "610923": 6.0,  # 宁陕县
    "610924": 24.5,  # 紫阳县
    "610925": 12.8,  # 岚皋县
    "610926": 17.7,  # 平利县
    "610927": 4.6,  # 镇坪县
    "610929": 15.6,  # 白河县
    "610981": 36.4,  # 旬阳市
}
# A county larger than this share of the city is generated in parts, so two processes stay busy; the
# parts depend on the weights only, never on the number of households, so the rows do not either.
UNIT_SHARE = 0.125
# Urban residents' committees (社区) hold fewer registered rural households than villages (村).
COMMUNITY_WEIGHT = 0.35
SIZE_WEIGHTS = (14.0, 23.0, 21.0, 19.0, 13.0, 7.0, 2.2, 0.8)  # sizes 1..8, mean ≈ 3.28
DEPARTED_SHARE = 0.015  # households with a member who died last year (kept as a former member)

# The 3-digit sequence of an ID number is 2·i + sex, i in 0..499. Natives of a county use i < 400, split
# among the county's units; people married in from elsewhere use i >= 400, split among all units. Every
# unit therefore owns its numbers and no two people can share one.
NATIVE_SEQUENCES = 400
ALL_SEQUENCES = 500
# Where spouses married in from come from: the other 安康 counties, and neighbouring counties of
# 汉中/商洛 (陕西), 十堰 (湖北), 重庆, 巴中/达州/广元 (四川), 南阳 (河南), 天水 (甘肃).
OTHER_PROVINCES = (
    "610724", "610728", "611025", "611026", "420322", "420323", "420324", "500229", "500236", "500238",
    "511921", "511722", "510822", "411326", "620521",
)  # fmt: skip
MARRIED_IN_SHARE = 0.11  # of spouses, sons- and daughters-in-law: ≈ 3 % of all people


@dataclass(frozen=True)
class Village:
    code: str
    name: str  # short: 皂树村, 东关社区
    town: str
    county: str
    community: bool  # an urban 社区 rather than a 村


@dataclass(frozen=True)
class Unit:
    """A slice of the population generated from one random stream: part of one county's villages.

    ``households`` lists, in id order, ``(index into villages, size, departed)`` where ``departed`` says
    whether the household also has a former member. ``bases`` gives each table's first id: households,
    members and statements are numbered exactly; the other tables get a range as large as their bound
    (``ROW_BOUNDS``), so every row's id is known in advance whatever process generates it and whenever its
    batch reaches the database. The unused end of a range stays a gap in the ids.
    """

    index: int
    county: str
    part: int
    parts: int
    units: int
    villages: tuple[Village, ...]
    households: tuple[tuple[int, int, bool], ...]
    first_ordinal: int  # the city-wide ordinal of the first household (phone numbers)
    bases: Mapping[str, int]
    sites: tuple[str, ...]  # resettlement sites (安置点) of the county

    @property
    def member_count(self) -> int:
        return sum(size + departed for _village, size, departed in self.households)

    def id_range(self, table: str) -> tuple[int, int]:
        """The half-open range of ids this unit may use in ``table``."""
        first = self.bases[table]
        return first, first + row_bound(table, len(self.households), self.member_count)


@dataclass(frozen=True)
class Settings:
    """What every unit needs besides its plan: the run's constants."""

    seed: int
    year: int
    created_at: str  # the load time, formatted for the database
    id_context: str  # crypto contexts of the encrypted columns
    phone_context: str
    batch_households: int = 2000


@dataclass
class Batch:
    """Rows of up to ``batch_households`` households, per table, in the column order of ``COLUMNS``."""

    unit: int
    rows: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)
    households: int = 0


COLUMNS: Mapping[str, tuple[str, ...]] = {
    "household": (
        "id", "region_code", "household_number", "natural_village", "address", "household_type",
        "is_exited_poor", "relocated", "resettlement_site", "phone", "phone_index", "status", "closed_on",
        "closed_reason", "source", "created_at", "updated_at",
    ),
    "member": (
        "id", "household_id", "region_code", "name", "id_number", "id_number_index", "sex", "birth_date",
        "relation", "ethnicity", "political_status", "education", "school_status", "health",
        "disability_grade", "labour_capacity", "skill", "resident_medical_insurance",
        "employee_medical_insurance", "critical_illness_insurance", "resident_pension", "employee_pension",
        "joined_on", "left_on", "left_reason", "source", "created_at", "updated_at",
    ),
    "householdyear": (
        "id", "household_id", "region_code", "year", "household_type", "is_exited_poor", "relocated", "size",
        "recorded_at",
    ),
    "programmeenrolment": (
        "id", "household_id", "member_id", "region_code", "kind", "grade", "start_date", "end_date",
        "monthly_amount", "note", "source", "created_at",
    ),
    "employment": (
        "id", "household_id", "member_id", "region_code", "employer", "industry", "place", "place_detail",
        "channel", "start_date", "end_date", "months", "transport_subsidy", "source", "created_at",
    ),
    "incomestatement": (
        "id", "household_id", "region_code", "period_kind", "period_start", "period_end", "household_size",
        "wages", "business", "property", "transfers", "business_expenditure", "insurance_payout",
        "compliant_out_of_pocket", "source", "created_at", "updated_at",
    ),
    "incomeline": ("id", "statement_id", "region_code", "component", "item", "amount", "note"),
    "indicatorobservation": (
        "id", "household_id", "region_code", "indicator", "value", "is_problem", "observed_on", "note",
        "source", "recorded_by_id", "created_at",
    ),
}  # fmt: skip


def row_bound(table: str, households: int, members: int) -> int:
    """At most how many rows of ``table`` a unit of ``households`` households and ``members`` members
    produces: the size of its id range. Exact for the first four tables."""
    bounds = {
        "household": households,
        "member": members,
        "incomestatement": households,
        "householdyear": 2 * households,
        # per household: 低保, 特困, 搬迁, 低保边缘, 临时救助; per member: 两项补贴, 公益岗位
        "programmeenrolment": 5 * households + 2 * members,
        "employment": members,
        # per household at most 16 household-level lines; per member wage, pension, 高龄, 补贴, 理赔, 自付
        "incomeline": 16 * households + 6 * members,
        "indicatorobservation": 7 * households,
    }
    return bounds[table]


def stream(seed: int, *names: str) -> random.Random:
    """An independent random stream for one part of the run; seeding with text hashes it (SHA-512), the
    same in every process and Python version, unlike ``hash()``."""
    return random.Random(":".join(("bangfu-demo", str(seed), *names)))  # noqa: S311 - synthetic data, no secret


def short_village_name(name: str) -> str:
    """皂树村委会 → 皂树村, 东关社区居委会 → 东关社区 (the name people say and write in addresses)."""
    for suffix, short in (("村民委员会", "村"), ("村委会", "村"), ("社区居委会", "社区"), ("居委会", "社区")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + short
    return name


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` into integers that add up exactly."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    # Ties broken by position: deterministic.
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def plan(
    *,
    households: int,
    seed: int,
    villages: Sequence[Village],
    first_ids: Mapping[str, int] | None = None,
) -> list[Unit]:
    """Spread ``households`` over ``villages`` and cut the city into units, numbering each table's rows
    from ``first_ids`` (default 1). Pure and deterministic: the same arguments give the same plan."""
    if households and not villages:
        raise ValueError("a population needs villages to live in")
    by_county: dict[str, list[Village]] = {}
    for village in sorted(villages, key=lambda v: v.code):
        by_county.setdefault(village.code[:6], []).append(village)
    counties = sorted(by_county)
    weights = [COUNTY_WEIGHTS.get(c, len(by_county[c]) / 20) for c in counties]
    per_county = _largest_remainder(households, weights)
    total_weight = sum(weights)
    parts_of = {
        c: max(1, ceil(w / total_weight / UNIT_SHARE)) for c, w in zip(counties, weights, strict=True)
    }
    unit_count = sum(parts_of.values())
    size_cumulative = tuple(accumulate(SIZE_WEIGHTS))
    sites = _resettlement_sites(by_county)

    units: list[Unit] = []
    next_id = {table: (first_ids or {}).get(table, 1) for table in COLUMNS}
    ordinal = 0
    for county, count in zip(counties, per_county, strict=True):
        rng = stream(seed, county, "plan")
        county_villages = by_county[county]
        village_weights = [
            (COMMUNITY_WEIGHT if v.community else 1.0) * (0.5 + rng.random()) for v in county_villages
        ]
        per_village = _largest_remainder(count, village_weights)
        # Cut the county into parts at village boundaries, each with about the same number of households.
        parts = parts_of[county]
        cut_points = [count * (p + 1) / parts for p in range(parts)]
        groups: list[list[int]] = [[] for _ in range(parts)]
        running = 0
        part = 0
        for index, village_count in enumerate(per_village):
            if part < parts - 1 and running >= cut_points[part]:
                part += 1
            groups[part].append(index)
            running += village_count
        for part, village_indexes in enumerate(groups):
            unit_villages = tuple(county_villages[i] for i in village_indexes)
            planned: list[tuple[int, int, bool]] = []
            for local, village_index in enumerate(village_indexes):
                for _ in range(per_village[village_index]):
                    size = 1 + _bisect(size_cumulative, rng.random() * size_cumulative[-1])
                    planned.append((local, size, rng.random() < DEPARTED_SHARE))
            members = sum(size + departed for _village, size, departed in planned)
            units.append(
                Unit(
                    index=len(units),
                    county=county,
                    part=part,
                    parts=parts,
                    units=unit_count,
                    villages=unit_villages,
                    households=tuple(planned),
                    first_ordinal=ordinal,
                    bases=dict(next_id),
                    sites=sites.get(county, ()),
                )
            )
            ordinal += len(planned)
            for table in COLUMNS:
                next_id[table] += row_bound(table, len(planned), members)
    return units


def _bisect(cumulative: Sequence[float], x: float) -> int:
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _resettlement_sites(by_county: Mapping[str, Sequence[Village]]) -> dict[str, tuple[str, ...]]:
    """Relocated households live in 安置点 built in town centres: named after the county's communities."""
    sites: dict[str, tuple[str, ...]] = {}
    for county, villages in by_county.items():
        communities = [f"{v.town}{v.name}安置点" for v in villages if v.community]
        sites[county] = tuple(communities[:12]) or (f"{villages[0].town}集中安置点",)
    return sites


# --- code values (the stored codes of bangfu.registry.models; literal so the workers need no Django) ----

MALE, FEMALE = "male", "female"
HEAD, SPOUSE, SON, DAUGHTER = "head", "spouse", "son", "daughter"
DAUGHTER_IN_LAW, SON_IN_LAW, GRANDSON, GRANDDAUGHTER = (
    "daughter_in_law",
    "son_in_law",
    "grandson",
    "granddaughter",
)
FATHER, MOTHER, SIBLING, OTHER = "father", "mother", "sibling", "other"
DEMO_SOURCE = "demo"

HAN_SHARE = 0.993
MINORITIES = (("回族", 2.0), ("土家族", 2.0), ("苗族", 1.0), ("满族", 1.0), ("蒙古族", 1.0))
SKILLS = (
    "电工", "焊工", "厨师", "砌筑工", "驾驶员", "茶叶加工", "育婴员", "缝纫工", "挖掘机操作", "家政服务",
    "美容美发", "汽车维修",
)  # fmt: skip
CROPS = ("茶叶", "魔芋", "玉米", "烤烟", "蔬菜", "中药材", "核桃", "蚕桑")
LIVESTOCK = ("生猪", "土鸡", "肉牛", "山羊", "中蜂")
OUT_OF_PROVINCE = (
    "浙江省宁波市", "浙江省杭州市", "江苏省苏州市", "江苏省无锡市", "广东省东莞市", "广东省深圳市",
    "福建省晋江市", "北京市", "上海市", "新疆维吾尔自治区乌鲁木齐市", "山西省吕梁市",
    "内蒙古自治区鄂尔多斯市", "河南省郑州市", "湖北省十堰市",
)  # fmt: skip
IN_PROVINCE = ("陕西省西安市", "陕西省咸阳市", "陕西省宝鸡市", "陕西省汉中市", "陕西省榆林市", "陕西省延安市")
AWAY_INDUSTRIES = (
    ("制造业", 35.0), ("建筑业", 30.0), ("住宿和餐饮业", 12.0), ("居民服务业", 8.0), ("交通运输业", 7.0),
    ("采矿业", 5.0), ("批发和零售业", 3.0),
)  # fmt: skip
LOCAL_INDUSTRIES = (
    ("农业", 30.0),
    ("建筑业", 30.0),
    ("制造业", 15.0),
    ("住宿和餐饮业", 15.0),
    ("居民服务业", 10.0),
)
GROUPS = ("一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组", "九组", "十组", "十一组", "十二组")


def _weighted(options: Sequence[tuple[str, float]]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(o for o, _w in options), tuple(accumulate(w for _o, w in options))


_MINORITY = _weighted(MINORITIES)
_AWAY_INDUSTRY = _weighted(AWAY_INDUSTRIES)
_LOCAL_INDUSTRY = _weighted(LOCAL_INDUSTRIES)


def _pick(table: tuple[tuple[str, ...], tuple[float, ...]], x: float) -> str:
    values, cumulative = table
    return values[_bisect(cumulative, x * cumulative[-1])]


class _Person:
    """A member while the household is being built (plain attributes; turned into a row at the end)."""

    __slots__ = (
        "age", "birth", "disability", "education", "employee", "health", "id", "labour", "left_on",
        "medical", "name", "pension", "political", "relation", "row_id", "school", "sex", "skill", "surname",
    )  # fmt: skip

    def __init__(self, relation: str, sex: str, age: int, surname: str) -> None:
        self.relation = relation
        self.sex = sex
        self.age = age
        self.surname = surname
        self.left_on: str | None = None
        # Filled in by _identity and _attributes.
        self.birth = self.name = self.id = ""
        self.education = self.school = self.health = self.disability = ""
        self.labour = self.skill = self.political = ""
        self.medical = self.employee = self.pension = False
        self.row_id = 0  # the member's id, once its row is written


def _money(amount: float) -> str:
    return f"{round(amount)}.00"


# --- generation -------------------------------------------------------------------------------------------


class UnitGenerator:
    """Generates the rows of one unit, batch by batch, from the unit's own random stream."""

    def __init__(self, unit: Unit, settings: Settings) -> None:
        self.unit = unit
        self.settings = settings
        self.rng = stream(settings.seed, unit.county, str(unit.part))
        self.year = settings.year
        self.last_year = settings.year - 1
        self.reference = dt.date(settings.year, 1, 1)  # ages are counted on 1 January of the year
        # The ID sequence slices this unit owns (see NATIVE_SEQUENCES).
        native = NATIVE_SEQUENCES // unit.parts
        self.native_slice = (unit.part * native, (unit.part + 1) * native)
        foreign = (ALL_SEQUENCES - NATIVE_SEQUENCES) // unit.units
        low = NATIVE_SEQUENCES + unit.index * foreign
        self.foreign_slice = (low, low + foreign)
        self.sequences: dict[tuple[str, str, str], int] = {}
        self.other_counties = tuple(sorted(c for c in COUNTY_WEIGHTS if c != unit.county))
        self.village_poverty: dict[int, float] = {}
        self.serial: dict[int, int] = {}
        self.created = settings.created_at

    # ---- people -------------------------------------------------------------------------------------------

    def _between(self, low: int, high: int) -> int:
        return low + int(self.rng.random() * (high - low + 1))

    def _compose(self, size: int) -> list[_Person]:
        """Head, spouse, parents, children, a married child's family, relatives: ages fit relations."""
        r = self.rng.random
        between = self._between
        family = names.surname(self.rng)
        if size == 1:
            age = between(60, 92) if r() < 0.62 else between(25, 59)
            sex = MALE if r() < (0.55 if age >= 65 else 0.8) else FEMALE
            return [_Person(HEAD, sex, age, family)]
        old_head = r() < {2: 0.55, 3: 0.25, 4: 0.25, 5: 0.5, 6: 0.55}.get(size, 0.6)
        head_age = between(56, 86) if old_head else between(24 if size <= 3 else 28, 55)
        head_sex = MALE if r() < 0.87 else FEMALE
        head = _Person(HEAD, head_sex, head_age, family)
        people = [head]
        left = size - 1
        mother_age = head_age if head_sex == FEMALE else 0
        if r() < (0.93 if head_age < 70 else 0.72):
            gap = between(0, 5) if head_sex == MALE else -between(0, 5)
            spouse = _Person(SPOUSE, FEMALE if head_sex == MALE else MALE, max(20, head_age - gap), "")
            people.append(spouse)
            left -= 1
            if head_sex == MALE:
                mother_age = spouse.age
            else:
                family = names.surname(self.rng)  # the children carry the husband's surname
                spouse.surname = family
        if head_sex == MALE and mother_age == 0:
            mother_age = head_age - between(0, 5)  # widowed or divorced: the children's mother is gone
        elif head_sex == FEMALE and len(people) == 1:
            family = names.surname(self.rng)  # a widow: the children carry her late husband's surname
        # Elderly parents living with a middle-aged head.
        if left and not old_head and head_age <= 62 and r() < {2: 0.35, 3: 0.15}.get(size, 0.3):
            father_age = head_age + between(22, 32)
            if father_age <= 97:
                if left >= 2 and r() < 0.45:
                    people.append(_Person(FATHER, MALE, father_age, head.surname))
                    left -= 1
                people.append(_Person(MOTHER, FEMALE, min(98, father_age - between(0, 4)), ""))
                left -= 1
        # Children of the head: the first 20–34 years younger than their mother, then 1–6 years apart.
        children: list[_Person] = []
        # An old head keeps one or two grown children at home; the rest of the slots are their families.
        most = left if not old_head else min(left, 1 if left <= 4 else 2)
        age = max(0, mother_age - between(20, 34)) if mother_age >= 20 else -1
        while len(children) < most and age >= 0:
            male = r() < 0.52
            children.append(_Person(SON if male else DAUGHTER, MALE if male else FEMALE, age, family))
            age -= between(1, 6)
        people.extend(children)
        left -= len(children)
        # A married son of 21+ stays with his parents, with his wife and children; without a son, now and
        # then a daughter's husband moves in instead (上门女婿).
        married = next((c for c in children if c.sex == MALE and c.age >= 21), None)
        if married is None and r() < 0.25:
            married = next((c for c in children if c.age >= 21), None)
        if left and married is not None:
            if married.sex == MALE:
                partner = _Person(DAUGHTER_IN_LAW, FEMALE, max(20, married.age - between(0, 4)), "")
                woman_age, grand_family = partner.age, family
            else:
                partner = _Person(SON_IN_LAW, MALE, married.age + between(0, 4), "")
                partner.surname = names.surname(self.rng)
                woman_age = married.age
                # The children of a son-in-law living with his wife's family often take her surname.
                grand_family = family if r() < 0.5 else partner.surname
            people.append(partner)
            left -= 1
            age = woman_age - between(20, 32)
            while left and age >= 0:
                male = r() < 0.52
                people.append(
                    _Person(GRANDSON if male else GRANDDAUGHTER, MALE if male else FEMALE, age, grand_family)
                )
                left -= 1
                age -= between(1, 5)
        # Whoever is still missing: a grandchild whose parent works away and is registered elsewhere, an
        # unmarried sibling of the head, or another relative.
        parent = next((c for c in children if c.age >= 23), None)
        while left:
            grandchild_age = parent.age - between(20, 30) if parent is not None else -1
            if grandchild_age >= 0 and r() < 0.8:
                male = r() < 0.52
                relation = GRANDSON if male else GRANDDAUGHTER
                people.append(_Person(relation, MALE if male else FEMALE, grandchild_age, family))
            elif r() < 0.7:
                sibling_age = max(16, head_age + between(-10, 10))
                people.append(_Person(SIBLING, MALE if r() < 0.6 else FEMALE, sibling_age, head.surname))
            else:
                people.append(_Person(OTHER, MALE if r() < 0.5 else FEMALE, between(5, 80), ""))
            left -= 1
        return people

    def _departed(self, people: list[_Person]) -> _Person:
        """A former member who died last year: the head's mother, else the spouse, else a sibling."""
        head = people[0]
        relations = {p.relation for p in people}
        if head.age <= 70 and MOTHER not in relations:
            person = _Person(MOTHER, FEMALE, min(100, head.age + self._between(22, 30)), "")
        elif SPOUSE not in relations:
            sex = FEMALE if head.sex == MALE else MALE
            person = _Person(SPOUSE, sex, max(20, head.age + self._between(-3, 3)), "")
        else:
            person = _Person(SIBLING, MALE, max(16, head.age + self._between(-8, 8)), head.surname)
        day = dt.date(self.last_year, 1, 1) + dt.timedelta(days=self._between(0, 364))
        person.left_on = day.isoformat()
        return person

    def _identity(self, person: _Person) -> None:
        """Birth date, name and a valid ID number whose region, birth date and sex agree with the person."""
        rng = self.rng
        # Born between 2 January and 30 December of the year that makes ``age`` exact on 1 January.
        born = dt.date(self.year - person.age - 1, 1, 2) + dt.timedelta(days=int(rng.random() * 363))
        person.birth = born.isoformat()
        if not person.surname:
            person.surname = names.surname(rng)
        person.name = person.surname + names.given_name(rng, sex=person.sex, birth_year=born.year)
        ymd = person.birth.replace("-", "")
        number = None
        if person.relation in (SPOUSE, DAUGHTER_IN_LAW, SON_IN_LAW) and rng.random() < MARRIED_IN_SHARE:
            if rng.random() < 0.6:
                prefix = self.other_counties[int(rng.random() * len(self.other_counties))]
            else:
                prefix = OTHER_PROVINCES[int(rng.random() * len(OTHER_PROVINCES))]
            number = self._number(prefix, ymd, person.sex, self.foreign_slice)
        if number is None:  # a native, or a married-in person whose slice is full (then counted as native)
            number = self._number(self.unit.county, ymd, person.sex, self.native_slice)
            if number is None:
                raise RuntimeError(f"ID sequence numbers exhausted for {self.unit.county} {ymd}")
        person.id = number

    def _number(self, prefix: str, ymd: str, sex: str, slice_: tuple[int, int]) -> str | None:
        key = (prefix, ymd, sex)
        i = self.sequences.get(key, slice_[0])
        if i >= slice_[1]:
            return None
        self.sequences[key] = i + 1
        first17 = f"{prefix}{ymd}{2 * i + (1 if sex == MALE else 0):03d}"
        return first17 + check_digit(first17)

    def _attributes(self, person: _Person, *, poor: bool) -> None:
        """Education, schooling, health, labour capacity, insurance and party status, by age and sex."""
        r = self.rng.random
        age = person.age
        born = self.year - age - 1
        person.skill = ""
        person.disability = ""
        person.political = "masses"
        person.school = "not_in_school"
        # Schooling by age; a few children of 15–17 have left school after the compulsory years.
        if age < 3:
            person.education = "preschool"
        elif age < 6:
            person.education = "preschool"
            person.school = "preschool" if r() < 0.85 else "not_in_school"
        elif age < 12:
            person.education = "primary"
            person.school = "primary"
        elif age < 15:
            person.education = "junior"
            person.school = "junior"
        elif age < 18:
            person.education = "junior"
            x = r()
            person.school = "senior" if x < 0.55 else "secondary_vocational" if x < 0.85 else "not_in_school"
        elif age < 23 and r() < 0.45:
            person.education = "senior"
            person.school = "higher_vocational" if r() < 0.5 else "undergraduate"
        else:
            person.education = self._adult_education(born)
        # Health worsens with age; poverty brings more illness and disability.
        factor = 1.5 if poor else 1.0
        x = r()
        disabled = (0.01 if age < 18 else 0.035 if age < 60 else 0.09) * factor
        serious = (0.006 if age < 60 else 0.02) * factor
        chronic = (0.02 if age < 40 else 0.1 if age < 60 else 0.28) * factor
        if x < disabled:
            person.health = "disabled"
            y = r()
            person.disability = "1" if y < 0.1 else "2" if y < 0.3 else "3" if y < 0.6 else "4"
        elif x < disabled + serious:
            person.health = "serious_illness"
        elif x < disabled + serious + chronic:
            person.health = "chronic"
        else:
            person.health = "healthy"
        person.labour = self._labour(person)
        if person.labour == "skilled":
            person.skill = SKILLS[int(r() * len(SKILLS))]
        if age >= 30 and r() < (0.08 if person.sex == MALE else 0.03):
            person.political = "party_member"
        elif 14 <= age <= 28 and r() < 0.3:
            person.political = "league_member"
        # Nearly everyone is in the residents' medical insurance (大病保险 comes with it); some newborns
        # are not registered yet, which shows as an indicator problem.
        x = r()
        person.employee = age >= 18 and person.labour == "skilled" and x < 0.08
        person.medical = not person.employee and (x < 0.75 if age == 0 else x < 0.998)
        person.pension = age >= 16 and person.school == "not_in_school" and not person.employee and r() < 0.9

    def _adult_education(self, born: int) -> str:
        x = self.rng.random()
        if born < 1950:
            return "illiterate" if x < 0.45 else "primary" if x < 0.9 else "junior"
        if born < 1965:
            return "illiterate" if x < 0.15 else "primary" if x < 0.6 else "junior" if x < 0.95 else "senior"
        if born < 1980:
            return "primary" if x < 0.3 else "junior" if x < 0.8 else "senior" if x < 0.95 else "vocational"
        if born < 1995:
            return (
                "primary"
                if x < 0.08
                else "junior"
                if x < 0.6
                else "senior"
                if x < 0.78
                else ("vocational" if x < 0.88 else "college" if x < 0.96 else "bachelor")
            )
        return (
            "junior"
            if x < 0.35
            else "senior"
            if x < 0.55
            else "vocational"
            if x < 0.75
            else ("college" if x < 0.9 else "bachelor")
        )

    def _labour(self, person: _Person) -> str:
        age = person.age
        if age < 16 or person.school != "not_in_school":
            return "none"
        if (person.health == "disabled" and person.disability in ("1", "2")) or (
            person.health == "serious_illness" and self.rng.random() < 0.5
        ):
            return "lost"
        if age >= 75:
            return "none"
        if age >= 65 or person.health in ("chronic", "serious_illness", "disabled"):
            return "weak"
        if age >= 60:
            return "ordinary" if self.rng.random() < 0.5 else "weak"
        return "skilled" if self.rng.random() < 0.18 else "ordinary"

    # ---- households ---------------------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """The unit's rows in batches of ``settings.batch_households`` households."""
        unit = self.unit
        # The tables whose rows are numbered here, once a batch is complete, from the unit's id range.
        numbered = [table for table in COLUMNS if table not in ("household", "member", "incomestatement")]
        next_id = {table: unit.bases[table] for table in numbered}
        ends = {table: unit.id_range(table)[1] for table in numbered}
        batch = Batch(unit=unit.index, rows={table: [] for table in COLUMNS})
        member_id = unit.bases["member"]
        for offset, (village_index, size, departed) in enumerate(unit.households):
            member_id = self._household(batch.rows, offset, village_index, size, departed, member_id)
            batch.households += 1
            if batch.households == self.settings.batch_households or offset == len(unit.households) - 1:
                for table in numbered:
                    first = next_id[table]
                    rows = batch.rows[table]
                    batch.rows[table] = [(number, *row) for number, row in enumerate(rows, start=first)]
                    next_id[table] = first + len(rows)
                    if next_id[table] > ends[table]:
                        raise RuntimeError(f"{table}: more rows than ROW_BOUNDS allows in unit {unit.index}")
                yield batch
                batch = Batch(unit=unit.index, rows={table: [] for table in COLUMNS})

    def _household(
        self,
        rows: dict[str, list[tuple[object, ...]]],
        offset: int,
        village_index: int,
        size: int,
        departed: bool,
        member_id: int,
    ) -> int:
        rng = self.rng
        r = rng.random
        unit = self.unit
        village = unit.villages[village_index]
        code = village.code
        household_id = unit.bases["household"] + offset
        statement_id = unit.bases["incomestatement"] + offset
        created = self.created
        last_year = self.last_year

        poverty = self.village_poverty.get(village_index)
        if poverty is None:
            poverty = (0.3 + 1.4 * r()) * (0.5 if village.community else 1.0)
            self.village_poverty[village_index] = poverty
        exited = r() < 0.15 * poverty
        at_risk = r() < (0.08 if exited else 0.021)
        relocated = exited and r() < 0.08

        people = self._compose(size)
        if departed:
            people.append(self._departed(people))
        for person in people:
            self._identity(person)
            self._attributes(person, poor=exited or at_risk)
        current = [p for p in people if p.left_on is None]
        adults = [p for p in current if 18 <= p.age < 60]
        if at_risk and adults and r() < 0.5:
            # Illness is the commonest risk (因病): one adult falls seriously ill.
            sick = adults[int(r() * len(adults))]
            sick.health, sick.labour, sick.disability, sick.skill = "serious_illness", "lost", "", ""
        dropout = False
        for person in current:
            # A few children of compulsory-school age out of school: the indicator below shows it.
            if 6 <= person.age <= 15 and r() < (0.02 if at_risk else 0.0015):
                person.school = "dropped_out"
                dropout = True
        head = current[0]
        vulnerable = any(p.health == "disabled" for p in current) or (head.age >= 70 and len(current) <= 2)
        extreme = len(current) == 1 and (head.age >= 60 or head.disability in ("1", "2")) and r() < 0.13
        dibao = not extreme and r() < (0.12 if exited else 0.038) * (2.0 if vulnerable else 0.75)
        household_type = (
            "exited_poor" if exited else "extreme_poverty" if extreme else "dibao" if dibao else "ordinary"
        )

        # Household row.
        serial = self.serial.get(village_index, 0) + 1
        self.serial[village_index] = serial
        # Villages have 4–11 groups (村民小组); communities have none.
        group = "" if village.community else GROUPS[int(r() * (4 + int(code[-2:]) % 8))]
        address = f"{village.town}{village.name}{group}{self._between(1, 120)}号"
        site = unit.sites[int(r() * len(unit.sites))] if relocated else ""
        if relocated:
            address = f"{site}{self._between(1, 30)}栋{self._between(1, 6)}单元{self._between(101, 1802)}室"
        if r() < 0.92:
            # A bijection of the city-wide ordinal onto 8 digits: unique, but not in household order.
            phone = f"140{(unit.first_ordinal + offset) * 48271 % 100_000_000:08d}"
            phone_token = crypto.encrypt(phone, context=self.settings.phone_context)
            phone_index = crypto.blind_index(phone, kind="phone")
        else:
            phone_token = phone_index = ""
        rows["household"].append(
            (
                household_id,
                code,
                f"{code}{serial:05d}",
                group,
                address,
                household_type,
                exited,
                relocated,
                site,
                phone_token,
                phone_index,
                "active",
                None,
                "",
                DEMO_SOURCE,
                created,
                created,
            )
        )

        # Members.
        for person in people:
            person.row_id = member_id
            ethnicity = "汉族" if r() < HAN_SHARE else _pick(_MINORITY, r())
            joined = person.birth if person.age < 10 else None
            rows["member"].append(
                (
                    member_id,
                    household_id,
                    code,
                    person.name,
                    crypto.encrypt(person.id, context=self.settings.id_context),
                    crypto.blind_index(person.id, kind="id_number"),
                    person.sex,
                    person.birth,
                    person.relation,
                    ethnicity,
                    person.political,
                    person.education,
                    person.school,
                    person.health,
                    person.disability,
                    person.labour,
                    person.skill,
                    person.medical,
                    person.employee,
                    person.medical or person.employee,
                    person.pension,
                    person.employee,
                    joined,
                    person.left_on,
                    "died" if person.left_on else "",
                    DEMO_SOURCE,
                    created,
                    created,
                )
            )
            member_id += 1

        # Programmes.
        programmes = rows["programmeenrolment"]
        lines: list[tuple[str, str, int, str]] = []  # (component, item, amount, note)
        dibao_start = ""
        if dibao:
            grade = "一类" if r() < 0.2 else "二类" if r() < 0.5 else "三类"
            monthly = {"一类": 600, "二类": 420, "三类": 260}[grade] * (1 + 0.35 * (len(current) - 1))
            monthly = round(monthly * (0.85 + 0.3 * r()))
            start = dibao_start = self._date_between(self.year - 8, last_year)
            programmes.append(
                (
                    household_id,
                    None,
                    code,
                    "dibao",
                    grade,
                    start,
                    None,
                    _money(monthly),
                    "",
                    DEMO_SOURCE,
                    created,
                )
            )
            lines.append(("transfers", "低保金", monthly * 12, ""))
        if extreme:
            monthly = self._between(700, 900)
            grade = "分散供养" if r() < 0.9 else "集中供养"
            start = self._date_between(self.year - 10, last_year)
            programmes.append(
                (
                    household_id,
                    head.row_id,
                    code,
                    "extreme_poverty_support",
                    grade,
                    start,
                    None,
                    _money(monthly),
                    "",
                    DEMO_SOURCE,
                    created,
                )
            )
            lines.append(("transfers", "特困供养金", monthly * 12, ""))
        for person in current:
            if person.health != "disabled":
                continue
            severe = person.disability in ("1", "2")
            needy = dibao or extreme or exited
            if not (severe or needy):
                continue
            grade = "两项补贴" if severe and needy else "护理补贴" if severe else "生活补贴"
            monthly = (self._between(70, 100) if severe else 0) + (self._between(60, 90) if needy else 0)
            first_year = min(max(self.year - 10, int(person.birth[:4]) + 1), last_year)
            start = max(self._date_between(first_year, last_year), person.birth)
            programmes.append(
                (
                    household_id,
                    person.row_id,
                    code,
                    "disability_allowances",
                    grade,
                    start,
                    None,
                    _money(monthly),
                    "",
                    DEMO_SOURCE,
                    created,
                )
            )
            lines.append(("transfers", "残疾人两项补贴", monthly * 12, person.name))
        if relocated:
            start = self._date_between(2016, 2020)
            programmes.append(
                (
                    household_id,
                    None,
                    code,
                    "relocation",
                    "集中安置",
                    start,
                    None,
                    None,
                    f"安置点：{site}",
                    DEMO_SOURCE,
                    created,
                )
            )
        if at_risk and not (dibao or extreme) and r() < 0.7:
            start = self._date_between(last_year, last_year)
            programmes.append(
                (
                    household_id,
                    None,
                    code,
                    "dibao_edge",
                    "",
                    start,
                    None,
                    None,
                    "收入接近低保标准，纳入低保边缘家庭",
                    DEMO_SOURCE,
                    created,
                )
            )

        # Employment: migrant work above all; local jobs, community factories and welfare posts nearer home.
        employments = rows["employment"]
        county_name = village.county
        for person in current:
            chance = self._work_chance(person)
            if at_risk:
                chance *= 0.4
            if not chance or r() >= chance:
                continue
            x = r()
            away_share = 0.75 if person.age < 45 else 0.5
            if x < away_share * 0.67:
                place, detail = "out_of_province", OUT_OF_PROVINCE[int(r() * len(OUT_OF_PROVINCE))]
                monthly_median = 4500
            elif x < away_share:
                place = "in_province"
                if r() < 0.3 and unit.county != "610902":
                    detail = "安康市汉滨区"
                else:
                    detail = IN_PROVINCE[int(r() * len(IN_PROVINCE))]
                monthly_median = 3800
            else:
                place, detail, monthly_median = "in_county", f"{county_name}{village.town}", 2800
            employer = ""
            if place == "in_county":
                y = r()
                welfare_ok = exited or at_risk or dibao
                if welfare_ok and person.age >= 35 and y < 0.25:
                    channel, industry, monthly_median = "public_welfare_post", "公共管理和社会组织", 600
                    employer = f"{village.town}{village.name}"
                elif y < 0.45:
                    channel, industry, monthly_median = "workshop", "制造业", 2200
                    employer = f"{village.town}社区工厂"
                else:
                    channel = "self_found" if y < 0.9 else "other"
                    industry = _pick(_LOCAL_INDUSTRY, r())
            else:
                y = r()
                channel = "organised" if y < 0.25 else "self_found" if y < 0.95 else "other"
                industry = _pick(_AWAY_INDUSTRY, r())
            # Half started before last year and worked most of it; the others started last spring.
            # ``months`` is the time worked last year; a quarter of the jobs ended during the year.
            if r() < 0.5:
                first_year = min(max(self.year - 6, int(person.birth[:4]) + 16), last_year - 1)
                start = self._date_between(first_year, last_year - 1)
                first_month, months = 1, self._between(8, 12)
            else:
                start_day = dt.date(last_year, 1, 1) + dt.timedelta(days=self._between(0, 150))
                start, first_month = start_day.isoformat(), start_day.month
                months = self._between(3, 13 - first_month)
            end = None
            if r() < 0.25:
                end = max(start, dt.date(last_year, first_month + months - 1, 28).isoformat())
            subsidy = 0
            if (exited or at_risk) and place != "in_county" and channel != "other" and r() < 0.5:
                subsidy = 500 if place == "out_of_province" else 300
            employments.append(
                (
                    household_id,
                    person.row_id,
                    code,
                    employer,
                    industry,
                    place,
                    detail,
                    channel,
                    start,
                    end,
                    months,
                    _money(subsidy),
                    DEMO_SOURCE,
                    created,
                )
            )
            monthly = monthly_median * rng.lognormvariate(0, 0.3) if channel != "public_welfare_post" else 600
            wage = int(round(monthly * months, -1))
            item = "公益岗位工资" if channel == "public_welfare_post" else "务工收入"
            lines.append(("wages", item, wage, f"{person.name}，{detail}，{months}个月"))
            if channel == "public_welfare_post":
                programmes.append(
                    (
                        household_id,
                        person.row_id,
                        code,
                        "public_welfare_post",
                        "",
                        start,
                        end,
                        _money(600),
                        "",
                        DEMO_SOURCE,
                        created,
                    )
                )

        self._income(
            rows,
            lines,
            current,
            statement_id,
            household_id,
            code,
            exited=exited,
            at_risk=at_risk,
            poor_support=dibao or extreme,
        )
        self._indicators(
            rows, household_id, code, current, at_risk=at_risk, relocated=relocated, dropout=dropout
        )
        for year in (last_year - 1, last_year):
            present = sum(
                1
                for p in people
                if int(p.birth[:4]) <= year and (p.left_on is None or int(p.left_on[:4]) > year)
            )
            # A household that came onto 低保 last year was an ordinary household the year before.
            kind = "ordinary" if dibao_start and int(dibao_start[:4]) > year else household_type
            rows["householdyear"].append(
                (household_id, code, year, kind, exited, relocated, max(1, present), created)
            )
        return member_id

    def _work_chance(self, person: _Person) -> float:
        age = person.age
        if age < 16 or age >= 65 or person.labour in ("none", "lost") or person.school != "not_in_school":
            return 0.0
        base = 0.42 if age < 20 else 0.66 if age < 40 else 0.52 if age < 50 else 0.34 if age < 60 else 0.12
        if person.sex == FEMALE:
            base *= 0.85
        if person.labour == "weak":
            base *= 0.4
        return base

    def _date_between(self, first_year: int, last_year: int) -> str:
        """A day between 1 January of ``first_year`` and 31 December of ``last_year``."""
        start = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        return dt.date.fromordinal(start + int(self.rng.random() * (end - start + 1))).isoformat()

    def _income(
        self,
        rows: dict[str, list[tuple[object, ...]]],
        lines: list[tuple[str, str, int, str]],
        current: list[_Person],
        statement_id: int,
        household_id: int,
        code: str,
        *,
        exited: bool,
        at_risk: bool,
        poor_support: bool,
    ) -> None:
        """The previous calendar year's statement: pensions and subsidies, land rent and dividends, then
        farming, livestock or support from children up to the household's income level; a few excluded
        lines; totals of the counted components.

        Each household draws a per-capita level (log-normal: ordinary households around 14,000 元, former
        poor 12,000, 低保 7,000, households at risk 6,000). Wages come from the employment records; what the
        wages and transfers leave to that level is earned on the farm by those who can work, or sent by
        children for elderly households — so the spread is realistic and the households below a
        monitoring line are mostly the ones at risk.
        """
        rng = self.rng
        r = rng.random
        logn = rng.lognormvariate
        counted = sum(amount for _component, _item, amount, _note in lines)  # wages and programme money
        if r() < 0.18:
            amount = round(600 * logn(0, 0.6))
            lines.append(("property", "土地流转收入", amount, ""))
            counted += amount
        if exited and r() < 0.6:
            amount = round(300 * logn(0, 0.5))
            lines.append(("property", "资产收益分红", amount, "村集体经济分红"))
            counted += amount
        for person in current:
            if person.age >= 60:
                if person.employee:
                    amount = 12 * self._between(2500, 4000)
                    lines.append(("transfers", "退休金", amount, person.name))
                else:
                    amount = 12 * self._between(160, 230)
                    lines.append(("transfers", "养老金", amount, person.name))
                counted += amount
            if person.age >= 80:
                amount = 12 * self._between(50, 100)
                lines.append(("transfers", "高龄补贴", amount, person.name))
                counted += amount
            if person.health == "serious_illness":
                if r() < 0.5:
                    amount = round(3000 * logn(0, 0.8))
                    lines.append(("insurance_payout", "大病保险理赔", amount, person.name))
                amount = round(8000 * logn(0, 0.8))
                lines.append(("compliant_out_of_pocket", "住院自付费用", amount, person.name))
            elif person.health == "chronic" and r() < 0.2:
                amount = round(1500 * logn(0, 0.6))
                lines.append(("compliant_out_of_pocket", "慢性病门诊自付", amount, person.name))
        if r() < 0.35:
            amount = round(400 * logn(0, 0.7))
            lines.append(("transfers", "生态补偿", amount, "公益林补偿" if r() < 0.6 else "退耕还林"))
            counted += amount
        farmers = sum(1 for p in current if 16 <= p.age < 75 and p.labour not in ("none", "lost"))
        if farmers and r() < 0.5:
            amount = round(150 * logn(0, 0.5))
            lines.append(("transfers", "耕地地力保护补贴", amount, ""))
            counted += amount

        median = 6000 if at_risk else 7000 if poor_support else 12000 if exited else 14000
        level = median * logn(0, 0.3 if at_risk or poor_support else 0.4)
        missing = level * len(current) - counted
        if farmers:
            # Farm income fills the gap (with a floor: every farming household earns something).
            net = max(missing, 1500 * logn(0, 0.6)) if r() < 0.85 else max(missing, 0)
            if net > 0:
                cost_share = 0.25 + 0.25 * r()
                gross = net / (1 - cost_share)
                livestock = gross * (0.2 + 0.4 * r()) if r() < 0.35 else 0.0
                crop = CROPS[int(r() * len(CROPS))]
                lines.append(("business", "种植业收入", round(gross - livestock), crop))
                if livestock:
                    animal = LIVESTOCK[int(r() * len(LIVESTOCK))]
                    lines.append(("business", "养殖业收入", round(livestock), animal))
                lines.append(("business_expenditure", "生产经营性支出", round(gross * cost_share), ""))
            if r() < 0.03:
                # A small shop or farm stay; its costs are in the line's note, the net is what counts.
                amount = round(20000 * logn(0, 0.6))
                lines.append(("business", "个体经营收入", amount, "小卖部" if r() < 0.5 else "农家乐"))
                lines.append(("business_expenditure", "个体经营成本", round(amount * 0.4), ""))
        elif missing > 0 and r() < 0.8:
            # Elderly parents are supported by children who work and live elsewhere (赡养费 counts).
            lines.append(("transfers", "赡养费", round(missing * (0.7 + 0.4 * r())), "子女赡养"))
        # Lines that are recorded but never counted (RULES §3.1): fixed-purpose and one-off money.
        if r() < 0.03:
            lines.append(("excluded", "危房改造补助", self._between(15, 30) * 1000, "专项用途，不计入收入"))
        if r() < 0.02:
            lines.append(("excluded", "慰问金", self._between(2, 8) * 100, "一次性慰问，不计入收入"))
        if at_risk and any(p.health == "serious_illness" for p in current) and r() < 0.4:
            amount = self._between(10, 50) * 100
            lines.append(("excluded", "临时救助金", amount, "一次性救助，不计入收入"))
            day = self._date_between(self.last_year, self.last_year)
            rows["programmeenrolment"].append(
                (
                    household_id,
                    None,
                    code,
                    "temporary_assistance",
                    "",
                    day,
                    day,
                    None,
                    f"一次性救助{amount}元",
                    DEMO_SOURCE,
                    self.created,
                )
            )

        totals = dict.fromkeys(
            ("wages", "business", "property", "transfers", "business_expenditure", "insurance_payout",
             "compliant_out_of_pocket"),
            0,
        )  # fmt: skip
        line_rows = rows["incomeline"]
        for component, item, amount, note in lines:
            if component != "excluded":
                totals[component] += amount
            line_rows.append((statement_id, code, component, item, _money(amount), note))
        created = self.created
        rows["incomestatement"].append(
            (
                statement_id,
                household_id,
                code,
                "calendar_year",
                f"{self.last_year}-01-01",
                f"{self.last_year}-12-31",
                len(current),
                *(_money(v) for v in totals.values()),
                DEMO_SOURCE,
                created,
                created,
            )
        )

    def _indicators(
        self,
        rows: dict[str, list[tuple[object, ...]]],
        household_id: int,
        code: str,
        current: list[_Person],
        *,
        at_risk: bool,
        relocated: bool,
        dropout: bool,
    ) -> None:
        """The yearly 三保障 and water check (排查) of last autumn: housing grade, four water indicators,
        schooling (if there are children of compulsory-school age), medical insurance."""
        r = self.rng.random
        observed = (dt.date(self.last_year, 9, 1) + dt.timedelta(days=self._between(0, 90))).isoformat()
        x = r()
        if relocated:
            grade = "A"
        elif at_risk:
            grade = "A" if x < 0.35 else "B" if x < 0.85 else "C" if x < 0.97 else "D"
        else:
            grade = "A" if x < 0.68 else "B" if x < 0.99 else "C" if x < 0.998 else "D"
        out = rows["indicatorobservation"]
        created = self.created
        out.append(
            (
                household_id,
                code,
                "housing_grade",
                grade,
                grade in ("C", "D"),
                observed,
                "",
                DEMO_SOURCE,
                None,
                created,
            )
        )
        water_problem = 0.04 if at_risk else 0.003
        for indicator in ("water_quantity", "water_quality", "water_convenience", "water_guarantee"):
            problem = r() < water_problem
            out.append(
                (
                    household_id,
                    code,
                    indicator,
                    "unmet" if problem else "met",
                    problem,
                    observed,
                    "",
                    DEMO_SOURCE,
                    None,
                    created,
                )
            )
        if any(6 <= p.age <= 15 for p in current):
            out.append(
                (
                    household_id,
                    code,
                    "child_out_of_school",
                    "unmet" if dropout else "met",
                    dropout,
                    observed,
                    "",
                    DEMO_SOURCE,
                    None,
                    created,
                )
            )
        uninsured = any(not (p.medical or p.employee) for p in current)
        out.append(
            (
                household_id,
                code,
                "uninsured_member",
                "unmet" if uninsured else "met",
                uninsured,
                observed,
                "",
                DEMO_SOURCE,
                None,
                created,
            )
        )


def unit_rows(unit: Unit, settings: Settings) -> Iterator[Batch]:
    """All rows of ``unit``, batch by batch (the function the worker processes run)."""
    return UnitGenerator(unit, settings).batches()
