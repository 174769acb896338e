"""Running the screening rules (``bangfu screen``, the nightly job): every rule in force, set-based.

For each rule one SQL query finds its facts: the rows of the rule's source (the current version of each
department upload, matched to an active household; or each household's latest income statement) dated
within the rule's window, in the counties the run covers, that meet the condition — with the policy values
in force on the screening day for each county (counties with the same values share one branch of the
query). Only the matching rows come back to Python, which turns each into a warning for its household,
routed to the village with the feedback deadline of the county's policy, its facts spelled out. A warning
is keyed by rule, household and episode (a digest of the facts' natural keys: the person, the day, the
category …), so the same facts never warn twice, whichever upload or run they come from; the insert skips
episodes already warned in one statement per batch.

A dry run does the same queries and writes nothing: how many households each rule would flag, how many of
them would be new — the preview before a new rule is enabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.datasets.layouts import columns as dataset_columns
from bangfu.datasets.models import DatasetKind, DatasetRecord, DatasetVersion
from bangfu.monitoring import rules
from bangfu.monitoring.models import (
    INCOME_SOURCE,
    ScreeningRule,
    ScreeningRun,
    ScreeningWarning,
    WarningStatus,
)
from bangfu.policy import deadlines, resolution
from bangfu.policy.exceptions import PolicyNotSet
from bangfu.regions.codes import Level, full_code, prefix_bounds
from bangfu.regions.models import Region
from bangfu.registry.models import HouseholdStatus, IncomeStatement

if TYPE_CHECKING:
    from bangfu.accounts.models import User

BATCH: Final = 2000
FEEDBACK_KEY: Final = "deadline.warning_feedback"
INCOME_LABELS: Final = {"net_income_per_capita": "人均纯收入", "net_income": "家庭纯收入"}


class ScreeningError(Exception):
    """The run cannot start (a policy value it needs is not set); the message is Chinese."""


@dataclass
class RuleResult:
    """What one rule found: the households it flagged, how many warnings are new, per county."""

    code: str
    name: str
    flagged: int = 0
    new: int = 0
    by_county: Counter[str] = field(default_factory=Counter)
    # Counties the rule could not run in, with why (a policy value it reads is not set there).
    skipped: dict[str, str] = field(default_factory=dict)


# --- which rules, where -------------------------------------------------------------------------------------


def rules_in_force(
    *, on: dt.date, codes: Sequence[str] | None = None, include_disabled: bool = False
) -> list[ScreeningRule]:
    """For each rule code and region prefix, the version in force on ``on`` (the latest ``effective_from``);
    disabled rules only when asked (a dry run previewing them)."""
    qs = ScreeningRule.objects.in_force(on).order_by("code", "region_prefix", "-effective_from", "-id")
    if codes:
        qs = qs.filter(code__in=codes)
    if not include_disabled:
        qs = qs.filter(enabled=True)
    chosen: dict[tuple[str, str], ScreeningRule] = {}
    for rule in qs:
        chosen.setdefault((rule.code, rule.region_prefix), rule)
    return list(chosen.values())


def _range(prefix: str, path: str = "region_code") -> Q:
    if not prefix:
        return Q()
    low, high = prefix_bounds(prefix)
    return Q(**{f"{path}__gte": low, f"{path}__lt": high})


def _rule_scope(rule: ScreeningRule, all_rules: Sequence[ScreeningRule]) -> Q:
    """Where ``rule`` applies: its region, minus the regions where a more specific version of the same code
    applies instead."""
    q = _range(rule.region_prefix)
    for other in all_rules:
        if (
            other.code == rule.code
            and len(other.region_prefix) > len(rule.region_prefix)
            and other.region_prefix.startswith(rule.region_prefix)
        ):
            q &= ~_range(other.region_prefix)
    return q


def counties(region_prefix: str) -> list[str]:
    """The county prefixes (6 digits) the run covers: those under ``region_prefix``, or the one above it."""
    if len(region_prefix) > 6:
        return [region_prefix[:6]]
    codes = Region.objects.filter(level=Level.COUNTY).filter(_range(region_prefix, "code"))
    return sorted(code[:6] for code in codes.values_list("code", flat=True))


# --- the facts of a source ----------------------------------------------------------------------------------


def _source_rows(source: str, *, on: dt.date, window_days: int) -> QuerySet[Any]:
    since = on - dt.timedelta(days=window_days)
    if source == INCOME_SOURCE:
        newer = IncomeStatement.objects.filter(
            household=OuterRef("household_id"), period_end__gt=OuterRef("period_end"), period_end__lte=on
        )
        return IncomeStatement.objects.filter(
            period_end__gt=since, period_end__lte=on, household__status=HouseholdStatus.ACTIVE
        ).filter(~Exists(newer))
    dated = Q(event_date__gt=since, event_date__lte=on) | Q(
        event_date__isnull=True, start_date__gt=since, start_date__lte=on
    )
    return DatasetRecord.objects.filter(
        kind=source,
        version__is_current=True,
        household__isnull=False,
        household__status=HouseholdStatus.ACTIVE,
    ).filter(dated)


def _columns(source: str, compared: Sequence[str]) -> list[str]:
    if source == INCOME_SOURCE:
        return ["id", "household_id", "region_code", "period_start", "period_end", *compared]
    return [
        "id",
        "household_id",
        "region_code",
        "row",
        "id_number_index",
        "event_date",
        "start_date",
        "category",
        "grade",
        "version__number",
        "version__sector",
        "version__period_start",
        "version__period_end",
        *compared,
    ]


def _episode(source: str, row: dict[str, Any], *, yearly: int | None = None) -> str:
    """A digest of the facts' natural keys: the same facts from another upload or run give the same one. A
    rule over a household's total (``yearly``: the screening year) has one episode per household and year,
    whichever of its rows carried it past the bound."""
    if yearly is not None:
        parts = [source, "total", str(yearly)]
    elif source == INCOME_SOURCE:
        parts = [source, str(row["period_start"]), str(row["period_end"])]
    else:
        parts = [
            source,
            row["id_number_index"],
            str(row["event_date"] or row["start_date"] or ""),
            row["category"],
            row["grade"],
        ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _labels(source: str) -> dict[str, str]:
    if source == INCOME_SOURCE:
        return dict(INCOME_LABELS)
    return {column.field: column.label for column in dataset_columns(source)}


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(map(str, value))
    return "" if value is None else str(value)


def _tests(condition: Sequence[Any], resolve: rules.Resolve, labels: dict[str, str]) -> list[dict[str, str]]:
    """The comparisons of the condition's fact fields with the values resolved for this county."""
    out: list[dict[str, str]] = []
    for term in rules.terms(condition):
        if "field" not in term:
            continue
        value = term.get("value")
        out.append(
            {
                "field": labels.get(term["field"], term["field"]),
                "op": rules.OP_SYMBOLS[term["op"]],
                "threshold": _text(rules.resolve_value(value, resolve)),
                "policy": str(value.get("policy", "")) if isinstance(value, dict) else "",
            }
        )
    return out


class _FactWriter:
    """A rule's facts as the JSON text a warning stores: the parts shared by every row (the source, the
    comparisons with this county's thresholds) are made once; per row only its values."""

    def __init__(self, rule: ScreeningRule, labels: dict[str, str]) -> None:
        self.rule = rule
        self.labels = labels
        self.compared = rules.fields_of(rule.condition)
        self.income = rule.source == INCOME_SOURCE
        self.source_label = str(_("农户收支情况")) if self.income else str(DatasetKind(rule.source).label)
        self.tests: dict[str, list[dict[str, str]]] = {}

    def json(self, row: dict[str, Any], resolve: rules.Resolve, county: str) -> str:
        if county not in self.tests:
            self.tests[county] = _tests(self.rule.condition, resolve, self.labels)
        labels = self.labels
        values = {labels.get(name, name): _text(row.get(name)) for name in self.compared}
        facts: dict[str, Any] = {"source": self.rule.source, "source_label": self.source_label}
        if self.income:
            facts["period"] = [_text(row["period_start"]), _text(row["period_end"])]
        else:
            for name in ("event_date", "start_date"):
                if row.get(name) and labels.get(name) and labels[name] not in values:
                    values[labels[name]] = _text(row[name])
            facts["version"] = row["version__number"]
            facts["period"] = [_text(row["version__period_start"]), _text(row["version__period_end"])]
            facts["row"] = row["row"]
        facts["values"] = values
        facts["tests"] = self.tests[county]
        return json.dumps(facts, ensure_ascii=False)


# --- the run ------------------------------------------------------------------------------------------------


class _Policies:
    """The policy values a rule reads, per county (one query per county and set of keys)."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self.cache: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}

    def values(self, county: str, keys: Sequence[str]) -> dict[str, Any]:
        """Raises ``PolicyNotSet`` when one of ``keys`` has no value in force for the county."""
        cache_key = (county, tuple(keys))
        if cache_key not in self.cache:
            self.cache[cache_key] = resolution.values_for(keys, region=full_code(county), on=self.on)
        return self.cache[cache_key]


def _due_dates(county_codes: Sequence[str], on: dt.date) -> dict[str, dt.date]:
    schedules = deadlines.official_schedules(from_year=on.year)
    due: dict[str, dt.date] = {}
    for county in county_codes:
        try:
            due[county] = deadlines.due_date(
                key=FEEDBACK_KEY, start=on, region=full_code(county), schedules=schedules
            ).date
        except PolicyNotSet as exc:
            raise ScreeningError(str(exc)) from exc
    return due


def screen(
    *,
    on: dt.date,
    by: User | None = None,
    region_prefix: str = "",
    codes: Sequence[str] | None = None,
    versions: Sequence[int] | None = None,
    dry_run: bool = False,
) -> tuple[ScreeningRun, list[RuleResult]]:
    """Run every rule in force on ``on`` (or those of ``codes``; a dry run also previews disabled ones) over
    the counties under ``region_prefix`` (default: all). Returns the run and what each rule found.

    With ``versions`` (department uploads just stored) the run is incremental: only the rules that read
    those kinds of data run, over those uploads' rows only — what is already warned stays as it is.

    Raises ``ScreeningError`` when the feedback deadline is not set for a county. Side effects (not in a
    dry run): new warnings (one transaction), the run, one audit event.
    """
    started = timezone.now()
    chosen = rules_in_force(on=on, codes=codes, include_disabled=dry_run and bool(codes))
    if versions is not None:
        kinds = set(DatasetVersion.objects.filter(pk__in=versions).values_list("kind", flat=True))
        chosen = [rule for rule in chosen if rule.source in kinds]
    county_codes = counties(region_prefix)
    policies = _Policies(on)
    due = _due_dates(county_codes, on) if county_codes else {}
    results: list[RuleResult] = []
    pending: list[tuple[Any, ...]] = []
    for rule in chosen:
        result, rows = _run_rule(
            rule, chosen, county_codes=county_codes, policies=policies, on=on, due=due, versions=versions
        )
        results.append(result)
        pending.extend(rows)
    run = ScreeningRun(
        as_of=on, region_prefix=region_prefix, dry_run=dry_run, started_at=started, created_by=by
    )
    with transaction.atomic():
        if not dry_run:
            _insert(pending)
        run.created_warnings = len(pending)
        run.counts = {
            "rules": {
                r.code: {
                    "name": r.name,
                    "flagged": r.flagged,
                    "new": r.new,
                    "by_county": dict(r.by_county),
                    "skipped": r.skipped,
                }
                for r in results
            },
            "by_county": dict(sum((r.by_county for r in results), Counter())),
        }
        run.finished_at = timezone.now()
        if not dry_run:
            run.save()
            events.created(
                actor=by,
                obj=run,
                after={"as_of": on, "region_prefix": region_prefix, "created_warnings": run.created_warnings},
            )
    return run, results


WARNING_COLUMNS: Final = (
    "household_id",
    "region_code",
    "rule_id",
    "rule_code",
    "risk_type",
    "sector",
    "episode",
    "facts",
    "screened_on",
    "due_on",
    "status",
    "answer_reason",
    "created_at",
)


def _insert(rows: Sequence[tuple[Any, ...]]) -> None:
    """The new warnings; an episode warned meanwhile by a concurrent run is skipped by the unique constraint
    (ON CONFLICT DO NOTHING). PostgreSQL: COPY into a temporary table, then one INSERT … SELECT; SQLite: one
    INSERT per batch."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(ScreeningWarning._meta.db_table)
    columns = ", ".join(ops.quote_name(name) for name in WARNING_COLUMNS)
    # Identifiers come from the model's metadata; every value is a parameter or copied data.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            create = f"CREATE TEMPORARY TABLE new_warnings ON COMMIT DROP AS SELECT {columns} FROM {table}"  # noqa: S608
            cursor.execute(f"{create} WITH NO DATA")
            with cursor.cursor.copy(f"COPY new_warnings ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM new_warnings ON CONFLICT DO NOTHING"  # noqa: S608
            )
            cursor.execute("DROP TABLE new_warnings")
        return
    marks = ", ".join(["%s"] * len(WARNING_COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _run_rule(
    rule: ScreeningRule,
    all_rules: Sequence[ScreeningRule],
    *,
    county_codes: Sequence[str],
    policies: _Policies,
    on: dt.date,
    due: dict[str, dt.date],
    versions: Sequence[int] | None = None,
) -> tuple[RuleResult, list[tuple[Any, ...]]]:
    """What the rule finds, and the rows of its new warnings (``WARNING_COLUMNS``): one query for the facts,
    one for the episodes already warned; facts are spelled out only for the new ones."""
    result = RuleResult(code=rule.code, name=rule.name)
    keys = rules.policy_keys(rule.condition)
    # Counties with the same policy values share one branch of the query.
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    resolved: dict[str, dict[str, Any]] = {}
    for county in county_codes:
        try:
            resolved[county] = policies.values(county, keys) if keys else {}
        except PolicyNotSet as exc:
            # Not run where a threshold it needs is not set: reported per county, the other rules go on.
            result.skipped[county] = str(exc)
            continue
        groups[tuple(repr(resolved[county][key]) for key in keys)].append(county)
    if not groups:
        return result, []
    condition = Q(pk__in=[])
    for members in groups.values():
        where = Q(pk__in=[])
        for county in members:
            where |= _range(county)
        condition |= where & rules.compile_condition(
            rule.condition, source=rule.source, on=on, resolve=resolved[members[0]].__getitem__
        )
    columns = _columns(rule.source, rules.fields_of(rule.condition))
    source = _source_rows(rule.source, on=on, window_days=rule.window_days)
    if versions is not None:
        source = source.filter(version_id__in=versions)
    rows = source.filter(_rule_scope(rule, all_rules)).filter(condition).values(*columns)
    existing = set(
        ScreeningWarning.objects.filter(rule_code=rule.code).values_list("household_id", "episode")
    )
    facts = _FactWriter(rule, _labels(rule.source))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value
    screened_on = adapt_date(on)
    due_on = {county: adapt_date(day) for county, day in due.items()}
    yearly = on.year if rules.is_aggregate(rule.condition) else None
    households: set[int] = set()
    seen: set[tuple[int, str]] = set()
    new: list[tuple[Any, ...]] = []
    for row in rows:
        household = row["household_id"]
        households.add(household)
        key = (household, _episode(rule.source, row, yearly=yearly))
        # One warning per household and episode, however many rows (two uploads of one stay) carry it.
        if key in seen:
            continue
        seen.add(key)
        county = row["region_code"][:6]
        result.by_county[county] += 1
        if key in existing:
            continue
        new.append(
            (
                household,
                row["region_code"],
                rule.pk,
                rule.code,
                rule.risk_type,
                row.get("version__sector", ""),
                key[1],
                facts.json(row, resolved[county].__getitem__, county),
                screened_on,
                due_on[county],
                WarningStatus.NEW.value,
                "",
                now,
            )
        )
    result.flagged = len(households)
    result.new = len(new)
    return result, new
