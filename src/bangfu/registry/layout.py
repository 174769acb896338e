"""The national household layout (the 全国防止返贫监测信息系统 export): one row per member.

One declarative list of columns serves the import and the export, so a file written by
``bangfu export-households`` reads back through ``bangfu import-households`` unchanged. Each column has a key
(the model field name where there is one), the header the exporter writes, the other headers clerks and
provincial systems use for the same thing (RULES §3.4, §12.3), its level (``household``: the same value on
every row of a household, often only on the first row of a vertically merged cell; ``member``: one value per
row), a parser turning what a clerk typed into the stored value, and a formatter for the export.

Enumerated values are accepted in the spellings seen in real files (户主/本人, 配偶/妻/夫, 是/否/√/1/0 …);
each map is keyed by the text after ``cellvalues.normalize_text`` (NFKC, spaces removed), so full-width
brackets and stray spaces match too. The model's own label is always one of the spellings, which is what
makes the export round trip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.core import cellvalues, idnumbers
from bangfu.registry.models import (
    ZERO,
    DisabilityGrade,
    Education,
    Health,
    HouseholdType,
    IncomeComponent,
    Indicator,
    IndicatorValue,
    LabourCapacity,
    PoliticalStatus,
    Relation,
    SchoolStatus,
    Sex,
    WorkChannel,
    WorkPlace,
)

Level = Literal["household", "member"]
YES, NO = "是", "否"


# --- spellings of enumerated values -------------------------------------------------------------------------


def spellings(choices: type[models.TextChoices], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Accepted spelling (normalised) -> stored code: the code itself, the model's label, and ``extra``."""
    accepted: dict[str, str] = {}
    for value, label in choices.choices:
        accepted[cellvalues.normalize_text(str(value))] = value
        accepted[cellvalues.normalize_text(str(label))] = value
    for text, value in (extra or {}).items():
        accepted[cellvalues.normalize_text(text)] = value
    return accepted


def _each(value: str, *texts: str) -> dict[str, str]:
    return dict.fromkeys(texts, value)


SEX = spellings(Sex, {"男性": Sex.MALE, "女性": Sex.FEMALE, "1": Sex.MALE, "2": Sex.FEMALE})
RELATION = spellings(
    Relation,
    {
        **_each(Relation.HEAD, "本人", "户主本人", "户主（本人）"),
        **_each(Relation.SPOUSE, "妻", "妻子", "夫", "丈夫", "之妻", "之夫", "爱人"),
        **_each(Relation.SON, "子", "儿子", "长子", "次子", "三子", "四子", "独子", "养子", "继子"),
        **_each(Relation.DAUGHTER, "女", "女儿", "长女", "次女", "三女", "四女", "独女", "养女", "继女"),
        **_each(Relation.DAUGHTER_IN_LAW, "儿媳", "媳", "之媳", "儿媳妇"),
        **_each(Relation.SON_IN_LAW, "女婿", "之婿"),
        **_each(Relation.GRANDSON, "孙子", "孙", "外孙", "外孙子", "之外孙子"),
        **_each(Relation.GRANDDAUGHTER, "孙女", "外孙女", "之外孙女"),
        **_each(Relation.GREAT_GRANDCHILD, "曾孙", "曾孙子", "曾孙女", "曾孙子女", "之曾孙", "之曾孙女"),
        **_each(Relation.FATHER, "父", "父亲", "之父亲"),
        **_each(Relation.MOTHER, "母", "母亲", "之母亲"),
        **_each(Relation.GRANDFATHER, "祖父", "爷爷", "外祖父"),
        **_each(Relation.GRANDMOTHER, "祖母", "奶奶", "外祖母"),
        **_each(
            Relation.SIBLING,
            *("兄", "弟", "姐", "妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹"),
            *("之兄", "之弟", "之姐", "之妹", "兄弟姐妹"),
        ),
        **_each(Relation.OTHER, "其它", "其他亲属", "其他关系"),
    },
)
HOUSEHOLD_TYPE = spellings(
    HouseholdType,
    {
        **_each(HouseholdType.ORDINARY, "一般户", "普通农户", "一般农户（非贫困户）", "非贫困户"),
        **_each(HouseholdType.EXITED_POOR, "脱贫户（已脱贫）", "已脱贫户", "建档立卡脱贫户"),
        **_each(HouseholdType.DIBAO, "低保", "农村低保户"),
        **_each(HouseholdType.EXTREME_POVERTY, "特困户", "特困供养", "五保户", "分散供养特困户"),
    },
)
POLITICAL_STATUS = spellings(
    PoliticalStatus,
    {
        **_each(PoliticalStatus.MASSES, "普通群众", "无"),
        **_each(PoliticalStatus.PARTY_MEMBER, "党员", "共产党员", "中国共产党党员"),
        **_each(PoliticalStatus.PROBATIONARY_MEMBER, "预备党员", "中共预备党员"),
        **_each(PoliticalStatus.LEAGUE_MEMBER, "团员", "共青团员", "中国共产主义青年团团员"),
        **_each(PoliticalStatus.DEMOCRATIC_PARTY, "民主党派成员"),
        **_each(PoliticalStatus.OTHER, "无党派人士", "其它"),
    },
)
EDUCATION = spellings(
    Education,
    {
        **_each(Education.PRESCHOOL, "学龄前", "学前"),
        **_each(Education.ILLITERATE, "文盲", "半文盲", "文盲半文盲", "文盲或半文盲"),
        **_each(Education.PRIMARY, "小学文化", "小学毕业"),
        **_each(Education.JUNIOR, "初中文化", "初中毕业"),
        **_each(Education.SENIOR, "高中文化", "高中毕业"),
        **_each(Education.VOCATIONAL, "中专", "中职", "技校", "中专中职"),
        **_each(Education.COLLEGE, "大专", "高职", "大专高职"),
        **_each(Education.BACHELOR, "本科", "大学本科", "研究生", "硕士", "博士", "研究生及以上"),
    },
)
SCHOOL_STATUS = spellings(
    SchoolStatus,
    {
        **_each(SchoolStatus.NOT_IN_SCHOOL, "否", "无", "不在校", "非在校", "非在校学生"),
        **_each(SchoolStatus.PRESCHOOL, "学前", "学前班", "幼儿园", "在校生（学前教育）"),
        **_each(SchoolStatus.PRIMARY, "小学在读", "在校生（小学）", "小学生"),
        **_each(SchoolStatus.JUNIOR, "初中在读", "在校生（初中）", "初中生"),
        **_each(SchoolStatus.SENIOR, "高中", "高中在读", "在校生（高中）"),
        **_each(SchoolStatus.SECONDARY_VOCATIONAL, "中专", "中职在读", "在校生（中职）"),
        **_each(SchoolStatus.HIGHER_VOCATIONAL, "高职", "大专", "高职高专", "在校生（高职）"),
        **_each(SchoolStatus.UNDERGRADUATE, "本科在读", "大学本科", "在校生（本科）"),
        **_each(SchoolStatus.POSTGRADUATE, "研究生", "硕士", "博士"),
        **_each(SchoolStatus.DROPPED_OUT, "辍学", "失学", "失学或辍学"),
    },
)
HEALTH = spellings(
    Health,
    {
        **_each(Health.CHRONIC, "慢性病", "长期慢性病患者"),
        **_each(Health.SERIOUS_ILLNESS, "大病", "重病", "患大病"),
        **_each(Health.DISABLED, "残疾人"),
    },
)
DISABILITY_GRADE = spellings(
    DisabilityGrade,
    {
        **{f"{number}级": grade for number, grade in zip("1234", DisabilityGrade.values, strict=True)},
        **{f"{label}残疾": grade for label, grade in zip("一二三四", DisabilityGrade.values, strict=True)},
        **dict(zip("一二三四", DisabilityGrade.values, strict=True)),
    },
)
LABOUR_CAPACITY = spellings(
    LabourCapacity,
    {
        **_each(LabourCapacity.SKILLED, "技能劳动力（有技能）"),
        **_each(LabourCapacity.WEAK, "弱劳动力", "半劳动力"),
        **_each(LabourCapacity.LOST, "丧失劳动能力"),
        **_each(LabourCapacity.NONE, "无劳动能力"),
    },
)
WORK_PLACE = spellings(
    WorkPlace,
    {
        **_each(WorkPlace.IN_COUNTY, "本县", "县内务工", "乡内", "县内乡外"),
        **_each(WorkPlace.IN_PROVINCE, "县外省内", "省内", "省内务工", "市内县外", "省内市外"),
        **_each(WorkPlace.OUT_OF_PROVINCE, "省外务工", "外省", "境外"),
    },
)
WORK_CHANNEL = spellings(
    WorkChannel,
    {
        **_each(WorkChannel.ORGANISED, "组织化", "组织输出", "劳务输出", "组织化输出"),
        **_each(WorkChannel.SELF_FOUND, "自主", "自主务工", "自谋职业", "自行就业"),
        **_each(WorkChannel.WORKSHOP, "帮扶车间", "社区工厂", "就业帮扶车间"),
        **_each(WorkChannel.PUBLIC_WELFARE_POST, "公益性岗位", "公益岗"),
        **_each(WorkChannel.OTHER, "其它"),
    },
)
HOUSING_GRADE = spellings(
    IndicatorValue,
    {
        **{f"{grade}级": grade for grade in "ABCD"},
        **{grade.lower(): grade for grade in "ABCD"},
        **{f"{grade.lower()}级": grade for grade in "ABCD"},
    },
)
MET = {
    cellvalues.normalize_text(text): value
    for text, value in {
        "达标": IndicatorValue.MET,
        "不达标": IndicatorValue.UNMET,
        "合格": IndicatorValue.MET,
        "不合格": IndicatorValue.UNMET,
        "安全": IndicatorValue.MET,
        "不安全": IndicatorValue.UNMET,
    }.items()
}


# --- parsers: what a clerk typed -> the stored value --------------------------------------------------------


def _text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        return cellvalues.parse_text(value, max_length=max_length) or ""

    return parse


def _code(label: Any, max_length: int) -> Callable[[Any], str]:
    """Digits that identify (户编号, 行政区划代码): kept exactly, or refused when Excel rounded them."""

    def parse(value: Any) -> str:
        code = cellvalues.parse_code(value, label=label) or ""
        if len(code) > max_length:
            raise cellvalues.CellError(
                _("%(label)s过长：最多%(max)d位，实际%(length)d位")
                % {"label": label, "max": max_length, "length": len(code)}
            )
        return code

    return parse


# Lazy: only a message needs the text, and a cell parser runs for every row of a large file.
ID_NUMBER_LABEL = gettext_lazy("证件号码")


def parse_id_number(value: Any) -> str:
    """An ID number as typed, normalised (full-width digits, x -> X); ``check_member`` validates it."""
    # A lazy label is a str where it is used (in a message); parse_code is typed for plain str.
    number = idnumbers.normalize(cellvalues.parse_code(value, label=ID_NUMBER_LABEL) or "")  # type: ignore[arg-type]
    cellvalues.refuse_masked(number, shape=cellvalues.MASKED_ID_NUMBER, label=_("身份证号码"))
    return number


def _choice(choices: Mapping[str, str], *, default: str = "") -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        parsed = cellvalues.parse_choice(value, choices)
        return default if parsed is None else parsed

    return parse


def _flag(value: Any) -> bool:
    return bool(cellvalues.parse_bool(value))


def _money(value: Any) -> Decimal | None:
    return cellvalues.parse_decimal(value, places=2, minimum=ZERO)


def _signed_money(value: Any) -> Decimal | None:
    # 家庭纯收入 may be negative (business expenditure above income); it is only checked, never stored.
    return cellvalues.parse_decimal(value, places=2, minimum=Decimal("-Infinity"), max_digits=13)


def _bounded_int(low: int, high: int, *units: str) -> Callable[[Any], int | None]:
    def parse(value: Any) -> int | None:
        return cellvalues.parse_int(value, minimum=low, maximum=high, units=units)

    return parse


def _date(value: Any) -> dt.date | None:
    return cellvalues.parse_date(value)


def _phone(value: Any) -> str:
    return cellvalues.parse_phone(value) or ""


def _housing_grade(value: Any) -> str:
    parsed = cellvalues.parse_choice(value, HOUSING_GRADE)
    if parsed is not None and parsed not in "ABCD":
        raise cellvalues.CellError(_("住房安全鉴定等级只能是A、B、C、D级"))
    return parsed or ""


def _met(value: Any) -> str:
    """达标/不达标, or 是/否 for a column that asks whether the standard is met."""
    text = cellvalues.normalize_text(value) if isinstance(value, str) else ""
    if text in MET:
        return MET[text]
    flag = cellvalues.parse_bool(value)
    if flag is None:
        return ""
    return IndicatorValue.MET if flag else IndicatorValue.UNMET


def _problem(value: Any) -> str:
    """是/否 for a column that asks whether there IS a problem (失学辍学, 未参保): 是 = not met."""
    flag = cellvalues.parse_bool(value)
    if flag is None:
        return ""
    return IndicatorValue.UNMET if flag else IndicatorValue.MET


def _ethnicity(value: Any) -> str:
    text = cellvalues.normalize_text(_text(20)(value))
    # "汉" and "汉族" are the same people; the registry stores the full name.
    return f"{text}族" if text and not text.endswith("族") and len(text) <= 3 else text


# --- formatters for the export ------------------------------------------------------------------------------


def _label(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    labels = {str(value): str(label) for value, label in choices.choices}
    return lambda value: labels.get(str(value), "") if value else ""


def _yes_no(value: Any) -> str:
    return YES if value else NO


def _plain(value: Any) -> Any:
    return "" if value is None else value


def _amount(value: Any) -> Any:
    # Written as numbers so that sums work in Excel; two decimals are exact in a binary float up to 10^13.
    return "" if value is None else float(value)


def _met_yes_no(value: Any) -> str:
    return "" if not value else (YES if value == IndicatorValue.MET else NO)


def _problem_yes_no(value: Any) -> str:
    return "" if not value else (YES if value == IndicatorValue.UNMET else NO)


# --- the columns --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutColumn:
    """One column of the layout; see the module docstring."""

    key: str
    header: str
    level: Level
    parse: Callable[[Any], Any]
    synonyms: tuple[str, ...] = ()
    required: bool = False
    # Parsing is memoised per distinct cell value, except for columns whose values are nearly all different.
    cached: bool = True
    export: Callable[[Any], Any] = _plain

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.synonyms)


def _column(
    key: str,
    header: str,
    level: Level,
    parse: Callable[[Any], Any],
    *synonyms: str,
    required: bool = False,
    cached: bool = True,
    export: Callable[[Any], Any] = _plain,
) -> LayoutColumn:
    return LayoutColumn(key, header, level, parse, tuple(synonyms), required, cached, export)


H: Level = "household"
M: Level = "member"

COLUMNS: tuple[LayoutColumn, ...] = (
    # where the household lives: the village by its code, or by its names
    _column(
        "county_name", "县（市、区）", H, _text(100), "县", "县区", "区县", "县（区）", "县市区", "所在县"
    ),
    _column(
        "town_name", "乡（镇）", H, _text(100), "乡镇", "乡镇（街道）", "乡（镇、街道）", "镇", "所在乡镇"
    ),
    _column("village_name", "行政村", H, _text(100), "村", "村（社区）", "村名", "村名称", "所在村"),
    _column(
        "region_code",
        "行政区划代码",
        H,
        _code(gettext_lazy("行政区划代码"), 12),
        "区划代码",
        "村代码",
        "统计用区划代码",
        "村级区划代码",
    ),
    _column("household_number", "户编号", H, _code(gettext_lazy("户编号"), 32), "户码", "户号", "家庭编号"),
    _column("natural_village", "自然村（组）", H, _text(50), "自然村", "组", "村民小组", "自然村组"),
    _column("address", "住址", H, _text(200), "家庭住址", "详细地址", "地址", "家庭地址", cached=False),
    _column(
        "household_type",
        "户类型",
        H,
        _choice(HOUSEHOLD_TYPE, default=HouseholdType.ORDINARY),
        "农户类型",
        "户属性",
        export=_label(HouseholdType),
    ),
    _column("is_exited_poor", "是否脱贫户", H, _flag, "脱贫户", export=_yes_no),
    _column(
        "relocated",
        "是否易地扶贫搬迁",
        H,
        _flag,
        "是否易地扶贫搬迁户",
        "易地扶贫搬迁",
        "是否易地搬迁户",
        "是否易地扶贫搬迁集中安置",
        "是否在易地扶贫搬迁集中安置点",
        export=_yes_no,
    ),
    _column(
        "resettlement_site",
        "安置点",
        H,
        _text(100),
        "安置点名称",
        "集中安置点",
        "安置区",
        "易地扶贫搬迁安置点",
    ),
    _column(
        "phone", "联系电话", H, _phone, "电话", "电话号码", "手机号码", "手机号", "联系方式", "户主联系电话"
    ),
    _column(
        "household_size",
        "家庭人口数",
        H,
        _bounded_int(1, 99, "人", "口"),
        "家庭人口",
        "人口数",
        "家庭人数",
        "户人口数",
    ),
    _column("year", "年度", H, _bounded_int(2000, 2100, "年"), "年份", "统计年度", "数据年度"),
    _column("checked_on", "核查日期", H, _date, "核实日期", "采集日期", "调查日期", "入户核查日期"),
    # the members
    _column("name", "姓名", M, _text(50), "成员姓名", "家庭成员姓名", required=True, cached=False),
    _column(
        "id_number",
        "证件号码",
        M,
        parse_id_number,
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "证件号",
        "身份证件号码",
        required=True,
        cached=False,
    ),
    _column("sex", "性别", M, _choice(SEX), export=_label(Sex)),
    _column("birth_date", "出生日期", M, _date, "出生年月日", "出生年月"),
    _column(
        "relation",
        "与户主关系",
        M,
        _choice(RELATION),
        "与户主的关系",
        "家庭关系",
        "关系",
        required=True,
        export=_label(Relation),
    ),
    _column("ethnicity", "民族", M, _ethnicity),
    _column(
        "political_status",
        "政治面貌",
        M,
        _choice(POLITICAL_STATUS, default=PoliticalStatus.MASSES),
        export=_label(PoliticalStatus),
    ),
    _column("education", "文化程度", M, _choice(EDUCATION), "学历", export=_label(Education)),
    _column(
        "school_status",
        "在校生情况",
        M,
        _choice(SCHOOL_STATUS, default=SchoolStatus.NOT_IN_SCHOOL),
        "在校生状况",
        "在校情况",
        "在校生",
        export=_label(SchoolStatus),
    ),
    _column("health", "健康状况", M, _choice(HEALTH, default=Health.HEALTHY), export=_label(Health)),
    _column(
        "disability_grade",
        "残疾等级",
        M,
        _choice(DISABILITY_GRADE),
        "残疾级别",
        export=_label(DisabilityGrade),
    ),
    _column(
        "labour_capacity",
        "劳动技能",
        M,
        _choice(LABOUR_CAPACITY, default=LabourCapacity.ORDINARY),
        "劳动能力",
        export=_label(LabourCapacity),
    ),
    _column(
        "resident_medical_insurance",
        "是否参加城乡居民基本医疗保险",
        M,
        _flag,
        "参加城乡居民基本医疗保险",
        "城乡居民基本医疗保险",
        "居民医保",
        export=_yes_no,
    ),
    _column(
        "employee_medical_insurance",
        "是否参加职工基本医疗保险",
        M,
        _flag,
        "参加职工基本医疗保险",
        "职工基本医疗保险",
        "职工医保",
        export=_yes_no,
    ),
    _column(
        "critical_illness_insurance", "是否参加大病保险", M, _flag, "参加大病保险", "大病保险", export=_yes_no
    ),
    _column(
        "resident_pension",
        "是否参加城乡居民基本养老保险",
        M,
        _flag,
        "参加城乡居民基本养老保险",
        "城乡居民基本养老保险",
        "居民养老保险",
        export=_yes_no,
    ),
    _column(
        "employee_pension",
        "是否参加职工基本养老保险",
        M,
        _flag,
        "参加职工基本养老保险",
        "职工基本养老保险",
        "职工养老保险",
        export=_yes_no,
    ),
    # programmes of the member
    _column(
        "dibao", "享受低保政策情况", M, _flag, "是否享受低保", "享受低保", "是否低保", "低保", export=_yes_no
    ),
    _column("dibao_grade", "低保类别", M, _text(20), "低保类型", "低保档次"),
    _column(
        "extreme_poverty_support",
        "享受特困供养政策情况",
        M,
        _flag,
        "是否享受特困供养",
        "享受特困供养",
        "是否特困供养",
        "特困供养",
        export=_yes_no,
    ),
    # the member's work (务工)
    _column(
        "work_place", "务工所在地", M, _choice(WORK_PLACE), "务工地域", "务工区域", export=_label(WorkPlace)
    ),
    _column("work_place_detail", "务工地址", M, _text(100), "务工详细地址", "具体务工地点"),
    _column("work_started_on", "务工开始时间", M, _date, "务工开始日期"),
    _column(
        "work_months",
        "务工时间（月）",
        M,
        _bounded_int(0, 12, "个月", "月"),
        "务工时间",
        "务工时长（月）",
        "务工时长",
        "务工月数",
    ),
    _column("employer", "务工企业名称", M, _text(100), "务工单位", "就业单位", "务工单位名称"),
    _column("industry", "所属行业", M, _text(50), "务工行业"),
    _column("work_channel", "就业渠道", M, _choice(WORK_CHANNEL), "务工渠道", export=_label(WorkChannel)),
    _column(
        "transport_subsidy",
        "年度交通费补助（元）",
        M,
        _money,
        "年度交通费补助",
        "交通费补助",
        "年度交通补助",
        export=_amount,
    ),
    # income and expenditure of the household over the year (收支情况)
    _column("wages", "工资性收入（元）", H, _money, "工资性收入", export=_amount),
    _column("business", "生产经营性收入（元）", H, _money, "生产经营性收入", "经营性收入", export=_amount),
    _column("property", "财产性收入（元）", H, _money, "财产性收入", export=_amount),
    _column("transfers", "转移性收入（元）", H, _money, "转移性收入", export=_amount),
    _column(
        "business_expenditure",
        "生产经营性支出（元）",
        H,
        _money,
        "生产经营性支出",
        "经营性支出",
        export=_amount,
    ),
    _column(
        "net_income",
        "家庭纯收入（元）",
        H,
        _signed_money,
        "家庭纯收入",
        "纯收入",
        "家庭年纯收入",
        export=_amount,
    ),
    _column(
        "net_income_per_capita",
        "人均纯收入（元）",
        H,
        _signed_money,
        "人均纯收入",
        "家庭人均纯收入",
        "家庭人均纯收入（元）",
        "年人均纯收入",
        export=_amount,
    ),
    _column("insurance_payout", "理赔收入（元）", H, _money, "理赔收入", "家庭理赔收入", export=_amount),
    _column("compliant_out_of_pocket", "合规自付支出（元）", H, _money, "合规自付支出", export=_amount),
    _column("income_note", "收入说明", H, _text(200), "说明", "收支说明", "收入备注"),
    # 三保障 and drinking water (RULES §7)
    _column(
        "housing_grade",
        "住房安全鉴定等级",
        H,
        _housing_grade,
        "危房等级",
        "住房鉴定等级",
        "房屋安全鉴定等级",
        "房屋鉴定等级",
    ),
    _column(
        "housing_problem",
        "住房出现安全问题",
        H,
        _flag,
        "住房是否出现安全问题",
        "是否存在住房安全问题",
        export=_yes_no,
    ),
    _column(
        "water_problem",
        "饮水出现安全问题",
        H,
        _flag,
        "饮水是否出现安全问题",
        "是否存在饮水安全问题",
        export=_yes_no,
    ),
    _column(
        "water_quantity", "饮水水量达标", H, _met, "水量是否达标", "水量达标", "饮水水量", export=_met_yes_no
    ),
    _column(
        "water_quality", "饮水水质达标", H, _met, "水质是否达标", "水质达标", "饮水水质", export=_met_yes_no
    ),
    _column(
        "water_convenience",
        "用水方便程度达标",
        H,
        _met,
        "用水方便程度是否达标",
        "用水方便程度",
        export=_met_yes_no,
    ),
    _column(
        "water_guarantee", "供水保证率达标", H, _met, "供水保证率是否达标", "供水保证率", export=_met_yes_no
    ),
    _column(
        "child_out_of_school",
        "义务教育阶段适龄儿童少年失学辍学",
        H,
        _problem,
        "是否有义务教育阶段适龄儿童少年失学辍学",
        "失学辍学",
        "有失学辍学",
        export=_problem_yes_no,
    ),
    _column(
        "uninsured_member",
        "有家庭成员未参加基本医疗保险",
        H,
        _problem,
        "是否有家庭成员未参加基本医疗保险",
        "未参加基本医疗保险",
        export=_problem_yes_no,
    ),
)

BY_KEY: dict[str, LayoutColumn] = {column.key: column for column in COLUMNS}
HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(column.key for column in COLUMNS if column.required)
# Digits that are identifiers: written and formatted as text so that Excel never rounds them.
TEXT_KEYS: tuple[str, ...] = ("region_code", "household_number", "phone", "id_number")

# Which keys hold what (model field names where a key is one).
REGION_KEYS = ("county_name", "town_name", "village_name", "region_code")
HOUSEHOLD_FIELDS = (
    "household_number",
    "natural_village",
    "address",
    "household_type",
    "is_exited_poor",
    "relocated",
    "resettlement_site",
    "phone",
)
MEMBER_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "relation",
    "ethnicity",
    "political_status",
    "education",
    "school_status",
    "health",
    "disability_grade",
    "labour_capacity",
    "resident_medical_insurance",
    "employee_medical_insurance",
    "critical_illness_insurance",
    "resident_pension",
    "employee_pension",
)
PROGRAMME_KEYS = ("dibao", "dibao_grade", "extreme_poverty_support")
EMPLOYMENT_KEYS = (
    "work_place",
    "work_place_detail",
    "work_started_on",
    "work_months",
    "employer",
    "industry",
    "work_channel",
    "transport_subsidy",
)
# Employment key -> Employment field.
EMPLOYMENT_FIELDS = {
    "work_place": "place",
    "work_place_detail": "place_detail",
    "work_started_on": "start_date",
    "work_months": "months",
    "employer": "employer",
    "industry": "industry",
    "work_channel": "channel",
    "transport_subsidy": "transport_subsidy",
}
# Income key -> the statement line's component (each typed one becomes a line; RULES §3.1).
INCOME_COMPONENTS: dict[str, str] = {
    "wages": IncomeComponent.WAGES,
    "business": IncomeComponent.BUSINESS,
    "property": IncomeComponent.PROPERTY,
    "transfers": IncomeComponent.TRANSFERS,
    "business_expenditure": IncomeComponent.BUSINESS_EXPENDITURE,
    "insurance_payout": IncomeComponent.INSURANCE_PAYOUT,
    "compliant_out_of_pocket": IncomeComponent.COMPLIANT_OUT_OF_POCKET,
}
# Typed but never stored: checked against the figures computed from the components.
COMPUTED_KEYS = ("net_income", "net_income_per_capita")
INDICATOR_KEYS: dict[str, str] = {
    "housing_grade": Indicator.HOUSING_GRADE,
    "water_quantity": Indicator.WATER_QUANTITY,
    "water_quality": Indicator.WATER_QUALITY,
    "water_convenience": Indicator.WATER_CONVENIENCE,
    "water_guarantee": Indicator.WATER_GUARANTEE,
    "child_out_of_school": Indicator.CHILD_OUT_OF_SCHOOL,
    "uninsured_member": Indicator.UNINSURED_MEMBER,
}
WATER_KEYS = ("water_quantity", "water_quality", "water_convenience", "water_guarantee")


def column_synonyms(keys: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Key -> accepted headers, as ``spreadsheets.read_table`` takes them."""
    wanted = set(keys) if keys is not None else None
    return {c.key: c.headers for c in COLUMNS if wanted is None or c.key in wanted}
