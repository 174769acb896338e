"""The registry (农户信息): households, members, programmes, employment, income statements and indicators.

Every row carries the ``region_code`` of its household's village (12 digits), so scope is one range
predicate on the row itself (DESIGN.md §4.1, §5) and a later split by county needs no join. Writes go through
``bangfu.registry.services`` (direct edits, approved change requests, imports, the demo generator), which
keep the denormalised ``region_code`` and the blind indexes in step and write the audit trail.

Time is explicit: members join and leave (``joined_on`` / ``left_on``), programmes and employment have
start and end dates, indicators are observations with a date, income statements cover a period, and
``HouseholdYear`` keeps the household's own attributes per year, so the state of a household as of any
year can be rebuilt (``bangfu.registry.history``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from bangfu.core.fields import EncryptedTextField
from bangfu.regions.scoping import ScopedQuerySet

# Money: up to 9,999,999,999.99 元, two decimals (fen).
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MONEY_DIGITS = 12
MONEY_PLACES = 2
ZERO = Decimal("0.00")


def _money(verbose_name: StrOrPromise) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose_name,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
    )


# --- code tables (national export values as labels; the import understands the common spellings) -------


class HouseholdType(models.TextChoices):
    ORDINARY = "ordinary", _("一般农户")
    EXITED_POOR = "exited_poor", _("脱贫户")
    DIBAO = "dibao", _("低保户")
    EXTREME_POVERTY = "extreme_poverty", _("特困供养户")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    CLOSED = "closed", _("已注销")  # the whole household died out, moved away or merged into another


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Relation(models.TextChoices):
    """与户主关系 (national code table 1010, the common values)."""

    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    SON = "son", _("之子")
    DAUGHTER = "daughter", _("之女")
    DAUGHTER_IN_LAW = "daughter_in_law", _("之儿媳")
    SON_IN_LAW = "son_in_law", _("之女婿")
    GRANDSON = "grandson", _("之孙子")
    GRANDDAUGHTER = "granddaughter", _("之孙女")
    GREAT_GRANDCHILD = "great_grandchild", _("之曾孙子女")
    FATHER = "father", _("之父")
    MOTHER = "mother", _("之母")
    GRANDFATHER = "grandfather", _("之祖父")
    GRANDMOTHER = "grandmother", _("之祖母")
    SIBLING = "sibling", _("之兄弟姐妹")
    OTHER = "other", _("其他")


class PoliticalStatus(models.TextChoices):
    MASSES = "masses", _("群众")
    PARTY_MEMBER = "party_member", _("中共党员")
    PROBATIONARY_MEMBER = "probationary_member", _("中共预备党员")
    LEAGUE_MEMBER = "league_member", _("共青团员")
    DEMOCRATIC_PARTY = "democratic_party", _("民主党派")
    OTHER = "other", _("其他")


class Education(models.TextChoices):
    """文化程度."""

    PRESCHOOL = "preschool", _("学龄前儿童")
    ILLITERATE = "illiterate", _("文盲或半文盲")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")
    VOCATIONAL = "vocational", _("中专（中职）")
    COLLEGE = "college", _("大专（高职）")
    BACHELOR = "bachelor", _("本科及以上")


class SchoolStatus(models.TextChoices):
    """在校生情况 (in-school status)."""

    NOT_IN_SCHOOL = "not_in_school", _("非在校生")
    PRESCHOOL = "preschool", _("学前教育")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("普通高中")
    SECONDARY_VOCATIONAL = "secondary_vocational", _("中职")
    HIGHER_VOCATIONAL = "higher_vocational", _("高职（大专）")
    UNDERGRADUATE = "undergraduate", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生及以上")
    HOME_TEACHING = "home_teaching", _("送教上门")
    DROPPED_OUT = "dropped_out", _("失学辍学")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    CHRONIC = "chronic", _("长期慢性病")
    SERIOUS_ILLNESS = "serious_illness", _("患有大病")
    DISABLED = "disabled", _("残疾")


class DisabilityGrade(models.TextChoices):
    GRADE_1 = "1", _("一级")
    GRADE_2 = "2", _("二级")
    GRADE_3 = "3", _("三级")
    GRADE_4 = "4", _("四级")


class LabourCapacity(models.TextChoices):
    """劳动技能 as the national system records it: skill and capacity in one value."""

    SKILLED = "skilled", _("技能劳动力")
    ORDINARY = "ordinary", _("普通劳动力")
    WEAK = "weak", _("弱劳动力或半劳动力")
    LOST = "lost", _("丧失劳动力")
    NONE = "none", _("无劳动力")


class LeftReason(models.TextChoices):
    """Why a member left the household (composition change)."""

    DIED = "died", _("死亡")
    MOVED_OUT = "moved_out", _("户籍迁出")
    MARRIED_OUT = "married_out", _("婚嫁迁出")
    ENLISTED = "enlisted", _("参军")
    DUPLICATE = "duplicate", _("重复登记")
    OTHER = "other", _("其他")


class ProgrammeKind(models.TextChoices):
    """Social-assistance and support programmes, each enrolment with a start and an end."""

    DIBAO = "dibao", _("低保")
    EXTREME_POVERTY_SUPPORT = "extreme_poverty_support", _("特困供养")
    DISABILITY_ALLOWANCES = "disability_allowances", _("残疾人两项补贴")
    RELOCATION = "relocation", _("易地扶贫搬迁")
    PUBLIC_WELFARE_POST = "public_welfare_post", _("公益岗位")
    TEMPORARY_ASSISTANCE = "temporary_assistance", _("临时救助")
    DIBAO_EDGE = "dibao_edge", _("低保边缘")


class WorkPlace(models.TextChoices):
    IN_COUNTY = "in_county", _("县内")
    IN_PROVINCE = "in_province", _("省内县外")
    OUT_OF_PROVINCE = "out_of_province", _("省外")


class WorkChannel(models.TextChoices):
    """就业渠道."""

    ORGANISED = "organised", _("组织化劳务输出")
    SELF_FOUND = "self_found", _("自主就业")
    WORKSHOP = "workshop", _("帮扶车间（社区工厂）")
    PUBLIC_WELFARE_POST = "public_welfare_post", _("公益岗位")
    OTHER = "other", _("其他")


class IncomeComponent(models.TextChoices):
    """Lines of a statement (RULES §3.1). ``EXCLUDED`` lines are recorded but never counted (§3.1: fixed-
    purpose subsidies such as 危房改造补助, one-off help such as 慰问金)."""

    WAGES = "wages", _("工资性收入")
    BUSINESS = "business", _("生产经营性收入")
    PROPERTY = "property", _("财产性收入")
    TRANSFERS = "transfers", _("转移性收入")
    BUSINESS_EXPENDITURE = "business_expenditure", _("生产经营性支出")
    INSURANCE_PAYOUT = "insurance_payout", _("理赔收入")
    COMPLIANT_OUT_OF_POCKET = "compliant_out_of_pocket", _("合规自付支出")
    EXCLUDED = "excluded", _("不计入收入的项目")


class PeriodKind(models.TextChoices):
    CALENDAR_YEAR = "calendar_year", _("自然年度")
    TWELVE_MONTHS = "twelve_months", _("认定前12个月")


class Indicator(models.TextChoices):
    """三保障 + drinking water, observed with a date (RULES §7)."""

    HOUSING_GRADE = "housing_grade", _("住房安全鉴定等级")
    WATER_QUANTITY = "water_quantity", _("饮水水量")
    WATER_QUALITY = "water_quality", _("饮水水质")
    WATER_CONVENIENCE = "water_convenience", _("用水方便程度")
    WATER_GUARANTEE = "water_guarantee", _("供水保证率")
    CHILD_OUT_OF_SCHOOL = "child_out_of_school", _("义务教育阶段适龄儿童少年失学辍学")
    UNINSURED_MEMBER = "uninsured_member", _("有家庭成员未参加基本医疗保险")


class IndicatorValue(models.TextChoices):
    """Housing grades A–D; the other indicators are met (达标/否) or not (不达标/是)."""

    A = "A", _("A级")
    B = "B", _("B级")
    C = "C", _("C级（局部危房）")
    D = "D", _("D级（整幢危房）")
    MET = "met", _("达标（无问题）")
    UNMET = "unmet", _("不达标（有问题）")


INDICATOR_VALUES: dict[str, frozenset[str]] = {
    Indicator.HOUSING_GRADE: frozenset({"A", "B", "C", "D"}),
    **{
        indicator: frozenset({"met", "unmet"})
        for indicator in Indicator
        if indicator != Indicator.HOUSING_GRADE
    },
}
PROBLEM_VALUES = frozenset({"C", "D", "unmet"})


class Source(models.TextChoices):
    """Where a registry fact came from."""

    ENTRY = "entry", _("人工录入")
    IMPORT = "import", _("表格导入")
    DEPARTMENT = "department", _("部门数据")
    VISIT = "visit", _("走访")
    DEMO = "demo", _("演示数据")


# --- querysets -----------------------------------------------------------------------------------------


_M = TypeVar("_M", bound=models.Model)


class RegistryQuerySet(ScopedQuerySet[_M], Generic[_M]):
    """Scoped by the row's own village code. Sector departments do not browse the registry (fail-closed:
    no sector field): their data is matched against it by the datasets services, not by reading pages."""


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    def active(self) -> HouseholdQuerySet:
        return self.filter(status=HouseholdStatus.ACTIVE)


class MemberQuerySet(ScopedQuerySet["Member"]):
    def current(self) -> MemberQuerySet:
        """Members still in their household (not left)."""
        return self.filter(left_on__isnull=True)

    def current_on(self, day: date) -> MemberQuerySet:
        """Members in their household at the end of ``day``: joined on or before it (an unknown join date
        counts as always) and not left by then (leaving on ``day`` itself means gone that evening)."""
        return self.filter(Q(joined_on__isnull=True) | Q(joined_on__lte=day)).filter(
            Q(left_on__isnull=True) | Q(left_on__gt=day)
        )


class ProgrammeQuerySet(ScopedQuerySet["ProgrammeEnrolment"]):
    def active_during(self, start: date, end: date) -> ProgrammeQuerySet:
        """Enrolments that overlap the days ``start``..``end`` (both included)."""
        return self.filter(start_date__lte=end).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))

    def active_on(self, day: date) -> ProgrammeQuerySet:
        return self.active_during(day, day)


# --- households and members ----------------------------------------------------------------------------


class Household(models.Model):
    """户: a registered household of one village."""

    region_code = models.CharField(_("所在村"), max_length=12)
    household_number = models.CharField(
        _("户编号"), max_length=32, blank=True, help_text=_("全国防止返贫监测信息系统中的户编号。")
    )
    natural_village = models.CharField(_("自然村（组）"), max_length=50, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    household_type = models.CharField(
        _("户类型"), max_length=20, choices=HouseholdType.choices, default=HouseholdType.ORDINARY
    )
    is_exited_poor = models.BooleanField(_("是否脱贫户"), default=False)
    relocated = models.BooleanField(_("是否易地扶贫搬迁集中安置"), default=False)
    resettlement_site = models.CharField(_("安置点"), max_length=100, blank=True)
    phone = EncryptedTextField(_("联系电话"), kind="phone", blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    closed_on = models.DateField(_("注销日期"), null=True, blank=True)
    closed_reason = models.CharField(_("注销原因"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ENTRY)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["household_number"],
                condition=~Q(household_number=""),
                name="registry_household_number_unique",
            ),
        ]
        indexes: ClassVar = [
            # keyset pagination inside a scope: (region_code range, id)
            models.Index(fields=["region_code", "id"], name="registry_household_region_id"),
            models.Index(fields=["phone_index"], name="registry_household_phone"),
        ]

    def __str__(self) -> str:
        return self.household_number or f"#{self.pk}"


class Member(models.Model):
    """家庭成员. ``left_on`` set = no longer in the household (the row is kept: history, audit)."""

    household = models.ForeignKey(
        Household, verbose_name=_("农户"), on_delete=models.PROTECT, related_name="members"
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("证件号码"), kind="id_number", blank=True, default="")
    id_number_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    sex = models.CharField(_("性别"), max_length=6, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    relation = models.CharField(_("与户主关系"), max_length=20, choices=Relation.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    political_status = models.CharField(
        _("政治面貌"), max_length=24, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    education = models.CharField(_("文化程度"), max_length=12, choices=Education.choices, blank=True)
    school_status = models.CharField(
        _("在校生情况"), max_length=24, choices=SchoolStatus.choices, default=SchoolStatus.NOT_IN_SCHOOL
    )
    health = models.CharField(_("健康状况"), max_length=16, choices=Health.choices, default=Health.HEALTHY)
    disability_grade = models.CharField(
        _("残疾等级"), max_length=1, choices=DisabilityGrade.choices, blank=True
    )
    labour_capacity = models.CharField(
        _("劳动技能"), max_length=10, choices=LabourCapacity.choices, default=LabourCapacity.ORDINARY
    )
    skill = models.CharField(_("掌握技能"), max_length=50, blank=True)
    resident_medical_insurance = models.BooleanField(_("参加城乡居民基本医疗保险"), default=False)
    employee_medical_insurance = models.BooleanField(_("参加职工基本医疗保险"), default=False)
    critical_illness_insurance = models.BooleanField(_("参加大病保险"), default=False)
    resident_pension = models.BooleanField(_("参加城乡居民基本养老保险"), default=False)
    employee_pension = models.BooleanField(_("参加职工基本养老保险"), default=False)
    joined_on = models.DateField(_("入户日期"), null=True, blank=True)
    left_on = models.DateField(_("离户日期"), null=True, blank=True)
    left_reason = models.CharField(_("离户原因"), max_length=16, choices=LeftReason.choices, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ENTRY)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        constraints: ClassVar = [
            # One person is a current member of at most one household (exact duplicates, issue §5).
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=Q(left_on__isnull=True) & ~Q(id_number_index=""),
                name="registry_member_one_current_household",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(left_on__isnull=True, relation="head"),
                name="registry_member_one_current_head",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["id_number_index"], name="registry_member_id_index"),
            # Name search is a prefix match on current members; varchar_pattern_ops lets PostgreSQL serve
            # ``LIKE '王%'`` from the index under any collation (5.4 s → 0.1 ms at 3.5M members).
            models.Index(
                fields=["name"],
                name="registry_member_current_name",
                opclasses=["varchar_pattern_ops"],
                condition=Q(left_on__isnull=True),
            ),
            models.Index(fields=["region_code", "id"], name="registry_member_region_id"),
            # The duplicate finder's self-join: same birth date, then the town's code range.
            models.Index(fields=["birth_date", "region_code"], name="registry_member_birth_region"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    @property
    def has_basic_medical_insurance(self) -> bool:
        return self.resident_medical_insurance or self.employee_medical_insurance


class HouseholdYear(models.Model):
    """The household's own attributes as they stood in one year (年度), as the national data is
    year-versioned. Written by the import of a year's national export and by the year-close job; members,
    programmes, indicators and income carry their own dates."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="years")
    region_code = models.CharField(_("所在村"), max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    household_type = models.CharField(_("户类型"), max_length=20, choices=HouseholdType.choices)
    is_exited_poor = models.BooleanField(_("是否脱贫户"))
    relocated = models.BooleanField(_("是否易地扶贫搬迁集中安置"))
    size = models.PositiveSmallIntegerField(_("家庭人口数"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    objects = RegistryQuerySet["HouseholdYear"].as_manager()

    class Meta:
        verbose_name = _("农户年度状态")
        verbose_name_plural = _("农户年度状态")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["household", "year"], name="registry_household_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.year}"


# --- programmes, employment ----------------------------------------------------------------------------


class ProgrammeEnrolment(models.Model):
    """A household (or one member) in a programme from ``start_date`` to ``end_date`` (open = ongoing)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="programmes")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="programmes"
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    kind = models.CharField(_("项目"), max_length=32, choices=ProgrammeKind.choices)
    grade = models.CharField(
        _("类别"), max_length=20, blank=True, help_text=_("如低保类别：一类、二类、三类。")
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    monthly_amount = models.DecimalField(
        _("月发放金额（元）"), null=True, blank=True, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ENTRY)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策享受")
        verbose_name_plural = _("政策享受")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="registry_programme_dates_ordered",
            )
        ]
        indexes: ClassVar = [models.Index(fields=["kind", "region_code"], name="registry_programme_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date:%Y-%m-%d}"


class Employment(models.Model):
    """务工: one period of work of one member."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="employments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="employments")
    region_code = models.CharField(_("所在村"), max_length=12)
    employer = models.CharField(_("务工企业名称"), max_length=100, blank=True)
    industry = models.CharField(_("所属行业"), max_length=50, blank=True)
    place = models.CharField(_("务工所在地"), max_length=20, choices=WorkPlace.choices)
    place_detail = models.CharField(_("务工地点"), max_length=100, blank=True)
    channel = models.CharField(_("就业渠道"), max_length=24, choices=WorkChannel.choices)
    start_date = models.DateField(_("开始时间"))
    end_date = models.DateField(_("结束时间"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("务工时间（月）"), null=True, blank=True)
    transport_subsidy = models.DecimalField(
        _("年度交通费补助（元）"), default=ZERO, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ENTRY)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RegistryQuerySet["Employment"].as_manager()

    class Meta:
        verbose_name = _("务工")
        verbose_name_plural = _("务工")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="registry_employment_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_place_display()} {self.start_date:%Y-%m-%d}"


# --- income statements ---------------------------------------------------------------------------------


def _net_income() -> models.Expression:
    total: models.Expression = F("wages") + F("business") + F("property") + F("transfers")
    return total - F("business_expenditure")


def _net_income_per_capita() -> models.Expression:
    """Net income ÷ household size, rounded half away from zero to the fen, the same on both databases.

    Computed in whole fen: SQLite stores decimals with NUMERIC affinity (24000.00 becomes the integer 24000)
    and would divide two integers as integers, and a fraction such as 10.05 is a binary float there, so
    ``round(net / size, 2)`` could land just below a half. ``round(net × 100)`` is an exact integer on both
    databases; dividing that by the size and rounding again gives the same fen as PostgreSQL's numeric."""
    fen = Round(_net_income() * Value(Decimal("100.0")))
    per_capita: models.Expression = Round(fen / F("household_size")) / Value(Decimal("100.0"))
    return per_capita


class IncomeStatement(models.Model):
    """收支情况 of one household over one period (a calendar year, or the 12 months before identification).

    Component totals are the sums of the statement's counted lines (kept by ``services``); net and per-capita
    net income are generated columns of the database, so they can never be typed (RULES §3.1).
    """

    # Indexed by the unique period and by the latest-statement index below.
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="income_statements", db_index=False
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    period_kind = models.CharField(_("统计口径"), max_length=16, choices=PeriodKind.choices)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    household_size = models.PositiveSmallIntegerField(_("家庭人口数"), validators=[MinValueValidator(1)])
    wages = _money(_("工资性收入"))
    business = _money(_("生产经营性收入"))
    property = _money(_("财产性收入"))
    transfers = _money(_("转移性收入"))
    business_expenditure = _money(_("生产经营性支出"))
    insurance_payout = _money(_("理赔收入"))
    compliant_out_of_pocket = _money(_("合规自付支出"))
    net_income = models.GeneratedField(
        verbose_name=_("家庭纯收入"),
        expression=_net_income(),
        output_field=models.DecimalField(max_digits=13, decimal_places=2),
        db_persist=True,
    )
    net_income_per_capita = models.GeneratedField(
        verbose_name=_("家庭人均纯收入"),
        expression=Case(
            When(household_size__gt=0, then=_net_income_per_capita()),
            default=None,
        ),
        output_field=models.DecimalField(max_digits=13, decimal_places=2),
        db_persist=True,
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ENTRY)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = RegistryQuerySet["IncomeStatement"].as_manager()

    class Meta:
        verbose_name = _("收支情况")
        verbose_name_plural = _("收支情况")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["household", "period_start", "period_end"], name="registry_income_period_unique"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="registry_income_period_ordered"
            ),
        ]
        # A household's latest statement up to a day (the screening's income rules, the household page).
        indexes: ClassVar = [models.Index(fields=["household", "period_end"], name="registry_income_latest")]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d}"


class IncomeLine(models.Model):
    """One line of a statement: a component, an item (务工收入, 低保金, 危房改造补助 …), an amount and a note
    (说明). Lines of component ``excluded`` are kept for the record and never counted."""

    statement = models.ForeignKey(IncomeStatement, on_delete=models.CASCADE, related_name="lines")
    region_code = models.CharField(_("所在村"), max_length=12)
    component = models.CharField(_("收支项"), max_length=24, choices=IncomeComponent.choices)
    item = models.CharField(_("明细"), max_length=50, blank=True)
    amount = _money(_("金额（元）"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = RegistryQuerySet["IncomeLine"].as_manager()

    class Meta:
        verbose_name = _("收支明细")
        verbose_name_plural = _("收支明细")

    def __str__(self) -> str:
        return f"{self.get_component_display()} {self.item}"


# --- indicators ----------------------------------------------------------------------------------------


class IndicatorObservation(models.Model):
    """One observation of a 三保障/water indicator for a household on a date; the latest one on or before a
    day is the household's state on that day."""

    # No index of its own: ``registry_indicator_latest`` starts with the household (one index less to keep
    # up to date on each of the millions of rows an import or a demo writes).
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="indicators", db_index=False
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    indicator = models.CharField(_("指标"), max_length=24, choices=Indicator.choices)
    value = models.CharField(_("结果"), max_length=8, choices=IndicatorValue.choices)
    is_problem = models.BooleanField(_("存在问题"))
    observed_on = models.DateField(_("核查日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ENTRY)
    # Not indexed: nothing looks observations up by their recorder; only deleting a user (which PROTECT
    # refuses while any references them) scans for them.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RegistryQuerySet["IndicatorObservation"].as_manager()

    class Meta:
        verbose_name = _("三保障及饮水指标")
        verbose_name_plural = _("三保障及饮水指标")
        indexes: ClassVar = [
            models.Index(fields=["household", "indicator", "observed_on"], name="registry_indicator_latest"),
            models.Index(
                fields=["indicator", "is_problem", "region_code"], name="registry_indicator_problem"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} {self.observed_on:%Y-%m-%d}"


# --- change requests (maker-checker), duplicates, imports ----------------------------------------------


class ChangeKind(models.TextChoices):
    CREATE_HOUSEHOLD = "create_household", _("新增农户")
    UPDATE_HOUSEHOLD = "update_household", _("修改农户信息")
    ADD_MEMBER = "add_member", _("新增家庭成员")
    UPDATE_MEMBER = "update_member", _("修改家庭成员信息")
    REMOVE_MEMBER = "remove_member", _("家庭成员离户")
    SET_INCOME = "set_income", _("修改收支情况")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class ChangeRequest(models.Model):
    """A village user's proposed change (审核制): the town approves — then it is applied by the same service
    as a direct edit — or rejects it with a reason. The payload holds personal data and is encrypted."""

    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    region_code = models.CharField(_("所在村"), max_length=12)
    kind = models.CharField(_("变更类型"), max_length=20, choices=ChangeKind.choices)
    payload = EncryptedTextField(_("变更内容"), kind="change_payload")
    base = EncryptedTextField(
        _("提交时的原值"),
        kind="change_payload",
        blank=True,
        default="",
        help_text=_("用于发现审核前的冲突修改。"),
    )
    reason = models.CharField(_("变更理由"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    objects = RegistryQuerySet["ChangeRequest"].as_manager()

    class Meta:
        verbose_name = _("信息变更申请")
        verbose_name_plural = _("信息变更申请")
        indexes: ClassVar = [models.Index(fields=["status", "region_code"], name="registry_change_inbox")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class DuplicateReason(models.TextChoices):
    SAME_NAME_BIRTH = "same_name_birth", _("同一乡镇内姓名和出生日期相同")
    SIMILAR_NAME = "similar_name", _("姓名拼音相近且出生日期相同")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("待核实")
    NOT_DUPLICATE = "not_duplicate", _("不是同一人")
    SAME_PERSON = "same_person", _("确认为同一人")


class DuplicateCandidate(models.Model):
    """Two members who may be one person, listed for review — never merged automatically. ``region_code`` is
    the town's full code (both members live in that town), so the town and above review it."""

    member_a = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    member_b = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(_("所在乡镇"), max_length=12)
    reason = models.CharField(_("疑似原因"), max_length=20, choices=DuplicateReason.choices)
    score = models.PositiveSmallIntegerField(_("相似度"), default=100)
    status = models.CharField(
        _("状态"), max_length=16, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    review_note = models.CharField(_("核实说明"), max_length=500, blank=True)

    objects = RegistryQuerySet["DuplicateCandidate"].as_manager()

    class Meta:
        verbose_name = _("疑似重复人员")
        verbose_name_plural = _("疑似重复人员")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member_a", "member_b"], name="registry_duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(member_a__lt=F("member_b")), name="registry_duplicate_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_a_id}/{self.member_b_id}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("处理中")
    REJECTED = "rejected", _("校验未通过")
    CHECKED = "checked", _("试导入通过")  # a dry run without errors
    SUCCEEDED = "succeeded", _("导入成功")
    FAILED = "failed", _("系统错误")


class ImportRun(models.Model):
    """A tracked spreadsheet import (CONVENTIONS §25): who, which file, status, located problems, result.

    ``kind`` names the importer (``registry.households`` here; later department datasets and problem
    ledgers use the same table). ``problems`` is a list of ``{"sheet", "row", "column", "level", "message"}``
    with ``level`` ``error`` or ``warning``; any error means nothing was written.
    """

    kind = models.CharField(_("导入类型"), max_length=40)
    region_code = models.CharField(_("导入范围"), max_length=12)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64)
    stored_file = models.CharField(_("存储路径"), max_length=255, blank=True)
    dry_run = models.BooleanField(_("仅校验"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    problems = models.JSONField(_("问题"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    warning_count = models.PositiveIntegerField(_("警告数"), default=0)
    summary = models.JSONField(_("结果"), default=dict, blank=True)
    errors_file = models.CharField(_("标注问题的工作簿"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = RegistryQuerySet["ImportRun"].as_manager()

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        indexes: ClassVar = [
            models.Index(fields=["kind", "region_code", "-id"], name="registry_importrun_list")
        ]

    def __str__(self) -> str:
        return self.file_name
