"""The columns of each kind of department file, and which typed field of ``DatasetRecord`` each one fills.

Every kind has the person (姓名, 证件号码) and optionally a note; the rest is the kind's own facts (RULES
§5.2): the out-of-pocket amount of a hospital stay, a 低保 grant's class and dates, a housing safety grade,
a school-roll status, a disaster loss, a disability grade, a death, an unemployment or contribution gap, an
asset found by the information comparison. Header names are matched with the synonyms clerks use; code
values in the spellings seen in real files. Columns are declared once here and read by the importer, the
screening rules' catalogue and the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from bangfu.core import cellvalues
from bangfu.datasets.models import DatasetKind


@dataclass(frozen=True)
class Column:
    """A column of a department file: the record field it fills, its header names (the first is the one
    shown in messages and templates), whether it must be present and filled, and how a cell is read."""

    field: str
    headers: tuple[str, ...]
    parse: Callable[[Any], Any]
    required: bool = False

    @property
    def label(self) -> str:
        return self.headers[0]


class _Choice:
    """Reads a coded cell: any of the spellings, or the code itself. ``codes`` (code → the first spelling)
    is what a rule may compare the field with."""

    def __init__(self, spellings: Mapping[str, str]) -> None:
        self.spellings = spellings
        self.accepted = {cellvalues.normalize_text(text): code for text, code in spellings.items()}
        self.accepted.update({cellvalues.normalize_text(code): code for code in spellings.values()})
        self.codes: dict[str, str] = {}
        for text, code in spellings.items():
            self.codes.setdefault(code, text)

    def __call__(self, value: Any) -> str | None:
        code = cellvalues.parse_choice(value, self.accepted)
        if code is None and not cellvalues.is_blank(value):
            raise cellvalues.CellError(
                _("无法识别的值：%(value)s（可填：%(allowed)s）")
                % {"value": cellvalues.cell_text(value), "allowed": "、".join(dict.fromkeys(self.spellings))}
            )
        return code


def _choice(spellings: Mapping[str, str]) -> _Choice:
    return _Choice(spellings)


def _amount(value: Any) -> Decimal | None:
    return cellvalues.parse_decimal(value, max_digits=14)


def _text(limit: int) -> Callable[[Any], str | None]:
    return lambda value: cellvalues.parse_text(value, max_length=limit)


def _id_number(value: Any) -> str | None:
    return cellvalues.parse_code(value)


PERSON = (
    Column("name", ("姓名", "患者姓名", "人员姓名", "户主姓名", "学生姓名", "死者姓名"), _text(50)),
    Column(
        "id_number",
        ("证件号码", "身份证号", "身份证号码", "公民身份号码", "证件号", "身份证件号码"),
        _id_number,
        required=True,
    ),
    Column("note", ("备注", "说明"), _text(200)),
)

ASSISTANCE_CATEGORIES = {"低保": "dibao", "特困": "tekun", "特困供养": "tekun", "低保边缘": "dibao_edge"}
DIBAO_GRADES = {"一类": "1", "二类": "2", "三类": "3", "四类": "4", "A类": "1", "B类": "2", "C类": "3"}
HOUSING_GRADES = {"A级": "A", "B级": "B", "C级": "C", "D级": "D"}
SCHOOL_STATUSES = {
    "在校": "enrolled",
    "在读": "enrolled",
    "疑似辍学": "suspected_dropout",
    "辍学": "dropout",
    "休学": "suspended",
    "送教上门": "home_taught",
    "未入学": "not_enrolled",
}
DISASTER_TYPES = {
    "洪涝": "flood",
    "地质灾害": "geological",
    "地质": "geological",
    "旱灾": "drought",
    "生物灾害": "biological",
    "气象灾害": "weather",
    "地震": "earthquake",
    "火灾": "fire",
    "其他": "other",
}
DISABILITY_CATEGORIES = {
    "视力残疾": "visual",
    "听力残疾": "hearing",
    "言语残疾": "speech",
    "肢体残疾": "physical",
    "智力残疾": "intellectual",
    "精神残疾": "mental",
    "多重残疾": "multiple",
}
DISABILITY_GRADES = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}
DEATH_SOURCES = {"户籍注销": "deregistered", "火化": "cremation", "死亡证明": "certificate", "其他": "other"}
EMPLOYMENT_STATUSES = {
    "失业登记": "unemployed",
    "失业": "unemployed",
    "社保断缴": "contribution_gap",
    "断缴": "contribution_gap",
    "返乡": "returned",
}
ASSET_TYPES = {
    "车辆": "vehicle",
    "机动车": "vehicle",
    "房产": "property",
    "商品房": "property",
    "工商注册": "business",
    "市场主体": "business",
    "财政供养": "public_payroll",
    "公职人员": "public_payroll",
}

LAYOUTS: dict[str, tuple[Column, ...]] = {
    DatasetKind.MEDICAL: (
        Column("start_date", ("入院日期", "入院时间"), cellvalues.parse_date),
        Column("event_date", ("出院日期", "出院时间", "结算日期"), cellvalues.parse_date, required=True),
        Column("total_amount", ("医疗总费用", "总费用", "住院总费用"), _amount),
        Column(
            "amount",
            ("个人自付", "自付金额", "个人负担", "合规自付", "经三重保障后个人自付"),
            _amount,
            required=True,
        ),
        Column("text", ("医疗机构", "医院名称", "就诊机构"), _text(100)),
    ),
    DatasetKind.ASSISTANCE: (
        Column(
            "category", ("救助类别", "保障类别", "对象类别"), _choice(ASSISTANCE_CATEGORIES), required=True
        ),
        Column("grade", ("低保类别", "保障等级", "类别等级"), _choice(DIBAO_GRADES)),
        Column(
            "start_date",
            ("批准日期", "开始日期", "纳入日期", "开始享受日期"),
            cellvalues.parse_date,
            required=True,
        ),
        Column("end_date", ("停发日期", "退出日期", "截止日期"), cellvalues.parse_date),
        Column("amount", ("月保障金", "月救助金额", "保障金额"), _amount),
    ),
    DatasetKind.HOUSING: (
        Column("grade", ("鉴定等级", "房屋等级", "安全等级"), _choice(HOUSING_GRADES), required=True),
        Column("event_date", ("鉴定日期", "评定日期"), cellvalues.parse_date, required=True),
        Column("text", ("鉴定单位",), _text(100)),
    ),
    DatasetKind.SCHOOL: (
        Column("category", ("学籍状态", "在校状态", "就学状态"), _choice(SCHOOL_STATUSES), required=True),
        Column("event_date", ("核查日期", "比对日期", "报告日期"), cellvalues.parse_date, required=True),
        Column("text", ("学校", "学校名称", "就读学校"), _text(100)),
    ),
    DatasetKind.DISASTER: (
        Column("category", ("灾害类型", "灾种"), _choice(DISASTER_TYPES), required=True),
        Column("event_date", ("受灾日期", "灾害发生日期", "发生日期"), cellvalues.parse_date, required=True),
        Column("amount", ("损失金额", "直接经济损失", "经济损失"), _amount),
    ),
    DatasetKind.DISABILITY: (
        Column("category", ("残疾类别", "残疾类型"), _choice(DISABILITY_CATEGORIES), required=True),
        Column("grade", ("残疾等级",), _choice(DISABILITY_GRADES), required=True),
        Column("event_date", ("发证日期", "评定日期", "办证日期"), cellvalues.parse_date, required=True),
    ),
    DatasetKind.DEATH: (
        Column("event_date", ("死亡日期", "死亡时间"), cellvalues.parse_date, required=True),
        Column("category", ("信息来源", "数据来源"), _choice(DEATH_SOURCES)),
    ),
    DatasetKind.EMPLOYMENT: (
        Column("category", ("状态", "就业状态", "人员状态"), _choice(EMPLOYMENT_STATUSES), required=True),
        Column("event_date", ("起始日期", "登记日期", "断缴起始日期"), cellvalues.parse_date, required=True),
        Column("amount", ("断缴月数", "失业月数"), lambda v: cellvalues.parse_decimal(v, places=0)),
        Column("text", ("原工作单位", "参保单位"), _text(100)),
    ),
    DatasetKind.ASSETS: (
        Column("category", ("资产类型", "比对类型", "信息类别"), _choice(ASSET_TYPES), required=True),
        Column("event_date", ("登记日期", "比对日期"), cellvalues.parse_date, required=True),
        Column("amount", ("价值", "金额", "注册资本"), _amount),
        Column("text", ("登记信息", "车牌号码", "单位名称"), _text(100)),
    ),
}


def columns(kind: str) -> tuple[Column, ...]:
    """Every column of a kind's file: the person's, then the kind's own."""
    return (*PERSON, *LAYOUTS[kind])


def codes(kind: str) -> dict[str, dict[str, str]]:
    """Field -> its codes and their names, for the kind's coded columns (what a rule compares them with)."""
    return {column.field: column.parse.codes for column in LAYOUTS[kind] if isinstance(column.parse, _Choice)}


def synonyms(kind: str) -> dict[str, tuple[str, ...]]:
    """Field -> accepted header names, for ``spreadsheets.read_table``."""
    return {column.field: column.headers for column in columns(kind)}


def required(kind: str) -> tuple[str, ...]:
    return tuple(column.field for column in columns(kind) if column.required)
