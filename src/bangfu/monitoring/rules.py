"""The vocabulary of screening conditions, its checking, and its compilation to SQL.

A condition is a JSON list of terms that must all hold. A province writes one without code; ``check`` says
in Chinese what is wrong with one, and ``compile_condition`` turns it into an ORM filter (so SQLite and
PostgreSQL run the same rule, set-based, inside the database). Terms:

* ``{"field": F, "op": OP, "value": V}`` — a field of the fact: of a department record (``amount``,
  ``total_amount``, ``category``, ``grade``, ``event_date``, ``start_date``, ``end_date``) or, for the
  ``income`` source, of the household's latest income statement (``net_income_per_capita``,
  ``net_income``);
* ``{"member": F, "op": OP, "value": V}`` — a field of the matched person in the registry
  (``labour_capacity``, ``health``, ``school_status``, ``sex``, ``relation``, ``disability_grade``);
* ``{"household": F, "op": OP, "value": V}`` — a field of the household (``household_type``,
  ``is_exited_poor``, ``relocated``);
* ``{"age": {"gte": A, "lte": B}}`` — the matched person's age in whole years on the screening day;
* ``{"programme": KIND, "active": true|false}`` — whether the household has an enrolment in the programme
  (低保, 特困供养 …) active on the screening day;
* ``{"new_within_days": N}`` — the fact's day lies at most N days before the screening day;
* ``{"income_share": {"op": OP, "value": V, "days": N}}`` — the household's total ``amount`` of this kind of
  data over the N days before the screening day (default 365: a year of hospital bills), as a share of its
  net income in its latest income statement, compared with V (a household without a statement, or with no
  positive income, is compared as if the share were above any bound);
* ``{"any": [terms]}`` — one of the terms holds; ``{"not": term}`` — the term does not hold.

``OP`` is one of ``eq ne gt gte lt lte in not_in``. ``V`` is a literal or a policy value
``{"policy": KEY, "times": N}``: the value of KEY in force on the screening day for the household's county
(money, ratio, months or a code table for ``in``), times N when given. Thresholds are never written into a
rule's code: changing the policy changes the rule from the day the new value takes effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.db import connection
from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from bangfu.policy import catalogue
from bangfu.registry.models import ProgrammeEnrolment, ProgrammeKind

OPS: Final = {
    "eq": "exact",
    "ne": "exact",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "in": "in",
    "not_in": "in",
}
OP_SYMBOLS: Final = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "∈",
    "not_in": "∉",
}
RECORD_FIELDS: Final = (
    "amount",
    "total_amount",
    "category",
    "grade",
    "event_date",
    "start_date",
    "end_date",
)
INCOME_FIELDS: Final = ("net_income_per_capita", "net_income")
INCOME_LABELS: Final = {"net_income_per_capita": _lazy("人均纯收入"), "net_income": _lazy("家庭纯收入")}
OP_WORDS: Final = {
    "eq": _lazy("等于"),
    "ne": _lazy("不等于"),
    "gt": _lazy("大于"),
    "gte": _lazy("不小于"),
    "lt": _lazy("小于"),
    "lte": _lazy("不大于"),
    "in": _lazy("属于其中之一"),
    "not_in": _lazy("不属于其中任何一个"),
}
MEMBER_FIELDS: Final = (
    "labour_capacity",
    "health",
    "school_status",
    "sex",
    "relation",
    "disability_grade",
)
HOUSEHOLD_FIELDS: Final = ("household_type", "is_exited_poor", "relocated")
MAX_DAYS: Final = 3660
# The temporary table of each household's latest income statement up to the screening day (household_id,
# statement_id, net_income), built once per run by ``screening`` for the rules over a household's total
# (``income_share``, where ``tabled_incomes``).
LATEST_INCOME: Final = "monitoring_latest_income"

Resolve = Callable[[str], Any]


class RuleError(ValueError):
    """A condition that cannot be used; the message is Chinese and names the term."""


# --- reading a condition ------------------------------------------------------------------------------------


def policy_keys(condition: Sequence[Any]) -> list[str]:
    """The policy keys a condition reads, in order of first use."""
    keys: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("policy"), str):
                keys.append(node["policy"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(list(condition))
    return list(dict.fromkeys(keys))


def terms(condition: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    """Every term of a condition, those inside ``any`` and ``not`` included."""
    for term in condition:
        if not isinstance(term, Mapping):
            continue
        yield term
        if isinstance(term.get("any"), list):
            yield from terms(term["any"])
        if "not" in term:
            yield from terms([term["not"]])


def is_aggregate(condition: Sequence[Any]) -> bool:
    """Whether the condition tests a household's total (``income_share``) rather than one fact."""
    return any("income_share" in term for term in terms(condition))


def fields_of(condition: Sequence[Any]) -> list[str]:
    """The fact fields a condition compares (shown among a warning's facts)."""
    return list(dict.fromkeys(str(term["field"]) for term in terms(condition) if "field" in term))


def check(condition: Any, *, source: str) -> None:
    """Raise ``RuleError`` (Chinese, naming the term) unless ``condition`` is valid for ``source``."""
    if not isinstance(condition, list) or not condition:
        raise RuleError(_("条件须为至少包含一项的列表"))
    fields = INCOME_FIELDS if source == "income" else RECORD_FIELDS
    for position, term in enumerate(condition, start=1):
        _check_term(term, fields=fields, source=source, where=_("第%(n)d项") % {"n": position})


def _check_term(term: Any, *, fields: Sequence[str], source: str, where: str) -> None:
    if not isinstance(term, Mapping) or len(term) == 0:
        raise RuleError(_("%(where)s：每一项须为一个对象") % {"where": where})
    if "any" in term:
        options = term["any"]
        if not isinstance(options, list) or not options:
            raise RuleError(_("%(where)s：“any”须为非空列表") % {"where": where})
        for n, option in enumerate(options, start=1):
            _check_term(option, fields=fields, source=source, where=f"{where}.{n}")
        return
    if "not" in term:
        _check_term(term["not"], fields=fields, source=source, where=where)
        return
    if "field" in term or "member" in term or "household" in term:
        kind = "field" if "field" in term else "member" if "member" in term else "household"
        allowed = {"field": fields, "member": MEMBER_FIELDS, "household": HOUSEHOLD_FIELDS}[kind]
        if kind == "member" and source == "income":
            raise RuleError(_("%(where)s：收支情况规则没有对应的个人") % {"where": where})
        if term[kind] not in allowed:
            raise RuleError(
                _("%(where)s：不能比较“%(name)s”（可用：%(allowed)s）")
                % {"where": where, "name": term[kind], "allowed": "、".join(allowed)}
            )
        if term.get("op") not in OPS:
            raise RuleError(
                _("%(where)s：比较方式“%(op)s”无效（可用：%(allowed)s）")
                % {"where": where, "op": term.get("op"), "allowed": "、".join(OPS)}
            )
        literal, codes = _literal_kind(kind, str(term[kind]), source)
        if literal == "bool" and term["op"] not in ("eq", "ne"):
            raise RuleError(_("%(where)s：是/否只能用“等于”或“不等于”比较") % {"where": where})
        _check_value(term.get("value"), op=str(term["op"]), where=where, literal=literal, codes=codes)
        return
    if "age" in term:
        bounds = term["age"]
        if (
            not isinstance(bounds, Mapping)
            or not set(bounds) <= {"gte", "lte"}
            or not bounds
            or not all(isinstance(v, int) and 0 <= v <= 150 for v in bounds.values())
        ):
            raise RuleError(
                _('%(where)s：年龄须写成 {"gte": 下限, "lte": 上限}（0至150岁）') % {"where": where}
            )
        if source == "income":
            raise RuleError(_("%(where)s：收支情况规则没有对应的个人") % {"where": where})
        return
    if "programme" in term:
        if term["programme"] not in ProgrammeKind.values or not isinstance(term.get("active", True), bool):
            raise RuleError(
                _("%(where)s：项目须为以下之一：%(allowed)s")
                % {"where": where, "allowed": "、".join(ProgrammeKind.values)}
            )
        return
    if "new_within_days" in term:
        days = term["new_within_days"]
        if not isinstance(days, int) or not 0 < days <= MAX_DAYS:
            raise RuleError(_("%(where)s：天数须为1至3660的整数") % {"where": where})
        return
    if "income_share" in term:
        share = term["income_share"]
        if source == "income" or not isinstance(share, Mapping) or share.get("op") not in ("gt", "gte"):
            raise RuleError(
                _('%(where)s：收入占比须写成 {"op": "gt", "value": 比例}，且只用于部门数据')
                % {"where": where}
            )
        days = share.get("days", 365)
        if not isinstance(days, int) or not 0 < days <= MAX_DAYS:
            raise RuleError(_("%(where)s：天数须为1至3660的整数") % {"where": where})
        _check_value(share.get("value"), op="gt", where=where, literal="number", codes=None)
        return
    raise RuleError(
        _("%(where)s：无法识别的条件 %(keys)s") % {"where": where, "keys": "、".join(map(str, term))}
    )


NUMBER_FIELDS: Final = frozenset({"amount", "total_amount", *INCOME_FIELDS})
DATE_FIELDS: Final = frozenset({"event_date", "start_date", "end_date"})
BOOLEAN_FIELDS: Final = frozenset({"is_exited_poor", "relocated"})


def _literal_kind(kind: str, name: str, source: str) -> tuple[str, Mapping[str, str] | None]:
    """What a literal compared with the field must be (number, date, bool or code) and, for a coded field,
    its codes (None where any text goes)."""
    from bangfu.datasets.layouts import codes
    from bangfu.registry.models import Household, Member

    if name in NUMBER_FIELDS:
        return "number", None
    if name in DATE_FIELDS:
        return "date", None
    if name in BOOLEAN_FIELDS:
        return "bool", None
    if kind == "field":
        return "code", codes(source).get(name) if source != "income" else None
    model = Member if kind == "member" else Household
    field: Any = model._meta.get_field(name)
    choices = {str(code): str(label) for code, label in (field.choices or [])}
    return "code", choices or None


def _check_value(value: Any, *, op: str, where: str, literal: str, codes: Mapping[str, str] | None) -> None:
    """A policy value (a known key, a numeric ``times``), or literals of the field's kind: a non-empty list
    of them for ``in``/``not_in``, one otherwise. A value the screening could not compare is refused here,
    not in the middle of a night's run."""
    if isinstance(value, Mapping):
        key = value.get("policy")
        try:
            catalogue.get(str(key))
        except Exception as exc:
            raise RuleError(_("%(where)s：未知的政策参数“%(key)s”") % {"where": where, "key": key}) from exc
        if "times" in value and _number(value["times"]) is None:
            raise RuleError(_("%(where)s：倍数须为数字") % {"where": where})
        return
    if op in {"in", "not_in"}:
        if not isinstance(value, list) or not value:
            raise RuleError(_("%(where)s：“%(op)s”须与一个非空列表比较") % {"where": where, "op": op})
        for item in value:
            _check_literal(item, where=where, literal=literal, codes=codes)
        return
    if isinstance(value, list):
        raise RuleError(_("%(where)s：“%(op)s”须与单个取值比较") % {"where": where, "op": op})
    _check_literal(value, where=where, literal=literal, codes=codes, op=op)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _check_literal(
    value: Any, *, where: str, literal: str, codes: Mapping[str, str] | None, op: str = ""
) -> None:
    shown = {"where": where, "value": value}
    if literal == "code" and value == "" and op in ("eq", "ne"):
        return  # 等于/不等于 "": the field is blank / filled in
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RuleError(_("%(where)s：请填写取值") % {"where": where})
    if literal == "number" and _number(value) is None:
        raise RuleError(_("%(where)s：取值“%(value)s”不是数字") % shown)
    if literal == "date":
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise RuleError(_("%(where)s：取值“%(value)s”不是日期（如 2026-03-01）") % shown) from exc
    if literal == "bool" and not isinstance(value, bool):
        raise RuleError(_("%(where)s：取值须为 true（是）或 false（否）") % {"where": where})
    if literal == "code" and codes is not None and str(value) not in codes:
        raise RuleError(
            _("%(where)s：取值“%(value)s”无效（可用：%(allowed)s）") % {**shown, "allowed": "、".join(codes)}
        )


def field_labels(source: str) -> dict[str, str]:
    """The names of the fact fields of ``source`` as its files head them (个人自付, 出院日期 …)."""
    from bangfu.datasets.layouts import columns

    if source == "income":
        return {name: str(label) for name, label in INCOME_LABELS.items()}
    return {column.field: column.label for column in columns(source) if column.field in RECORD_FIELDS}


def vocabulary(sources: Iterable[str]) -> dict[str, Any]:
    """What the rule builder offers — the terms ``check`` accepts, named in Chinese: each source's fact
    fields (with their codes where coded), the person's and household's fields (with their choices), the
    programmes, the comparisons and the policy parameters a threshold can cite."""
    from bangfu.datasets.layouts import codes
    from bangfu.registry.models import Household, Member

    def model_fields(model: Any, names: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for name in names:
            field = model._meta.get_field(name)
            choices = {str(k): str(v) for k, v in (field.choices or [])}
            if isinstance(field, BooleanField):
                choices = {"true": str(_("是")), "false": str(_("否"))}
            out.append({"name": name, "label": str(field.verbose_name), "codes": choices})
        return out

    facts = {}
    for source in sources:
        coded = {} if source == "income" else codes(source)
        facts[source] = [
            {"name": name, "label": label, "codes": coded.get(name, {})}
            for name, label in field_labels(source).items()
        ]
    return {
        "facts": facts,
        "member": model_fields(Member, MEMBER_FIELDS),
        "household": model_fields(Household, HOUSEHOLD_FIELDS),
        "programmes": [{"name": str(k), "label": str(v)} for k, v in ProgrammeKind.choices],
        "ops": [{"name": op, "label": str(word), "symbol": OP_SYMBOLS[op]} for op, word in OP_WORDS.items()],
        "active": [{"name": "true", "label": str(_("享受中"))}, {"name": "false", "label": str(_("未享受"))}],
        "policies": [{"name": spec.key, "label": str(spec.label)} for spec in catalogue.CATALOGUE],
    }


# --- compiling ----------------------------------------------------------------------------------------------


def resolve_value(value: Any, resolve: Resolve) -> Any:
    """A literal as it is; ``{"policy": KEY, "times": N}`` as the policy value (times N)."""
    if isinstance(value, Mapping) and "policy" in value:
        resolved = resolve(str(value["policy"]))
        if "times" in value:
            resolved = Decimal(str(resolved)) * Decimal(str(value["times"]))
        return resolved
    return value


def compile_condition(
    condition: Sequence[Any], *, source: str, on: dt.date, resolve: Resolve, household: str = "household"
) -> Q:
    """The ORM filter of ``condition`` over the source's rows (a department record, or an income
    statement), with the policy values ``resolve`` gives and the screening day ``on``. ``household`` is
    the path from the row to its household."""
    q = Q()
    for term in sorted(condition, key=_cost):
        q &= _compile_term(term, source=source, on=on, resolve=resolve, household=household)
    return q


def _cost(term: Any) -> int:
    """The order the terms are tested in (SQLite tests them as written): the row's own values first, then
    the person and household joined to it, then the lookups per row (programmes, a household's total)."""
    if not isinstance(term, Mapping):
        return 0
    if "income_share" in term:
        return 4
    if "programme" in term or "any" in term or "not" in term:
        return 3 if any("programme" in inner for inner in terms([term])) else 2
    if "field" in term or "new_within_days" in term:
        return 0
    return 1


def _compile_term(
    term: Mapping[str, Any], *, source: str, on: dt.date, resolve: Resolve, household: str
) -> Q:
    def again(inner: Mapping[str, Any]) -> Q:
        return _compile_term(inner, source=source, on=on, resolve=resolve, household=household)

    if "any" in term:
        q = Q(pk__in=[])
        # The programmes an option asks to be active are tested in one lookup (低保 or 特困 or …).
        kinds = [str(o["programme"]) for o in term["any"] if "programme" in o and o.get("active", True)]
        for option in term["any"]:
            if not ("programme" in option and option.get("active", True)):
                q |= again(option)
        if kinds:
            q |= Q(Exists(_enrolments(kinds, on=on, household=household)))
        return q
    if "not" in term:
        return ~again(term["not"])
    if "field" in term:
        return _comparison(str(term["field"]), term, resolve)
    if "member" in term:
        return _comparison(f"member__{term['member']}", term, resolve)
    if "household" in term:
        return _comparison(f"{household}__{term['household']}", term, resolve)
    if "age" in term:
        bounds = term["age"]
        q = Q()
        if "gte" in bounds:  # at least A years old on ``on``: born on or before ``on`` minus A years
            q &= Q(member__birth_date__lte=_years_before(on, int(bounds["gte"])))
        if "lte" in bounds:  # at most B years old: born after ``on`` minus B + 1 years
            q &= Q(member__birth_date__gt=_years_before(on, int(bounds["lte"]) + 1))
        return q
    if "programme" in term:
        exists = Exists(_enrolments([str(term["programme"])], on=on, household=household))
        return Q(exists) if term.get("active", True) else ~Q(exists)
    if "new_within_days" in term:
        since = on - dt.timedelta(days=int(term["new_within_days"]))
        return Q(event_date__gt=since) | Q(event_date__isnull=True, start_date__gt=since)
    if "income_share" in term:
        return _income_share(term["income_share"], source=source, on=on, resolve=resolve, household=household)
    raise RuleError(_("无法识别的条件"))


def _enrolments(kinds: Sequence[str], *, on: dt.date, household: str) -> QuerySet[Any]:
    """The household's enrolments in one of the programmes ``kinds``, active on ``on``."""
    return ProgrammeEnrolment.objects.filter(household=OuterRef(f"{household}_id"), kind__in=kinds).active_on(
        on
    )


def _share_rows(share: Mapping[str, Any], *, source: str, on: dt.date) -> QuerySet[Any]:
    """The rows a household's total adds up: this kind of data, current uploads, over the term's window."""
    from bangfu.datasets.models import DatasetRecord

    since = on - dt.timedelta(days=int(share.get("days", 365)))
    return DatasetRecord.objects.filter(
        kind=source, version__is_current=True, event_date__gt=since, event_date__lte=on
    ).order_by()


def _latest_income(household: OuterRef, *, on: dt.date) -> Subquery:
    """The net income of the household's latest income statement up to ``on``."""
    from bangfu.registry.models import IncomeStatement

    latest = IncomeStatement.objects.filter(household=household, period_end__lte=on).order_by(
        "-period_end", "-id"
    )
    return Subquery(latest.values("net_income")[:1], output_field=DecimalField())


def tabled_incomes() -> bool:
    """Whether the run tables each household's latest income (``LATEST_INCOME``) rather than looking it up
    per household: on PostgreSQL, where a hash join over the table beats 400,000 index lookups (5.3 s to
    2.1 s for MED-03 at 1M households); SQLite's lookups are cheaper than building the table (1.3 s against
    2.4 s, bench/screening.py)."""
    return connection.vendor == "postgresql"


def _income_share(
    share: Mapping[str, Any], *, source: str, on: dt.date, resolve: Resolve, household: str
) -> Q:
    """The households whose total amount of ``source`` data over the window is above their latest net
    income times the ratio (or who have no positive income): the totals grouped once, then each household's
    latest income — set-based, never a total per row."""
    from bangfu.registry.models import IncomeStatement

    ratio = Decimal(str(resolve_value(share.get("value"), resolve)))
    totals = (
        _share_rows(share, source=source, on=on)
        .filter(household__isnull=False)
        .values("household_id")
        .annotate(total=Sum("amount"))
    )
    inner, params = totals.query.sql_with_params()
    extra: tuple[Any, ...]
    if tabled_incomes():
        joined, income, extra = (
            f" LEFT JOIN {LATEST_INCOME} i ON i.household_id = t.household_id",
            "i.net_income",
            (),
        )
    else:
        statements = connection.ops.quote_name(IncomeStatement._meta.db_table)
        joined, extra = "", (connection.ops.adapt_datefield_value(on),)
        income = (
            f"(SELECT s.net_income FROM {statements} s WHERE s.household_id = t.household_id"  # noqa: S608
            " AND s.period_end <= %s ORDER BY s.period_end DESC, s.id DESC LIMIT 1)"
        )
    # The income counts when positive (GREATEST of NULL and 0 is NULL on SQLite, 0 on PostgreSQL: NULLIF
    # makes both NULL) — written once, so that it is looked up once; without a positive income any total
    # is over the bound (-1).
    greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"
    above = ">" if share.get("op") == "gt" else ">="
    sql = (
        f"SELECT t.household_id FROM ({inner}) t{joined}"  # noqa: S608
        f" WHERE t.total {above} COALESCE(NULLIF({greatest}({income}, 0), 0) * %s, -1)"
    )
    # The inner query compiled by Django, tables named from the models and this module; values are
    # parameters.
    return Q(**{f"{household}_id__in": RawSQL(sql, (*params, *extra, ratio))})  # noqa: S611


def share_facts(condition: Sequence[Any], *, source: str, on: dt.date) -> dict[str, Any]:
    """For a condition over a household's total: the total and the income it was compared with, as
    expressions over a warning's row (label → expression; evaluated only for the rows that warn)."""
    for term in terms(condition):
        if "income_share" in term:
            total = (
                _share_rows(term["income_share"], source=source, on=on)
                .filter(household=OuterRef("household_id"))
                .values("household")
                .annotate(total=Sum("amount"))
                .values("total")
            )
            return {
                str(_("累计金额")): Subquery(total, output_field=DecimalField()),
                str(_("家庭纯收入")): _latest_income(OuterRef("household_id"), on=on),
            }
    return {}


def _comparison(path: str, term: Mapping[str, Any], resolve: Resolve) -> Q:
    op = str(term["op"])
    value = resolve_value(term.get("value"), resolve)
    q = Q(**{f"{path}__{OPS[op]}": value})
    return ~q if op in {"ne", "not_in"} else q


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
