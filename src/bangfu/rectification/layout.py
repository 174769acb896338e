"""The columns of a problem ledger (整改台账, RULES §10.2) as clerks lay it out, and how each cell is read.

One declarative list serves the importer (``rectification.importing``) and the upload page's help text: each
column has the key it fills, the header names seen in real ledgers (the first is the one named in messages),
whether the column must be present, and a parser from what a clerk typed to the value the import passes to
``services.check_problem_fields`` — which then applies the same rules as the screen.

The place of a problem may be written in one column (“涉及区域”: a village, “老城街道东关村”, “汉滨区老城
街道”, or a 12-digit code) or split over 县区 / 乡镇 / 村 columns; the importer joins the parts and resolves
them inside the uploader's scope. The category (问题类别) is data (``ProblemCategory``), so its spellings are
known only to the importer, which reads them from the database once per run.

Coded values are accepted in the spellings seen in ledgers: the model's label, its code, and the usual
variants (巡察反馈, 暗访, 群众反映 …; 住建局, 医保局 …). Dates come in every form ``cellvalues.parse_date``
reads; a deadline given as a month (“2026年6月”, “2026年6月底前”) means the last day of that month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from bangfu.accounts.models import Sector
from bangfu.core import cellvalues
from bangfu.rectification.models import ProblemSource

MAX_LEDGER_NUMBER: Final = 30


@dataclass(frozen=True)
class Column:
    """A ledger column: the key it fills, its header names (the first is shown in messages), whether the
    column must be present, and how a cell is read (``CellError`` with a Chinese message when it cannot)."""

    key: str
    headers: tuple[str, ...]
    parse: Callable[[Any], Any]
    required: bool = False

    @property
    def label(self) -> str:
        return self.headers[0]


def _spellings(choices: Mapping[str, str], extra: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Accepted spelling (normalised) -> code: each code, its label, and the extra spellings."""
    accepted: dict[str, str] = {}
    # The label first: a message lists the first spelling of each code.
    for code, label in choices.items():
        accepted[cellvalues.normalize_text(label)] = code
    for code, texts in extra.items():
        for text in texts:
            accepted.setdefault(cellvalues.normalize_text(text), code)
    for code in choices:
        accepted.setdefault(cellvalues.normalize_text(code), code)
    return accepted


def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code -> label as written in the source (Chinese), whatever language is active on import."""
    with translation.override("zh-hans"):
        return {str(value): str(label) for value, label in choices.choices}


SOURCES: Final = _spellings(
    _labels(ProblemSource),
    {
        ProblemSource.INSPECTION_FEEDBACK: (
            *("巡视反馈", "巡察反馈", "巡视", "巡察", "巡视巡察", "巡视整改", "巡察整改"),
            *("中央巡视反馈", "省委巡视反馈", "市委巡察反馈", "县委巡察反馈", "巡视巡察反馈问题"),
        ),
        ProblemSource.ASSESSMENT: (
            *("考核反馈", "成效考核反馈", "考核", "后评估", "考核评估", "成效考核反馈问题"),
            *("国家考核反馈", "省级考核反馈", "交叉考核"),
        ),
        ProblemSource.SUPERVISION: ("督查反馈", "督导", "督查督导", "督导检查", "专项督查", "督查检查"),
        ProblemSource.UNANNOUNCED_VISIT: ("明察暗访", "暗访发现", "暗访反馈", "暗访调研"),
        ProblemSource.SELF_CHECK: ("自查", "自查自纠", "自查发现", "排查", "集中排查", "自查问题"),
        ProblemSource.DEPARTMENT_WARNING: (
            *("部门筛查预警", "行业部门预警", "部门预警信息", "预警", "部门推送", "数据比对"),
        ),
        ProblemSource.PUBLIC_REPORT: (
            *("群众举报", "群众反映问题", "信访", "来信来访", "12317", "12317热线", "热线反映"),
        ),
        ProblemSource.VISIT: ("走访", "入户走访", "走访排查", "遍访"),
    },
)
_SECTOR_LABELS: Final = _labels(Sector)
_SECTOR_NAMES: Final[dict[str, tuple[str, ...]]] = {
    Sector.MEDICAL_INSURANCE: ("医疗保障局", "医保部门"),
    Sector.CIVIL_AFFAIRS: ("民政部门",),
    Sector.HOUSING: ("住房和城乡建设局", "住建部门", "住房城乡建设局"),
    Sector.EDUCATION: ("教育和体育局", "教体局"),
    Sector.WATER: ("水利部门", "水务局"),
    Sector.EMERGENCY: ("应急管理局",),
    Sector.DISABLED_PERSONS: ("残疾人联合会", "县残联", "市残联"),
    Sector.HUMAN_RESOURCES: ("人力资源和社会保障局", "人社部门"),
    Sector.PUBLIC_SECURITY: ("公安部门", "公安分局"),
    Sector.AGRICULTURE: ("农业农村部门", "农业农村局（乡村振兴局）", "乡村振兴局"),
}
SECTORS: Final = _spellings(
    _SECTOR_LABELS,
    {
        code: (f"{label}局", f"县{label}局", f"市{label}局", *_SECTOR_NAMES.get(code, ()))
        for code, label in _SECTOR_LABELS.items()
    },
)


def _text(value: Any) -> str:
    """Free text as typed (outer whitespace removed); its length is checked by ``check_problem_fields``."""
    return cellvalues.parse_text(value) or ""


def _choice(choices: Mapping[str, str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        return cellvalues.parse_choice(value, choices) or ""

    return parse


def parse_ledger_number(value: Any) -> str:
    """序号 as printed: ``3``, ``3.0`` (a number cell) and ``"003"`` stay as the clerk wrote them."""
    number = cellvalues.parse_code(value, label=_("序号")) or ""
    if len(number) > MAX_LEDGER_NUMBER:
        raise cellvalues.CellError(
            _("序号最多%(limit)d个字：%(value)s") % {"limit": MAX_LEDGER_NUMBER, "value": number}
        )
    return number


def parse_household_number(value: Any) -> str:
    """户编号: digits kept exactly, refused when Excel rounded them."""
    return cellvalues.parse_code(value, label=_("户编号")) or ""


def parse_date(value: Any) -> dt.date | None:
    return cellvalues.parse_date(value)


# A deadline typed as a month, perhaps with “底/末” (end of) and “前/之前/以前” (before): 2026年6月底前.
_MONTH_DEADLINE: Final = re.compile(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?")
_BEFORE: Final = ("之前", "以前", "前")
_END_OF: Final = ("底", "末")


def parse_deadline(value: Any) -> dt.date | None:
    """整改时限: a date in any form ``parse_date`` reads; “2026年6月30日前” is that day, and a month
    (“2026年6月”, “2026.6”, “2026年6月底”, ``202606``) is its last day: a month's deadline runs to its end."""
    if cellvalues.is_blank(value):
        return None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", cellvalues.cell_text(value)).replace(" ", "")
        for suffix in _BEFORE:
            if text.endswith(suffix):
                text = text.removesuffix(suffix)
                break
        for suffix in _END_OF:
            if text.endswith(suffix):
                text = text.removesuffix(suffix)
                break
        if match := _MONTH_DEADLINE.fullmatch(text):
            return _last_day(int(match[1]), int(match[2]), shown=cellvalues.cell_text(value))
        value = text
    digits = cellvalues.cell_text(value) if isinstance(value, str | int | float) else ""
    if len(digits) == 6 and digits.isdigit() and int(digits[:4]) >= cellvalues.MIN_YEAR:
        return _last_day(int(digits[:4]), int(digits[4:]), shown=digits)
    return cellvalues.parse_date(value)


def _last_day(year: int, month: int, *, shown: str) -> dt.date:
    if not (cellvalues.MIN_YEAR <= year <= cellvalues.MAX_YEAR and 1 <= month <= 12):
        raise cellvalues.CellError(_("无法识别的日期：%(value)s") % {"value": shown})
    return dt.date(year, month, calendar.monthrange(year, month)[1])


COLUMNS: Final[tuple[Column, ...]] = (
    Column("ledger_number", ("序号", "问题编号", "编号", "问题序号"), parse_ledger_number),
    Column("source", ("问题来源", "来源", "发现渠道", "问题出处"), _choice(SOURCES)),
    Column("category", ("问题类别", "类别", "问题类型", "问题分类"), _text, required=True),
    # The place: one column, or the parts over several (joined by the importer).
    Column("county", ("县区", "涉及县区", "所在县区", "县（市、区）", "县（区）", "县市区"), _text),
    Column("town", ("涉及乡镇", "所在乡镇", "乡镇", "乡镇（街道）", "乡（镇、街道）", "镇（街道）"), _text),
    Column(
        "region",
        (
            *("涉及区域", "所在村", "涉及村", "涉及村（社区）", "行政村", "村", "村（社区）", "涉及地区"),
            *("区域", "涉及单位区域", "区划代码", "行政区划代码", "涉及户/村", "涉及村/户"),
        ),
        _text,
    ),
    Column("household_number", ("户编号", "涉及户编号", "户码", "家庭编号"), parse_household_number),
    Column(
        "description",
        ("问题描述", "存在问题", "具体问题", "问题表现", "问题内容", "主要问题", "问题"),
        _text,
        required=True,
    ),
    Column("measure", ("整改措施", "整改举措", "整改措施及要求", "整改要求"), _text),
    Column("lead_unit", ("牵头单位", "牵头部门", "牵头责任单位"), _text),
    Column("responsible_unit", ("责任单位", "整改责任单位", "具体责任单位"), _text, required=True),
    Column(
        "responsible_sector",
        ("责任行业部门", "主管部门", "行业主管部门", "责任行业"),
        _choice(SECTORS),
    ),
    Column("responsible_person", ("责任人", "整改责任人", "具体责任人"), _text),
    Column("found_on", ("发现日期", "发现时间", "反馈日期"), parse_date),
    Column(
        "due_on",
        ("整改时限", "完成时限", "整改期限", "整改完成时限", "整改时限要求"),
        parse_deadline,
        required=True,
    ),
)
BY_KEY: Final = {column.key: column for column in COLUMNS}
# The columns that may carry the place; at least one of them (or 户编号) must be in the file.
PLACE_KEYS: Final = ("county", "town", "region")
# Which column a field named by ``check_problem_fields`` (``RectificationRefused.field``) is in.
FIELD_COLUMNS: Final = {
    "source": "source",
    "category": "category",
    "household": "household_number",
    "member": "household_number",
    "description": "description",
    "measure": "measure",
    "lead_unit": "lead_unit",
    "responsible_unit": "responsible_unit",
    "responsible_sector": "responsible_sector",
    "responsible_person": "responsible_person",
    "due_on": "due_on",
    "found_on": "found_on",
    "ledger_number": "ledger_number",
}


def synonyms() -> dict[str, tuple[str, ...]]:
    """Key -> accepted header names, for ``spreadsheets.read_table``."""
    return {column.key: column.headers for column in COLUMNS}


def required() -> tuple[str, ...]:
    return tuple(column.key for column in COLUMNS if column.required)
