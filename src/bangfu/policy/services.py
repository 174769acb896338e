"""Writes of the policy app: a new version of a parameter, a new version of a year's official calendar.

Nothing here edits or deletes a stored row: a change is always a new version (DESIGN.md §4.2, §4.7).
Validation errors are ``ValidationError`` dicts keyed by the name of the form input at fault, with Chinese
messages naming the parameter, so that screens and commands show them beside the right input.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.policy import access, catalogue, dates
from bangfu.policy.exceptions import InvalidRegion
from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from bangfu.policy.resolution import normalize_region
from bangfu.regions.codes import full_code
from bangfu.regions.models import Region

if TYPE_CHECKING:
    from django.http import HttpRequest

    from bangfu.accounts.models import User

MAX_SOURCE_NOTE = 2000


def _fail(errors: dict[str, list[str]]) -> NoReturn:
    raise ValidationError(
        {name: [ValidationError(m, code="invalid") for m in msgs] for name, msgs in errors.items()}
    )


def _errors(errors: dict[str, list[str]]) -> None:
    if errors:
        _fail(errors)


def _clean_source(source_note: str, errors: dict[str, list[str]]) -> str:
    text = (source_note or "").strip()
    if not text:
        errors.setdefault("source_note", []).append(_("请填写依据：文件名称、文号、条款或网址。"))
    elif len(text) > MAX_SOURCE_NOTE:
        errors.setdefault("source_note", []).append(_("依据不能超过 %(n)s 个字。") % {"n": MAX_SOURCE_NOTE})
    return text


def add_policy_version(
    *,
    key: str,
    region_prefix: str,
    effective_from: dt.date,
    value: Any,
    source_note: str,
    by: User | None,
    request: HttpRequest | None = None,
    today: dt.date | None = None,
) -> PolicyValue:
    """Add a new version of ``key`` for ``region_prefix`` ("" = everywhere) in force from ``effective_from``.

    ``by`` is the person entering it, or None for the system (seeding, such as the demo's assumed values).
    Checks: a person is the city HQ and the region lies in their scope; the region exists;
    the date lies in 2000–2100; the value fits the key's shape; the source is given; no version exists for
    the same key, region and date (a stored version is never overwritten).

    A person may not back-date: ``effective_from`` must be ``today`` (Asia/Shanghai, default: the current
    date) or later. A version dated in the past would silently change which value was in force on days
    already worked with — what screenings, deadlines and reports of those days relied on — and that is
    exactly the rewriting of history the audit trail exists to prevent. A correction takes effect from the
    day it is entered, with the reason in its source. The system (``by=None``) may back-date: seeding loads
    rules that were in force before the installation.

    Side effects: one PolicyValue row and one ``created`` audit event, in one transaction.
    Raises UnknownPolicyKey, PermissionDenied or ValidationError.
    """
    spec = catalogue.get(key)
    if by is not None and not access.can_edit_policy(by):
        raise PermissionDenied(_("只有市指挥部可以录入政策参数。"))
    errors: dict[str, list[str]] = {}

    prefix = ""
    try:
        prefix = normalize_region(region_prefix)
    except InvalidRegion as exc:
        errors["region_prefix"] = [exc.message]
    else:
        if by is not None and not access.region_editable(by, prefix):
            errors["region_prefix"] = [_("只能为本人管辖范围内的区划录入政策参数。")]
        elif prefix and not Region.objects.filter(code=full_code(prefix)).exists():
            errors["region_prefix"] = [_("区划“%(p)s”不存在，请先导入该区划。") % {"p": prefix}]

    if not isinstance(effective_from, dt.date) or isinstance(effective_from, dt.datetime):
        errors["effective_from"] = [_("请填写生效日期。")]
    elif not dates.in_range(effective_from):
        errors["effective_from"] = [dates.out_of_range_message(effective_from, label=_("生效日期"))]
    elif by is not None and effective_from < (first_allowed := today or timezone.localdate()):
        errors["effective_from"] = [
            _(
                "生效日期不能早于今天（%(today)s）：已录入的版本决定了过去各日适用的取值，补录过去的日期会改变"
                "历史。如需更正，请以今天或以后的日期录入新版本，并在依据中说明原因。"
            )
            % {"today": first_allowed.isoformat()}
        ]
    note = _clean_source(source_note, errors)

    try:
        clean_value = spec.validate(value)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    _errors(errors)

    clash = PolicyValue.objects.filter(key=key, region_prefix=prefix, effective_from=effective_from).first()
    if clash is not None:
        _fail({"effective_from": [_duplicate_message(spec, clash)]})
    try:
        with transaction.atomic():
            row = PolicyValue.objects.create(
                key=key,
                region_prefix=prefix,
                effective_from=effective_from,
                value=clean_value,
                source_note=note,
                created_by=by,
            )
            # "key" would be hidden by the audit masking (it names secrets), so the parameter is "parameter".
            events.created(
                actor=by,
                obj=row,
                after={
                    "parameter": key,
                    "region_prefix": prefix,
                    "effective_from": effective_from,
                    "value": clean_value,
                    "source_note": note,
                },
                request=request,
            )
    except IntegrityError:
        # Someone added the same version between the check and the insert.
        clash = PolicyValue.objects.get(key=key, region_prefix=prefix, effective_from=effective_from)
        _fail({"effective_from": [_duplicate_message(spec, clash)]})
    return row


def _duplicate_message(spec: catalogue.PolicyKey, clash: PolicyValue) -> str:
    return _(
        "“%(label)s”（%(where)s）自 %(date)s 起已有一个版本（%(value)s）。已保存的版本不能修改；"
        "如需更正，请以更正生效的日期录入新版本，并在依据中说明更正原因。"
    ) % {
        "label": spec.label,
        "where": _("区划%(p)s") % {"p": clash.region_prefix} if clash.region_prefix else _("全国"),
        "date": clash.effective_from.isoformat(),
        "value": spec.display(clash.value),
    }


def enter_calendar_year(
    *,
    year: int,
    holidays: list[dt.date],
    workdays: list[dt.date],
    source_note: str,
    by: User,
    request: HttpRequest | None = None,
) -> OfficialCalendarYear:
    """Enter (or correct) the official holiday schedule of ``year`` as its next version.

    Checks: ``by`` is the system administrator; every date lies in ``year``; no date is both a holiday and a
    make-up working day; make-up working days fall on a Saturday or Sunday (a weekday is a working day
    anyway); at least one holiday; the entry differs from the version in force. The latest version of a
    year wins over the ``chinese-calendar`` package for that year.
    Side effects: one OfficialCalendarYear row and one ``created`` audit event, in one transaction.
    Raises PermissionDenied or ValidationError.
    """
    if not access.can_enter_calendar(by):
        raise PermissionDenied(_("只有系统管理员可以录入官方放假安排。"))
    errors: dict[str, list[str]] = {}
    if not dates.FIRST_YEAR <= year <= dates.LAST_YEAR:
        errors["year"] = [
            _("年度必须在 %(a)s 到 %(b)s 之间。") % {"a": dates.FIRST_YEAR, "b": dates.LAST_YEAR}
        ]
    else:
        for name, label, listed in (
            ("holidays", _("放假日期"), holidays),
            ("workdays", _("调休上班日期"), workdays),
        ):
            outside = sorted(d for d in listed if d.year != year)
            if outside:
                errors.setdefault(name, []).append(
                    _("“%(label)s”中的 %(dates)s 不在 %(year)s 年内。")
                    % {"label": label, "dates": "、".join(d.isoformat() for d in outside), "year": year}
                )
    if not holidays:
        errors.setdefault("holidays", []).append(_("“放假日期”至少要有一天。"))
    both = sorted(set(holidays) & set(workdays))
    if both:
        errors.setdefault("workdays", []).append(
            _("%(dates)s 同时出现在“放假日期”和“调休上班日期”中，每个日期只能属于其中一类。")
            % {"dates": "、".join(d.isoformat() for d in both)}
        )
    weekdays = sorted(d for d in set(workdays) if d.weekday() < 5)
    if weekdays:
        errors.setdefault("workdays", []).append(
            _("“调休上班日期”应为周六或周日，%(dates)s 是工作日，无需录入。")
            % {"dates": "、".join(d.isoformat() for d in weekdays)}
        )
    note = _clean_source(source_note, errors)
    _errors(errors)

    holiday_text = sorted({d.isoformat() for d in holidays})
    workday_text = sorted({d.isoformat() for d in workdays})
    current = OfficialCalendarYear.objects.filter(year=year).order_by("-version").first()
    if current is not None and current.holidays == holiday_text and current.workdays == workday_text:
        _fail(
            {
                "holidays": [
                    _("与 %(year)s 年现行第 %(v)s 版完全相同，无需重复录入。")
                    % {"year": year, "v": current.version}
                ]
            }
        )
    version = (OfficialCalendarYear.objects.filter(year=year).aggregate(v=Max("version"))["v"] or 0) + 1
    try:
        with transaction.atomic():
            row = OfficialCalendarYear.objects.create(
                year=year,
                version=version,
                holidays=holiday_text,
                workdays=workday_text,
                source_note=note,
                entered_by=by,
            )
            events.created(
                actor=by,
                obj=row,
                after={
                    "year": year,
                    "version": version,
                    "holidays": holiday_text,
                    "workdays": workday_text,
                    "source_note": note,
                },
                request=request,
            )
    except IntegrityError:
        _fail({"year": [_("%(year)s 年的放假安排刚被他人更新，请刷新页面后核对再提交。") % {"year": year}]})
    return row
