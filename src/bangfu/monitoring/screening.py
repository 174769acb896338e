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
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from django.db import DatabaseError, connection, transaction
from django.db.models import Case, DateField, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Coalesce, Concat, JSONArray, JSONObject, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import bulkwrite, setbased
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

logger = logging.getLogger(__name__)

EPISODE_LENGTH: Final = 40
FEEDBACK_KEY: Final = "deadline.warning_feedback"


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
    """The rows a rule over ``source`` reads: dated within its window, of an active household (for the
    income source, ``_latest_only`` then keeps each household's latest statement)."""
    since = on - dt.timedelta(days=window_days)
    if source == INCOME_SOURCE:
        return IncomeStatement.objects.filter(
            period_end__gt=since, period_end__lte=on, household__status=HouseholdStatus.ACTIVE
        )
    dated = Q(event_date__gt=since, event_date__lte=on) | Q(
        event_date__isnull=True, start_date__gt=since, start_date__lte=on
    )
    return DatasetRecord.objects.filter(
        kind=source,
        version__is_current=True,
        household__isnull=False,
        household__status=HouseholdStatus.ACTIVE,
    ).filter(dated)


def _latest_only(rows: QuerySet[Any], *, source: str, on: dt.date) -> QuerySet[Any]:
    """For the income source, each household's latest statement up to ``on``: the rows without a newer
    statement, tested after the rule's condition (on both databases). Only the few statements under the
    line are looked up, and the rule needs no table of every household's latest statement: on PostgreSQL
    an anti join of the 115,000 statements under the line took 1.7 s at 1M households where the semi join
    with ``rules.LATEST_INCOME`` took 1.8 s after 0.8 s building the table (bench/screening.py)."""
    if source != INCOME_SOURCE:
        return rows
    # Newer: a later end, or the same end and a later id (the tie broken as ``rules.LATEST_INCOME`` does).
    newer = IncomeStatement.objects.filter(household=OuterRef("household_id"), period_end__lte=on).filter(
        Q(period_end__gt=OuterRef("period_end")) | Q(period_end=OuterRef("period_end"), pk__gt=OuterRef("pk"))
    )
    return rows.filter(~Exists(newer))


def _reads_income(rule: ScreeningRule) -> bool:
    return rule.source == INCOME_SOURCE or rules.is_aggregate(rule.condition)


def _tables_incomes(rule: ScreeningRule) -> bool:
    """Whether the rule reads ``rules.LATEST_INCOME`` (where ``rules.tabled_incomes``): a rule over a
    household's total, which compares ~400,000 households' totals with their incomes (an income rule
    looks up its few rows' newer statements instead, ``_latest_only``)."""
    return rules.is_aggregate(rule.condition)


def _tabulate_latest_incomes(on: dt.date) -> None:
    """``rules.LATEST_INCOME`` (PostgreSQL): each household's latest income statement up to ``on``, in one
    sorted pass over the statements, for the rules over a household's total. Analysed for the planner's
    estimates, without an index: the rules hash-join the whole table (an index on household_id cost
    0.18 s of the 0.8 s build at 1M households and no plan used it)."""
    statements = connection.ops.quote_name(IncomeStatement._meta.db_table)
    table = rules.LATEST_INCOME
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table} AS SELECT DISTINCT ON (household_id) household_id,"  # noqa: S608
            f" id AS statement_id, net_income FROM {statements} WHERE period_end <= %s"
            " ORDER BY household_id, period_end DESC, id DESC",
            [on],
        )
        cursor.execute(f"ANALYZE {table}")


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
        if "income_share" in term:
            term = {"field": str(_("累计金额占家庭纯收入比例")), **term["income_share"]}
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
    dry run): new warnings, the run, one audit event — one transaction.
    """
    started = timezone.now()
    chosen = rules_in_force(on=on, codes=codes, include_disabled=dry_run and bool(codes))
    if versions is not None:
        kinds = set(DatasetVersion.objects.filter(pk__in=versions).values_list("kind", flat=True))
        chosen = [rule for rule in chosen if rule.source in kinds]
    county_codes = counties(region_prefix)
    policies = _Policies(on)
    due = _due_dates(county_codes, on) if county_codes else {}
    run = ScreeningRun(
        as_of=on, region_prefix=region_prefix, dry_run=dry_run, started_at=started, created_by=by
    )
    common: dict[str, Any] = {
        "county_codes": county_codes,
        "policies": policies,
        "on": on,
        "due": due,
        "versions": versions,
        "region_prefix": region_prefix,
    }
    if _parallel(chosen):
        with _shared_hits() as hits, ThreadPoolExecutor(max_workers=PARALLEL_SESSIONS) as pool:
            # The heaviest rules (those reading incomes) first, so that the sessions finish together.
            ordered = sorted(range(len(chosen)), key=lambda i: not _reads_income(chosen[i]))
            futures = {
                i: pool.submit(_rule_in_session, chosen[i], chosen, hits=hits, **common) for i in ordered
            }
            # The first failure stops the run: the rules not started are cancelled, every failure logged.
            wait(futures.values(), return_when=FIRST_EXCEPTION)
            failed = [future for future in futures.values() if future.done() and future.exception()]
            if failed:
                pool.shutdown(cancel_futures=True)
                for future in failed:
                    logger.error("screening rule failed", exc_info=future.exception())
                raise failed[0].exception()  # type: ignore[misc]
            results = [futures[i].result() for i in range(len(chosen))]
            with transaction.atomic(), connection.cursor() as cursor:
                _session_settings(cursor)
                _finish(run, results, hits=hits, by=by)
    else:
        incomes = any(_tables_incomes(rule) for rule in chosen)
        with transaction.atomic(), _work_tables(on=on, incomes=incomes) as hits:
            results = [_run_rule(rule, chosen, hits=hits, **common) for rule in chosen]
            _finish(run, results, hits=hits, by=by)
    return run, _per_code(results)


def _finish(run: ScreeningRun, results: Sequence[RuleResult], *, hits: str, by: User | None) -> None:
    """The run's end, in its transaction: the new warnings of every rule written, the run and its counts
    saved (not in a dry run), one audit event."""
    merged = _per_code(results)
    run.created_warnings = sum(r.new for r in merged)
    if not run.dry_run and run.created_warnings:
        run.created_warnings = _write_new(run.as_of, run.created_warnings, hits=hits)
    run.counts = {
        "rules": {
            r.code: {
                "name": r.name,
                "flagged": r.flagged,
                "new": r.new,
                "by_county": dict(r.by_county),
                "skipped": r.skipped,
            }
            for r in merged
        },
        "by_county": dict(sum((r.by_county for r in merged), Counter())),
    }
    run.finished_at = timezone.now()
    if not run.dry_run:
        run.save()
        events.created(
            actor=by,
            obj=run,
            after={
                "as_of": run.as_of,
                "region_prefix": run.region_prefix,
                "created_warnings": run.created_warnings,
            },
        )


# --- on PostgreSQL, the rules in parallel sessions ----------------------------------------------------------

# The rules are independent: on PostgreSQL a full run (outside any transaction of the caller) computes them
# in this many sessions at once, each rule in its own transaction writing to a shared unlogged table; the
# warnings are then written in one transaction as in a sequential run. (SQLite has one writer: sequential.)
PARALLEL_SESSIONS: Final = 2


def _parallel(chosen: Sequence[ScreeningRule]) -> bool:
    """Only where nothing of the caller's is uncommitted (the sessions see committed data only)."""
    return (
        connection.vendor == "postgresql"
        and connection.get_autocommit()
        and not connection.in_atomic_block
        and len(chosen) > 1
    )


SHARED_PREFIX: Final = "monitoring_hits_"
# A run's shared table older than this was left by a killed process (no run lasts an hour).
STALE_AFTER: Final = dt.timedelta(hours=6)


@contextmanager
def _shared_hits() -> Iterator[str]:
    """An unlogged table of this run's hits, seen by every session, dropped at the end whatever happens.
    Its name carries its creation time: tables left by a killed run are swept by a later one. (A regular
    table: the database role needs CREATE on its schema, as it does for the migrations.)"""
    ops = connection.ops
    now = timezone.now()
    name = f"{SHARED_PREFIX}{int(now.timestamp())}_{uuid.uuid4().hex[:8]}"
    columns = ", ".join(ops.quote_name(column) for column in [*HIT_COLUMNS, *RULE_COLUMNS])
    warnings = ops.quote_name(ScreeningWarning._meta.db_table)
    with connection.cursor() as cursor:
        _sweep_shared(cursor, before=now - STALE_AFTER)
        cursor.execute(f"CREATE UNLOGGED TABLE {name} AS SELECT {columns} FROM {warnings} WHERE 1 = 0")  # noqa: S608
        cursor.execute(f"CREATE INDEX {name}_rule ON {name} (rule_id)")
    try:
        yield name
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
        except DatabaseError:
            # Not in place of the run's own error; a later run sweeps the table.
            logger.exception("could not drop the screening table %s", name)


def _sweep_shared(cursor: Any, *, before: dt.datetime) -> None:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE %s",
        [f"{SHARED_PREFIX}%"],
    )
    for (table,) in cursor.fetchall():
        stamp = table[len(SHARED_PREFIX) :].split("_")[0]
        if stamp.isdigit() and int(stamp) < before.timestamp():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _rule_in_session(rule: ScreeningRule, all_rules: Sequence[ScreeningRule], **kwargs: Any) -> RuleResult:
    """One rule in a worker thread's own session and transaction (its hits committed to the shared table)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _session_settings(cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {rules.LATEST_INCOME}")
            if _tables_incomes(rule):
                _tabulate_latest_incomes(kwargs["on"])
            return _run_rule(rule, all_rules, **kwargs)
    finally:
        connection.close()


def _per_code(results: Sequence[RuleResult]) -> list[RuleResult]:
    """One result per rule code: the versions of a code in force for different regions add up (their
    regions do not overlap)."""
    merged: dict[str, RuleResult] = {}
    for result in results:
        into = merged.setdefault(result.code, RuleResult(code=result.code, name=result.name))
        into.flagged += result.flagged
        into.new += result.new
        into.by_county.update(result.by_county)
        into.skipped.update(result.skipped)
    return list(merged.values())


# --- a rule's warnings, written by the database -------------------------------------------------------------

HITS: Final = "monitoring_screening_hits"
# The columns a rule's query gives for each matching row; the rest of a warning is the same for all of them.
HIT_COLUMNS: Final = ("household_id", "region_code", "sector", "episode", "facts", "due_on")
# And the rule's, the same for all its rows.
RULE_COLUMNS: Final = ("rule_id", "rule_code", "risk_type")


def _session_settings(cursor: Any) -> None:
    """PostgreSQL, for the transaction only. The JIT compiles these queries for longer than they run (2.9 s
    of a 5.5 s rule at 1M households); hash joins over a million households and statements stay in memory
    instead of spilling to disk in batches (the default is 4 MB); the few rows a rule finds are looked up
    by index rather than by hashing the whole household table (the default random_page_cost is for
    spinning disks)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL random_page_cost = 1.1")


@contextmanager
def _work_tables(*, on: dt.date, incomes: bool) -> Iterator[str]:
    """A sequential run's temporary tables: the rows one rule finds (its warnings to be, existing episodes
    included), counted and the new ones written from there without coming back to Python; and, when a rule
    compares a household's total with its income, each household's latest statement
    (``rules.LATEST_INCOME``). Yields the hits table."""
    ops = connection.ops
    table = ops.quote_name(ScreeningWarning._meta.db_table)
    columns = ", ".join(ops.quote_name(name) for name in [*HIT_COLUMNS, *RULE_COLUMNS])
    with connection.cursor() as cursor:
        _session_settings(cursor)
        for name in (HITS, rules.LATEST_INCOME):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        # Names come from this module and the model's metadata.
        cursor.execute(f"CREATE TEMPORARY TABLE {HITS} AS SELECT {columns} FROM {table} WHERE 1 = 0")  # noqa: S608
        # Each rule's rows are counted among all the rules' (without it, a scan of them all per count).
        cursor.execute(f"CREATE INDEX {HITS}_rule ON {HITS} (rule_id)")
    if incomes and rules.tabled_incomes():
        _tabulate_latest_incomes(on)
    yield HITS
    # (After an error the transaction's rollback takes the tables away.)
    with connection.cursor() as cursor:
        for name in (HITS, rules.LATEST_INCOME):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _episode(rule: ScreeningRule, on: dt.date) -> Any:
    """The episode of a row, computed by the database: a digest of the facts' natural keys (the person, the
    day, the category and grade; an income statement's period), so that the same facts from another upload or
    run give the same one. A rule over a household's total has one episode per household and year, whichever
    of its rows carried it past the bound."""
    if rules.is_aggregate(rule.condition):
        text = "|".join([rule.source, "total", str(on.year)])
        return Value(hashlib.sha256(text.encode()).hexdigest()[:EPISODE_LENGTH])
    if rule.source == INCOME_SOURCE:
        parts: list[Any] = [
            Value(f"{rule.source}|"),
            setbased.DayText(F("period_start")),
            Value("|"),
            setbased.DayText(F("period_end")),
        ]
    else:
        parts = [
            Value(f"{rule.source}|"),
            F("id_number_index"),
            Value("|"),
            Coalesce(
                setbased.DayText(F("event_date")),
                setbased.DayText(F("start_date")),
                Value(""),
                output_field=TextField(),
            ),
            Value("|"),
            F("category"),
            Value("|"),
            F("grade"),
        ]
    return Substr(setbased.Sha256Hex(Concat(*parts, output_field=TextField())), 1, EPISODE_LENGTH)


def _facts(rule: ScreeningRule, tests: list[dict[str, str]], on: dt.date) -> Any:
    """The facts a warning shows, as JSON built by the database: the source, the upload's version, period
    and row (an income statement's period), the values the condition compared (and the day of the fact),
    and the comparisons with the thresholds of the county."""
    income = rule.source == INCOME_SOURCE
    model = IncomeStatement if income else DatasetRecord
    labels = rules.field_labels(rule.source)
    compared = rules.fields_of(rule.condition)
    values: dict[str, Any] = {
        labels.get(name, name): Coalesce(
            setbased.field_text(model, name), Value(""), output_field=TextField()
        )
        for name in compared
    }
    facts: dict[str, Any] = {
        "source": Value(rule.source),
        "source_label": Value(str(_("农户收支情况")) if income else str(DatasetKind(rule.source).label)),
    }
    if income:
        facts["period"] = JSONArray(setbased.DayText(F("period_start")), setbased.DayText(F("period_end")))
    else:
        for name in ("event_date", "start_date"):
            if labels.get(name) and labels[name] not in values:
                values[labels[name]] = setbased.DayText(F(name))  # left out where the row has none
        facts["version"] = F("version__number")
        facts["period"] = JSONArray(
            setbased.DayText(F("version__period_start")), setbased.DayText(F("version__period_end"))
        )
        facts["row"] = F("row")
    for label, total in rules.share_facts(rule.condition, source=rule.source, on=on).items():
        values[label] = setbased.MoneyText(total)
    facts["values"] = setbased.StripNulls(JSONObject(**values))
    facts["tests"] = setbased.JSONText(json.dumps(tests, ensure_ascii=False))
    return JSONObject(**facts)


def _due_on(county_codes: Sequence[str], due: dict[str, dt.date]) -> Any:
    """Each row's feedback deadline: its county's (counties with the same day share one branch)."""
    days: dict[dt.date, list[str]] = defaultdict(list)
    for county in county_codes:
        days[due[county]].append(county)
    if len(days) == 1:
        return Value(next(iter(days)), output_field=DateField())
    whens = []
    for day, members in days.items():
        where = Q(pk__in=[])
        for county in members:
            where |= _range(county)
        whens.append(When(where, then=Value(day, output_field=DateField())))
    # A village whose county is not in the region table (a data error) gets the latest of the deadlines.
    return Case(*whens, default=Value(max(days), output_field=DateField()), output_field=DateField())


def _run_rule(
    rule: ScreeningRule,
    all_rules: Sequence[ScreeningRule],
    *,
    county_codes: Sequence[str],
    policies: _Policies,
    on: dt.date,
    due: dict[str, dt.date],
    versions: Sequence[int] | None,
    region_prefix: str,
    hits: str,
) -> RuleResult:
    """What the rule finds: one query per group of counties with the same policy values adds its rows to
    the hits table (every matching row with its episode and facts, built by the database), then two
    counts (flagged, per county; not warned yet). The run writes the new warnings of all rules at the end
    (``_write_new``)."""
    result = RuleResult(code=rule.code, name=rule.name)
    keys = rules.policy_keys(rule.condition)
    # Counties with the same policy values share one query.
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
        return result
    source = _source_rows(rule.source, on=on, window_days=rule.window_days)
    if versions is not None:
        source = source.filter(version_id__in=versions)
    source = source.filter(_rule_scope(rule, all_rules))
    labels = rules.field_labels(rule.source)
    for members in groups.values():
        resolve = resolved[members[0]].__getitem__
        if len(groups) == 1 and not result.skipped:
            where = _range(region_prefix)  # every county of the run: no list of counties to test
        else:
            where = Q(pk__in=[])
            for county in members:
                where |= _range(county)
        condition = rules.compile_condition(rule.condition, source=rule.source, on=on, resolve=resolve)
        found = (
            _latest_only(source.filter(where & condition), source=rule.source, on=on)
            .annotate(
                episode=_episode(rule, on),
                facts=_facts(rule, _tests(rule.condition, resolve, labels), on),
                due_on=_due_on(members, due),
                **({"sector": Value("")} if rule.source == INCOME_SOURCE else {}),
            )
            .values(*HIT_COLUMNS)
        )
        setbased.insert_from(
            hits, found, constants={"rule_id": rule.pk, "rule_code": rule.code, "risk_type": rule.risk_type}
        )
    _count(result, rule, hits=hits)
    return result


def _count(result: RuleResult, rule: ScreeningRule, *, hits: str) -> None:
    """The households the rule flagged, its episodes per county (one warning each) and how many of them
    are not warned yet."""
    with connection.cursor() as cursor:
        # An episode counts once, in one county, whatever village codes its rows carry.
        cursor.execute(
            "SELECT county, COUNT(*) FROM (SELECT household_id, episode,"  # noqa: S608
            f" MIN(SUBSTR(region_code, 1, 6)) AS county FROM {hits} WHERE rule_id = %s"
            " GROUP BY household_id, episode) e GROUP BY county",
            [rule.pk],
        )
        for county, episodes in cursor.fetchall():
            result.by_county[county] = episodes
        cursor.execute(f"SELECT COUNT(DISTINCT household_id) FROM {hits} WHERE rule_id = %s", [rule.pk])  # noqa: S608
        result.flagged = int(cursor.fetchone()[0])
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT DISTINCT household_id, episode FROM {hits}"  # noqa: S608
            f" WHERE rule_id = %s AND {_not_warned(hits)}) e",
            [rule.pk],
        )
        result.new = int(cursor.fetchone()[0])


def _not_warned(hits: str) -> str:
    """An episode is new when no warning of the same rule code has it for the household."""
    return (
        f"NOT EXISTS (SELECT 1 FROM {ScreeningWarning._meta.db_table} w"  # noqa: S608
        f" WHERE w.household_id = {hits}.household_id AND w.rule_code = {hits}.rule_code"
        f" AND w.episode = {hits}.episode)"
    )


# From this many new warnings on, PostgreSQL checks their foreign keys in one join (the constraints are
# dropped and added back in the run's transaction) instead of one locking lookup per row and key: 4.4 s
# for 180,000 warnings at 1M households. The warnings are locked for the rest of the run (and households
# and rules against writes), so small runs — an upload's incremental screening — keep the per-row checks.
BULK_CHECK_FROM: Final = 20_000


def _write_new(on: dt.date, expected: int, *, hits: str) -> int:
    """The warnings of every rule's episodes not warned yet (one per household and episode, whichever row
    carries it), in one statement; an episode a concurrent run warned meanwhile is skipped by the unique
    constraint."""
    ops = connection.ops
    table = ScreeningWarning._meta.db_table
    constants: dict[str, Any] = {
        "screened_on": ops.adapt_datefield_value(on),
        "status": WarningStatus.NEW.value,
        "answer_reason": "",
        "created_at": ops.adapt_datetimefield_value(timezone.now()),
    }
    copied = [*HIT_COLUMNS, *RULE_COLUMNS]
    columns = ", ".join(ops.quote_name(name) for name in [*copied, *constants])
    picked = ", ".join([*(ops.quote_name(name) for name in copied), *(["%s"] * len(constants))])
    bulk = connection.vendor == "postgresql" and expected >= BULK_CHECK_FROM
    # The household and rule keys (answered_by is empty on a new warning: nothing to check); households
    # and rules take no writes until the run commits, seconds later.
    restore = bulkwrite.drop_foreign_keys([table], columns=["household_id", "rule_id"]) if bulk else []
    # (Decided under the lock the dropped keys took: no other run writes warnings meanwhile.)
    rebuilt = bulk and not _holds_more_than(table, expected)
    if rebuilt:
        # A first run writes more warnings than the table holds: its indexes and unique key are built once
        # afterwards (the key then checks every row), and the rows are made distinct here instead.
        restore = [
            *bulkwrite.drop_constraints([table], kind="u"),
            *bulkwrite.drop_indexes([table]),
            *restore,
        ]
    distinct = "DISTINCT ON (household_id, rule_code, episode) " if rebuilt else ""
    conflict = "" if rebuilt else " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ops.quote_name(table)} ({columns}) SELECT {distinct}{picked} FROM {hits}"  # noqa: S608
            # In the unique index's order: its pages are filled one after another, not at random.
            f" WHERE {_not_warned(hits)} ORDER BY household_id, rule_code, episode{conflict}",
            list(constants.values()),
        )
        written = max(cursor.rowcount, 0)
        if rebuilt:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for sql in restore:
            cursor.execute(sql)
        if restore:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them (INITIALLY DEFERRED)
    return written


def _holds_more_than(table: str, count: int) -> bool:
    """Whether ``table`` holds more than ``count`` rows (reading at most count + 1 of them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) r", [count + 1])  # noqa: S608
        return int(cursor.fetchone()[0]) > count
