"""The rules a household and its members must satisfy, shared by every way data enters the registry.

Forms, the API, change requests, the Excel import and the demo generator all call these functions, so a rule
lives in one place (CONVENTIONS §25). They take already-typed values (dates are ``date``, flags are ``bool``,
choices are the stored codes) and return ``Problem``s keyed by the model field name with a Chinese message;
turning spreadsheet text into typed values is ``bangfu.core.cellvalues``' job, and locating a problem at a
sheet/row/column is the importer's.

``level`` is ``"error"`` (refuse) or ``"warning"`` (accept, but show it: e.g. an ID issued in another county
than the village, which is normal after a marriage or a move).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from bangfu.core import idnumbers
from bangfu.registry.models import (
    INDICATOR_VALUES,
    DisabilityGrade,
    Health,
    HouseholdType,
    IncomeComponent,
    PeriodKind,
    Relation,
    SchoolStatus,
)

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field it concerns (a model field name, or ``""`` for the whole record)."""

    field: str
    message: str
    level: Level = "error"


def check_member(values: Mapping[str, Any], *, village_code: str, on: dt.date) -> list[Problem]:
    """Rules on one member's own values.

    ``values`` holds model field names (``name``, ``id_number``, ``sex``, ``birth_date``, ``relation``,
    ``health``, ``disability_grade``, ``school_status`` …); missing keys are not checked. ``village_code``
    is the household's village; ``on`` the day the data is valid for (birth dates after it are refused).
    """
    problems: list[Problem] = []
    name = (values.get("name") or "").strip()
    if "name" in values and not name:
        problems.append(Problem("name", _("姓名不能为空")))
    raw_id = values.get("id_number") or ""
    parsed: idnumbers.IdNumber | None = None
    if raw_id:
        try:
            parsed = idnumbers.parse(raw_id, on=on)
        except idnumbers.InvalidIdNumber as exc:
            problems.append(Problem("id_number", str(exc)))
    birth = values.get("birth_date")
    if isinstance(birth, dt.date) and birth > on:
        problems.append(
            Problem("birth_date", _("出生日期 %(birth)s 晚于 %(on)s") % {"birth": birth, "on": on})
        )
    if parsed is not None:
        if isinstance(birth, dt.date) and birth != parsed.birth_date:
            problems.append(
                Problem(
                    "birth_date",
                    _("出生日期 %(birth)s 与身份证号码中的出生日期 %(id_birth)s 不一致")
                    % {"birth": birth.isoformat(), "id_birth": parsed.birth_date.isoformat()},
                )
            )
        sex = values.get("sex")
        if sex and sex != parsed.sex:
            problems.append(
                Problem(
                    "sex",
                    _("性别“%(sex)s”与身份证号码（第17位）不一致")
                    % {"sex": _("男") if sex == "male" else _("女")},
                )
            )
        if village_code and not village_code.startswith(parsed.region_prefix[:4]):
            problems.append(
                Problem(
                    "id_number",
                    _("身份证号码的发证地 %(prefix)s 不在本村所属的市（%(city)s），请核实")
                    % {"prefix": parsed.region_prefix, "city": village_code[:4]},
                    "warning",
                )
            )
    health = values.get("health")
    grade = values.get("disability_grade") or ""
    if health == Health.DISABLED and not grade:
        problems.append(Problem("disability_grade", _("健康状况为残疾时须填写残疾等级")))
    if grade and grade not in DisabilityGrade.values:
        problems.append(Problem("disability_grade", _("残疾等级只能是一级至四级")))
    school = values.get("school_status")
    if isinstance(birth, dt.date) and school and school != SchoolStatus.NOT_IN_SCHOOL:
        age = age_on(birth, on)
        if age < 2:
            problems.append(
                Problem("school_status", _("%(age)d岁的成员不可能是在校生") % {"age": age}, "warning")
            )
    return problems


def check_composition(members: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Rules on a household's current members together: exactly one head, no ID twice."""
    problems: list[Problem] = []
    heads = [m for m in members if m.get("relation") == Relation.HEAD]
    if not heads:
        problems.append(Problem("relation", _("该户没有户主（与户主关系须有一人为“户主”）")))
    elif len(heads) > 1:
        names = "、".join(str(m.get("name") or "") for m in heads)
        problems.append(Problem("relation", _("该户有多名户主：%(names)s") % {"names": names}))
    seen: dict[str, str] = {}
    for member in members:
        number = idnumbers.normalize(member.get("id_number") or "")
        if not number:
            continue
        if number in seen:
            problems.append(
                Problem(
                    "id_number",
                    _("同一身份证号码在本户出现两次：%(first)s、%(second)s")
                    % {"first": seen[number], "second": member.get("name") or ""},
                )
            )
        else:
            seen[number] = str(member.get("name") or "")
    return problems


def check_indicator(indicator: str, value: str) -> list[Problem]:
    """A housing grade is A–D; every other indicator is met/unmet."""
    allowed = INDICATOR_VALUES.get(indicator)
    if allowed is None:
        return [Problem("indicator", _("未知的指标：%(indicator)s") % {"indicator": indicator})]
    if value not in allowed:
        return [Problem("value", _("指标取值无效：%(value)s") % {"value": value})]
    return []


def age_on(birth: dt.date, on: dt.date) -> int:
    """Whole years of age on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- typed values from forms, payloads and the API -----------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def coerce_values(
    model: type[models.Model], values: Mapping[str, Any], *, fields: Iterable[str]
) -> tuple[dict[str, Any], list[Problem]]:
    """``values`` converted to what ``model``'s fields store, with a problem per unusable value.

    Accepts what forms, JSON payloads (dates as ISO text, decimals as text) and the API send: each value goes
    through the model field's own ``to_python``, then its choices and length are checked. A key outside
    ``fields`` is a problem (a payload naming a field the service does not change is refused, not ignored).
    Blank text becomes ``""`` for text fields and ``None`` for nullable ones; a blank required value is a
    problem. Text is stripped; phones are normalised (spaces, dashes, +86 removed).
    """
    allowed = set(fields)
    typed: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, raw in values.items():
        if key not in allowed:
            problems.append(Problem(key, _("不能修改的字段：%(field)s") % {"field": key}))
            continue
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            problems.append(Problem(key, _("未知的字段：%(field)s") % {"field": key}))
            continue
        if not isinstance(field, models.Field):
            problems.append(Problem(key, _("未知的字段：%(field)s") % {"field": key}))
            continue
        label = str(field.verbose_name)
        value = raw.strip() if isinstance(raw, str) else raw
        if value is None or value == "":
            if field.null:
                typed[key] = None
            elif isinstance(field, models.CharField | models.TextField) and field.blank:
                typed[key] = ""
            else:
                problems.append(Problem(key, _("“%(label)s”不能为空") % {"label": label}))
            continue
        if isinstance(field, models.ForeignKey):
            problems.append(Problem(key, _("不能修改的字段：%(field)s") % {"field": key}))
            continue
        if isinstance(field, models.BooleanField) and not isinstance(value, bool):
            # JSON and forms send booleans as such; text such as "否" must not become True.
            problems.append(Problem(key, _("“%(label)s”只能是“是”或“否”") % {"label": label}))
            continue
        try:
            value = field.to_python(value)
        except ValidationError:
            problems.append(
                Problem(key, _("“%(label)s”的值无效：%(value)s") % {"label": label, "value": raw})
            )
            continue
        if getattr(field, "personal_kind", None) == "phone":
            value = normalize_phone(str(value))
            if not is_phone(value):
                problems.append(Problem(key, _("联系电话格式不正确：%(value)s") % {"value": raw}))
                continue
        elif getattr(field, "personal_kind", None) == "id_number":
            value = idnumbers.normalize(str(value))
        if field.choices and value not in {choice for choice, _label in field.flatchoices}:
            problems.append(
                Problem(key, _("“%(label)s”的取值无效：%(value)s") % {"label": label, "value": raw})
            )
            continue
        max_length = getattr(field, "max_length", None)
        if isinstance(value, str) and max_length and len(value) > max_length:
            problems.append(
                Problem(
                    key,
                    _("“%(label)s”最多%(max)d个字，实际%(length)d个字")
                    % {"label": label, "max": max_length, "length": len(value)},
                )
            )
            continue
        if isinstance(value, Decimal) and value < 0:
            problems.append(Problem(key, _("“%(label)s”不能为负数") % {"label": label}))
            continue
        typed[key] = value
    return typed, problems


def normalize_phone(raw: str) -> str:
    """Full-width digits folded, spaces, dashes and a leading +86/0086 removed."""
    text = "".join(unicodedata.normalize("NFKC", raw).split()).replace("-", "")
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
    return text


def is_phone(value: str) -> bool:
    """A mainland mobile number (11 digits, 1[3-9]…) or a landline with its area code."""
    return bool(_MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value))


def check_required(values: Mapping[str, Any], required: Mapping[str, str]) -> list[Problem]:
    """A problem for every key of ``required`` (field → Chinese label) missing or blank in ``values``."""
    return [
        Problem(key, _("“%(label)s”不能为空") % {"label": label})
        for key, label in required.items()
        if values.get(key) in (None, "")
    ]


def check_household(values: Mapping[str, Any]) -> list[Problem]:
    """Rules between a household's own values (the full record: current values overlaid with changes).

    A household of type 脱贫户 is an exited-poor household (RULES §1.2: the monitoring category
    脱贫不稳定户 depends on that flag); a relocated household names its resettlement site (warning: older
    national exports leave it empty).
    """
    problems: list[Problem] = []
    if values.get("household_type") == HouseholdType.EXITED_POOR and values.get("is_exited_poor") is False:
        problems.append(Problem("is_exited_poor", _("户类型为“脱贫户”时，“是否脱贫户”须为“是”")))
    if values.get("relocated") and not values.get("resettlement_site"):
        problems.append(Problem("resettlement_site", _("易地扶贫搬迁集中安置户应填写安置点"), "warning"))
    return problems


def check_dates_ordered(
    start: dt.date | None, end: dt.date | None, *, field: str = "end_date"
) -> list[Problem]:
    """An end on or after its start (an open end is fine)."""
    if start is not None and end is not None and end < start:
        return [
            Problem(
                field,
                _("结束日期 %(end)s 早于开始日期 %(start)s")
                % {"end": end.isoformat(), "start": start.isoformat()},
            )
        ]
    return []


def check_income_period(kind: str, start: dt.date, end: dt.date) -> list[Problem]:
    """A calendar-year statement covers 1 January to 31 December of one year; a twelve-month statement covers
    twelve whole months (first day of a month to the last day of the eleventh month after it) — RULES §3.2."""
    if kind not in PeriodKind.values:
        return [Problem("period_kind", _("统计口径无效：%(kind)s") % {"kind": kind})]
    if end < start:
        return check_dates_ordered(start, end, field="period_end")
    if kind == PeriodKind.CALENDAR_YEAR:
        if (start.month, start.day, end.month, end.day) != (1, 1, 12, 31) or start.year != end.year:
            return [Problem("period_start", _("自然年度口径的统计期须为某年1月1日至12月31日"))]
        return []
    last_month = start.month + 10
    end_year, end_month = start.year + last_month // 12, last_month % 12 + 1
    expected_end = dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    if start.day != 1 or end != expected_end:
        return [
            Problem(
                "period_start",
                _("认定前12个月口径的统计期须为完整的12个月，如 %(start)s 至 %(end)s")
                % {"start": start.replace(day=1).isoformat(), "end": expected_end.isoformat()},
            )
        ]
    return []


def check_income_lines(lines: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Typed lines (``component``, ``item``, ``amount`` as ``Decimal``, ``note``) and their problems.

    Problems name the line (1-based) so that a form or a change request can point at it. Amounts are
    non-negative with at most two decimals; ``business_expenditure`` and ``compliant_out_of_pocket`` are
    spending, entered as positive numbers.
    """
    typed: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines, start=1):
        component = str(line.get("component") or "")
        item = str(line.get("item") or "").strip()
        note = str(line.get("note") or "").strip()
        where = _("第%(number)d行") % {"number": number}
        if component not in IncomeComponent.values:
            problems.append(
                Problem("lines", _("%(where)s：收支项无效：%(value)s") % {"where": where, "value": component})
            )
            continue
        amount = _decimal(line.get("amount"))
        if amount is None:
            problems.append(
                Problem(
                    "lines",
                    _("%(where)s：金额无效：%(value)s") % {"where": where, "value": line.get("amount")},
                )
            )
            continue
        if amount < 0:
            problems.append(Problem("lines", _("%(where)s：金额不能为负数") % {"where": where}))
            continue
        if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e10"):
            problems.append(Problem("lines", _("%(where)s：金额最多两位小数、十位整数") % {"where": where}))
            continue
        if len(item) > 50 or len(note) > 200:
            problems.append(Problem("lines", _("%(where)s：明细最多50字，说明最多200字") % {"where": where}))
            continue
        typed.append({"component": component, "item": item, "amount": amount, "note": note})
    return typed, problems


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "error"]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.level == "warning"]
