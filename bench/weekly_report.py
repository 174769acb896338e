"""Benchmark: the weekly clearance report (清零周报) of a city with 100,000 problems over a year, against a
hand-written SQL baseline on the same data in the same run.

Runs against the configured database (``BANGFU_VAR_DIR``'s SQLite, or ``DATABASE_URL``). Loads the demo
regions (安康市: 10 counties, 139 towns, 1,924 villages), then, when there are no problems yet, bulk-inserts
``--problems`` of them spread over the villages and the 52 weeks before last week's Sunday: ~60 % closed,
~5 % with a rejected closure, ~30 % of a responsible sector, ~40 % in one of three campaigns, many overdue;
their closure events, and a few hundred supervision orders and escalations.

Then, for last ISO week (each figure the median of ``--repeat`` runs, every run rolled back):

* ``all snapshots``: ``make_weekly_reports`` for every region and sector (the Monday job), total and per
  snapshot;
* ``city snapshot``: the city's region-wide snapshot alone (``region_codes=["6109"]``);
* ``raw SQL``: one hand-written query computing the city's counts (assigned, new, closed, red, yellow, green,
  overdue), the same colour rule written out in SQL.

The city snapshot's counts must equal the raw query's; the bench says so. Goal (issue 6): ≤ 2 s per snapshot.

    BANGFU_VAR_DIR=/tmp/bench-weekly BANGFU_GENERATE_SECRETS=1 python bench/weekly_report.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_weekly … python bench/weekly_report.py
"""

# The SQL here is assembled from this file's constants and dates only (no input reaches it).
# ruff: noqa: S608
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from typing import Any


class Rollback(Exception):
    pass


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bangfu.regions.services import ensure_demo_regions

    call_command("migrate", interactive=False, verbosity=0)
    ensure_demo_regions()


def generate(count: int, last_sunday: dt.date, seed: int = 6109) -> None:
    """``count`` problems over the 52 weeks up to ``last_sunday`` (bulk inserts), with closure events."""
    from django.db import connection, transaction

    from bangfu.accounts.models import Role, Sector, User
    from bangfu.rectification.models import (
        Campaign,
        Colour,
        Escalation,
        EscalationKind,
        EventKind,
        OrderState,
        Problem,
        ProblemCategory,
        ProblemEvent,
        ProblemSource,
        ProblemState,
        SupervisionOrder,
    )
    from bangfu.regions.models import Region

    if Problem.objects.exists():
        return
    rng = random.Random(seed)
    started = time.perf_counter()
    villages = list(Region.objects.filter(level=5, code__startswith="6109").values_list("code", flat=True))
    categories = list(ProblemCategory.objects.values_list("pk", flat=True))
    sectors = list(Sector.values)
    first = last_sunday - dt.timedelta(days=52 * 7 - 1)
    user = User.objects.filter(username="bench_weekly").first() or User.objects.create(
        username="bench_weekly", role=Role.CITY_HQ, region=Region.objects.get(code="610900000000")
    )
    campaigns = [
        Campaign.objects.create(
            name=f"专项{i + 1}",
            region_code="610900000000",
            starts_on=first + dt.timedelta(days=120 * i),
            clearance_date=last_sunday + dt.timedelta(days=60),
        )
        for i in range(3)
    ]
    problems = []
    fates = []
    for _ in range(count):
        code = rng.choice(villages)
        assigned = first + dt.timedelta(days=rng.randrange(52 * 7))
        due = assigned + dt.timedelta(days=rng.choice((7, 15, 30, 30, 60)))
        campaign = rng.choice(campaigns) if rng.random() < 0.4 else None
        if campaign is not None and campaign.starts_on > assigned:
            campaign = None
        started_on = assigned + dt.timedelta(days=rng.randrange(6)) if rng.random() < 0.8 else None
        closed_on = assigned + dt.timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.65 else None
        if closed_on is not None and closed_on > last_sunday:
            closed_on = None
        rejected = rng.random() < 0.05
        state = (
            ProblemState.CLOSED
            if closed_on
            else (ProblemState.RETURNED if rejected else ProblemState.IN_PROGRESS)
        )
        problems.append(
            Problem(
                source=ProblemSource.SELF_CHECK,
                category_id=rng.choice(categories),
                region_code=code,
                description="基准测试问题",
                responsible_unit=f"{code[:9]}办事处",
                responsible_sector=rng.choice(sectors) if rng.random() < 0.3 else "",
                campaign=campaign,
                found_on=assigned,
                assigned_on=assigned,
                start_due_on=assigned + dt.timedelta(days=3),
                due_on=due,
                state=state,
                started_on=started_on
                if started_on and (not closed_on or started_on <= closed_on)
                else closed_on,
                rejection_count=1 if rejected else 0,
                closed_on=closed_on,
                colour=Colour.GREEN if closed_on else Colour.YELLOW,
            )
        )
        fates.append(rejected)
    with transaction.atomic():
        Problem.objects.bulk_create(problems, batch_size=2000)
        events = []
        for problem, rejected in zip(problems, fates, strict=True):
            if rejected:
                asked = problem.assigned_on + dt.timedelta(days=2)
                events.append(
                    ProblemEvent(
                        problem_id=problem.pk,
                        region_code=problem.region_code,
                        kind=EventKind.CLOSURE_REQUESTED,
                        on=asked,
                    )
                )
                events.append(
                    ProblemEvent(
                        problem_id=problem.pk,
                        region_code=problem.region_code,
                        kind=EventKind.CLOSURE_REJECTED,
                        on=asked + dt.timedelta(days=1),
                    )
                )
            if problem.closed_on:
                events.append(
                    ProblemEvent(
                        problem_id=problem.pk,
                        region_code=problem.region_code,
                        kind=EventKind.CLOSED,
                        on=problem.closed_on,
                    )
                )
        ProblemEvent.objects.bulk_create(events, batch_size=5000)
        towns = sorted({code[:9] + "000" for code in villages})
        for i in range(300):
            day = first + dt.timedelta(days=rng.randrange(52 * 7))
            SupervisionOrder.objects.create(
                number=f"BENCH-{i}",
                region_code="610900000000",
                issuing_office="市指挥部",
                recipient_unit="乡镇",
                recipient_region_code=rng.choice(towns),
                state=OrderState.ISSUED,
                drafted_on=day,
                issued_on=day,
            )
        for i in range(120):
            Escalation.objects.create(
                kind=rng.choice(EscalationKind.values),
                number=f"BENCH-E{i}",
                region_code="610900000000",
                issuing_office="市指挥部",
                unit="乡镇",
                unit_region_code=rng.choice(towns),
                on=first + dt.timedelta(days=rng.randrange(52 * 7)),
                text="基准",
                by=user,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"generated {count:,} problems, {len(events):,} events in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def raw_city(week_start: dt.date) -> dict[str, int]:
    """The city's counts in one hand-written query (the colour rule of ``colour_expression`` written out)."""
    from django.db import connection

    end = week_start + dt.timedelta(days=6)
    s, e = f"'{week_start.isoformat()}'", f"'{end.isoformat()}'"
    verdict = (
        "(SELECT v.kind FROM rectification_problemevent v WHERE v.problem_id = p.id"
        f" AND v.kind IN ('closure_requested', 'closure_rejected') AND v.\"on\" <= {e}"
        ' ORDER BY v."on" DESC, v.id DESC LIMIT 1)'
    )
    colour = (
        f"CASE WHEN p.closed_on <= {e} THEN 'green' WHEN p.due_on < {e} THEN 'red'"
        f" WHEN p.start_due_on < {e} AND (p.started_on IS NULL OR p.started_on > {e}) THEN 'red'"
        f" WHEN p.rejection_count > 0 AND {verdict} = 'closure_rejected' THEN 'red' ELSE 'yellow' END"
    )
    sql = f"""
        SELECT COUNT(*),
               SUM(CASE WHEN assigned_on >= {s} THEN 1 ELSE 0 END),
               SUM(CASE WHEN closed_on >= {s} AND closed_on <= {e} THEN 1 ELSE 0 END),
               SUM(CASE WHEN c = 'red' THEN 1 ELSE 0 END),
               SUM(CASE WHEN c = 'yellow' THEN 1 ELSE 0 END),
               SUM(CASE WHEN c = 'green' THEN 1 ELSE 0 END),
               SUM(CASE WHEN due_on < {e} AND (closed_on IS NULL OR closed_on > {e}) THEN 1 ELSE 0 END)
        FROM (SELECT p.*, {colour} AS c FROM rectification_problem p
              WHERE p.state <> 'draft' AND p.assigned_on <= {e}
                AND p.region_code >= '6109' AND p.region_code < '611') t
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    keys = ("assigned", "new", "closed", "red", "yellow", "green", "overdue")
    return dict(zip(keys, (int(v or 0) for v in row), strict=True))


def timed_rolled_back(fn: Any) -> tuple[float, Any]:
    from django.db import transaction

    result: list[Any] = []
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result.append(fn())
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, result[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--problems", type=int, default=100_000, help="generated only if there are none")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement (the median is shown)"
    )
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.utils import timezone

    from bangfu.core.setbased import no_jit
    from bangfu.rectification import reports
    from bangfu.rectification.models import Problem, WeeklyReport

    week_start = reports.last_week_start(timezone.localdate())
    generate(args.problems, week_start + dt.timedelta(days=6))
    print(
        f"{connection.vendor}, week {reports.week_label(week_start)}, {Problem.objects.count():,} problems,"
        f" load avg {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    def city() -> dict[str, Any]:
        reports.make_weekly_reports(week_start=week_start, region_codes=["6109"], sector="")
        return WeeklyReport.objects.get(
            week=reports.week_label(week_start), region_code="610900000000", sector=""
        ).figures

    runs: dict[str, list[float]] = {"all": [], "city": [], "raw": [], "raw_no_jit": []}
    made = 0
    figures: dict[str, Any] = {}
    for _ in range(args.repeat):
        seconds, made = timed_rolled_back(lambda: reports.make_weekly_reports(week_start=week_start))
        runs["all"].append(seconds)
        seconds, figures = timed_rolled_back(city)
        runs["city"].append(seconds)
        started = time.perf_counter()
        raw = raw_city(week_start)
        runs["raw"].append(time.perf_counter() - started)
        # The same query as the pages and reports run it on PostgreSQL: without JIT (core.setbased.no_jit).
        started = time.perf_counter()
        with no_jit():
            raw_city(week_start)
        runs["raw_no_jit"].append(time.perf_counter() - started)
    total, one_city, base = (statistics.median(runs[k]) for k in ("all", "city", "raw"))
    print(f"| measurement | {connection.vendor} |\n|---|---|")
    print(f"| all snapshots ({made:,}) | {total:.2f} s ({total / max(made, 1) * 1000:.2f} ms per snapshot) |")
    print(f"| city snapshot alone | {one_city:.2f} s |")
    print(f"| raw SQL, city counts | {base:.2f} s |")
    if connection.vendor == "postgresql":
        print(f"| raw SQL, city counts, without JIT | {statistics.median(runs['raw_no_jit']):.2f} s |")
    print(f"| city snapshot ÷ raw SQL | {one_city / base:.1f}× |")
    ours = {
        "assigned": figures["assigned"],
        "new": figures["new"],
        "closed": figures["closed"],
        "red": figures["open"]["red"],
        "yellow": figures["open"]["yellow"],
        "green": figures["green"],
        "overdue": figures["overdue"],
    }
    print(f"city figures: {ours}, clearance rate {figures['clearance_rate']} %, change {figures['change']}")
    print(f"escalations {figures['escalations']}, {len(figures['overdue_list'])} overdue rows listed")
    print("same counts as the raw SQL" if ours == raw else f"DIFFERENT from the raw SQL: {raw}")
    pages(args.repeat, base)


def pages(repeat: int, raw_seconds: float) -> None:
    """The board pages on the same data (goal: under 300 ms): the city's board and first page of the
    ledger (logged in), the busiest county's public board and its busiest village's poster; each the median
    of ``repeat`` × 3 requests through Django's test client (the whole request: middleware, queries,
    template)."""
    from django.db.models import Count
    from django.test import Client

    from bangfu.accounts.models import Role, User
    from bangfu.rectification.models import Problem
    from bangfu.regions.models import Region

    user = User.objects.filter(username="bench_city").first() or User.objects.create_user(
        username="bench_city",
        password=None,
        role=Role.CITY_HQ,
        region=Region.objects.get(code="610900000000"),
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    busiest = Problem.objects.values("region_code").annotate(n=Count("pk")).order_by("-n")[0]["region_code"]
    county = busiest[:6] + "000000"
    clerk = User.objects.filter(username="bench_county").first() or User.objects.create_user(
        username="bench_county",
        password=None,
        role=Role.COUNTY_OFFICE,
        region=Region.objects.get(code=county),
    )
    county_client = Client(HTTP_HOST="127.0.0.1")
    county_client.force_login(clerk)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    pages = [
        ("city board (logged in)", "/rectification/", client),
        ("busiest county's board (logged in)", "/rectification/", county_client),
        ("city ledger, first page", "/rectification/problems/", client),
        ("county public board", f"/boards/{county}/", anonymous),
        ("village wall poster (A4)", f"/boards/{busiest}/poster/", anonymous),
    ]
    print(f"\n| page (median of {repeat * 3}) | time | status |\n|---|---|---|")
    for label, url, who in pages:
        times, status = [], 0
        for _ in range(repeat * 3):
            started = time.perf_counter()
            status = who.get(url).status_code
            times.append(time.perf_counter() - started)
        print(f"| {label} `{url}` | {statistics.median(times) * 1000:.0f} ms | {status} |")
    print(f"| (raw SQL, city counts, from above) | {raw_seconds * 1000:.0f} ms | |")


if __name__ == "__main__":
    main()
