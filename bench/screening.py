"""Benchmark: the full screening (``bangfu screen``) on the demo city with ~2M department rows, against two
raw baselines on the same data in the same run.

Runs against the configured database (``BANGFU_VAR_DIR``'s SQLite, or ``DATABASE_URL``); loads the demo
population first when there is none (``--households``), then, when the department tables are empty, the
demo's last-month uploads of eight departments (``bangfu.demo.departments``: ~2M rows at 1M households, one
INSERT … SELECT per kind, the medical upload matched as a file is). ``--rematch`` times matching again.

Then, with the rules and policy values in force today:

* ``screen``: every rule, warnings written (one transaction), then the same again (nothing new to write);
* ``duckdb``: the same rules as one hand-written SQL query per rule over the same tables exported to Parquet
  (the practical limit of a columnar engine on this machine);
* ``pandas``: the same rules as a straightforward pandas script over the same Parquet files (what a county
  analyst would write).

The three must find the same (rule, household) pairs; the bench says so and prints seconds, peak memory and
the ratios. Goal (issue 4): ≤ 10 s on PostgreSQL and ≤ 20 s on SQLite, within 10× of DuckDB, ≥ 10× faster
than pandas.

    pip install -r requirements/bench.lock
    BANGFU_VAR_DIR=/tmp/bench-1m python bench/screening.py [--households 1000000] [--rematch] [--repeat 3]
"""

# The SQL here is assembled from this file's constants and dates only (no input reaches it).
# ruff: noqa: S608
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup(households: int) -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bangfu.demo.services import build_demo, existing_population, load_population

    call_command("migrate", interactive=False, verbosity=0)
    build_demo()
    if existing_population() is None:
        print(f"loading {households:,} households …", flush=True)
        started = time.perf_counter()
        load_population(households=households, seed=6109, year=timezone.localdate().year)
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)


def add_records() -> None:
    """The demo's department uploads (``bangfu.demo.departments``), timed, with the medical upload matched."""
    from django.db import connection
    from django.utils import timezone

    from bangfu.accounts.models import User
    from bangfu.datasets.models import DatasetRecord
    from bangfu.demo.departments import load_department_data

    if DatasetRecord.objects.exists():
        return
    started = time.perf_counter()
    data = load_department_data(on=timezone.localdate(), uploader=User.objects.get(username="demo_city"))
    print(
        f"department rows: {data.records:,} in {data.versions} uploads, {time.perf_counter() - started:.1f} s"
        " (the medical upload matched as an uploaded file is)",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def rematch() -> None:
    """Unlink the medical upload's rows and time matching them again (its two UPDATE … FROM)."""
    from django.db import transaction

    from bangfu.datasets.importing import match_version
    from bangfu.datasets.models import DatasetRecord, DatasetVersion

    medical = DatasetVersion.objects.get(kind="medical")
    DatasetRecord.objects.filter(version=medical).update(member=None, household=None, match="unmatched")
    started = time.perf_counter()
    with transaction.atomic():
        match_version(medical)
    print(f"matching {medical.row_count:,} medical rows: {time.perf_counter() - started:.1f} s", flush=True)


def export_parquet(directory: Path) -> dict[str, Path]:
    """The tables the rules read, as Parquet files (fetched in chunks; the database's own column types)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection

    queries = {
        "households": "SELECT id, region_code, status, is_exited_poor FROM registry_household",
        "members": "SELECT id, household_id, birth_date, labour_capacity FROM registry_member",
        "programmes": "SELECT household_id, kind, start_date, end_date FROM registry_programmeenrolment",
        "statements": (
            "SELECT id, household_id, region_code, period_end, net_income, net_income_per_capita"
            " FROM registry_incomestatement"
        ),
        "records": (
            "SELECT r.household_id, r.member_id, r.kind, r.id_number_index, r.event_date, r.start_date,"
            " r.amount,"
            " r.category, r.grade FROM datasets_datasetrecord r JOIN datasets_datasetversion v"
            " ON v.id = r.version_id WHERE v.is_current AND r.household_id IS NOT NULL"
        ),
    }
    i64, text, day, number = pa.int64(), pa.string(), pa.date32(), pa.float64()
    types = {
        "id": i64,
        "household_id": i64,
        "member_id": i64,
        "region_code": text,
        "status": text,
        "is_exited_poor": pa.bool_(),
        "birth_date": day,
        "labour_capacity": text,
        "kind": text,
        "start_date": day,
        "end_date": day,
        "period_end": day,
        "net_income_per_capita": number,
        "net_income": number,
        "id_number_index": text,
        "event_date": day,
        "amount": number,
        "category": text,
        "grade": text,
    }
    paths: dict[str, Path] = {}
    for name, sql in queries.items():
        path = directory / f"{name}.parquet"
        writer = None
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql)
            columns = [c[0] for c in cursor.description]
            while rows := cursor.fetchmany(200_000):
                data = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
                if "is_exited_poor" in data:
                    data["is_exited_poor"] = [bool(v) for v in data["is_exited_poor"]]
                for column in ("amount", "net_income", "net_income_per_capita"):
                    if column in data:
                        data[column] = [float(v) if v is not None else None for v in data[column]]
                for column in ("birth_date", "event_date", "start_date", "end_date", "period_end"):
                    if column in data:
                        data[column] = [
                            dt.date.fromisoformat(v) if isinstance(v, str) else v for v in data[column]
                        ]
                schema = pa.schema([(column, types[column]) for column in columns])
                table = pa.table(data, schema=schema)
                if writer is None:
                    writer = pq.ParquetWriter(path, schema)
                writer.write_table(table)
        if writer is not None:
            writer.close()
        paths[name] = path
    return paths


def thresholds(on: dt.date) -> dict[str, Any]:
    from bangfu.policy import resolution

    values = resolution.values_for(
        [
            "medical.oop_per_stay_monitored",
            "medical.oop_per_stay_other",
            "medical.oop_income_ratio",
            "housing.unsafe_grades",
            "employment.no_contribution_months",
            "monitoring_line",
        ],
        region="610902000000",
        on=on,
    )
    return values


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def duckdb_run(paths: dict[str, Path], on: dt.date, t: dict[str, Any]) -> set[tuple[str, int]]:
    import duckdb

    con = duckdb.connect()
    for name, path in paths.items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    d = f"DATE '{on.isoformat()}'"
    priority = (
        "(h.is_exited_poor OR EXISTS (SELECT 1 FROM programmes p WHERE p.household_id = h.id AND p.kind IN"
        f" ('dibao', 'extreme_poverty_support', 'dibao_edge') AND p.start_date <= {d}"
        f" AND (p.end_date IS NULL OR p.end_date >= {d})))"
    )

    def window(days: int) -> str:
        return (
            f"((r.event_date > {d} - INTERVAL {days} DAY AND r.event_date <= {d}) OR"
            " (r.event_date IS NULL AND"
            f" r.start_date > {d} - INTERVAL {days} DAY AND r.start_date <= {d}))"
        )

    base = "FROM records r JOIN households h ON h.id = r.household_id WHERE h.status = 'active' AND "
    with_members = base.replace("WHERE", "JOIN members m ON m.id = r.member_id WHERE")
    grades = ", ".join(f"'{g}'" for g in t["housing.unsafe_grades"])
    sixteen, six, sixty_one = years_before(on, 16), years_before(on, 6), years_before(on, 61)
    queries = {
        "MED-01": f"SELECT DISTINCT r.household_id {base} r.kind = 'medical' AND {window(90)} AND {priority}"
        f" AND r.amount > {t['medical.oop_per_stay_monitored']}",
        "MED-02": f"SELECT DISTINCT r.household_id {base} r.kind = 'medical' AND {window(90)}"
        f" AND NOT {priority}"
        f" AND r.amount > {t['medical.oop_per_stay_other']}",
        "HOU-01": f"SELECT DISTINCT r.household_id {base} r.kind = 'housing' AND {window(365)} AND {priority}"
        f" AND r.grade IN ({grades})",
        "EDU-01": f"SELECT DISTINCT r.household_id {with_members} r.kind = 'school' AND {window(180)}"
        " AND r.category IN ('suspected_dropout', 'dropout', 'not_enrolled')"
        f" AND m.birth_date <= DATE '{six}' AND m.birth_date > DATE '{sixteen}'",
        "DIS-01": f"SELECT DISTINCT r.household_id {base} r.kind = 'disability' AND {window(365)}"
        f" AND r.grade IN ('1', '2') AND (r.event_date > {d} - INTERVAL 90 DAY OR (r.event_date IS NULL AND"
        f" r.start_date > {d} - INTERVAL 90 DAY))",
        "EMP-01": f"SELECT DISTINCT r.household_id {base} r.kind = 'employment' AND {window(365)}"
        f" AND r.category = 'contribution_gap' AND r.amount >= {t['employment.no_contribution_months']}",
        "ASS-01": f"SELECT DISTINCT r.household_id {base} r.kind = 'assistance' AND {window(365)}"
        f" AND r.category = 'dibao' AND (r.event_date > {d} - INTERVAL 90 DAY OR (r.event_date IS NULL AND"
        f" r.start_date > {d} - INTERVAL 90 DAY)) AND NOT EXISTS (SELECT 1 FROM programmes p WHERE"
        f" p.household_id = h.id AND p.kind = 'dibao' AND p.start_date <= {d} AND (p.end_date IS NULL OR"
        f" p.end_date >= {d}))",
        "DTH-01": f"SELECT DISTINCT r.household_id {with_members} r.kind = 'death' AND {window(180)}"
        f" AND m.birth_date <= DATE '{sixteen}' AND m.birth_date > DATE '{sixty_one}'"
        " AND m.labour_capacity IN ('skilled', 'ordinary')",
        "DSR-01": f"SELECT DISTINCT r.household_id {base} r.kind = 'disaster' AND {window(180)}"
        " AND r.category <> ''",
        "MED-03": "WITH totals AS (SELECT r.household_id, SUM(r.amount) AS total FROM records r"
        f" WHERE r.kind = 'medical' AND r.event_date > {d} - INTERVAL 365 DAY AND r.event_date <= {d}"
        " GROUP BY r.household_id), latest AS (SELECT household_id, arg_max(net_income, (period_end, id))"
        f" AS income FROM statements WHERE period_end <= {d} GROUP BY household_id)"
        " SELECT DISTINCT t.household_id FROM totals t JOIN households h ON h.id = t.household_id"
        " LEFT JOIN latest l ON l.household_id = t.household_id WHERE h.status = 'active' AND t.total >"
        f" COALESCE(CASE WHEN l.income > 0 THEN l.income * {t['medical.oop_income_ratio']} END, -1)",
        "INC-01": "SELECT DISTINCT s.household_id FROM statements s"
        " JOIN households h ON h.id = s.household_id"
        f" WHERE h.status = 'active' AND s.period_end > {d} - INTERVAL 400 DAY AND s.period_end <= {d}"
        " AND NOT EXISTS (SELECT 1 FROM statements n WHERE n.household_id = s.household_id AND"
        f" n.period_end > s.period_end AND n.period_end <= {d})"
        f" AND s.net_income_per_capita < {Decimal(str(t['monitoring_line'])) * Decimal('1.1')}",
    }
    found: set[tuple[str, int]] = set()
    for code, sql in queries.items():
        found.update((code, household) for (household,) in con.execute(sql).fetchall())
    return found


def pandas_run(paths: dict[str, Path], on: dt.date, t: dict[str, Any]) -> set[tuple[str, int]]:
    import pandas as pd

    households = pd.read_parquet(paths["households"])
    members = pd.read_parquet(paths["members"])
    programmes = pd.read_parquet(paths["programmes"])
    statements = pd.read_parquet(paths["statements"])
    records = pd.read_parquet(paths["records"])
    day = pd.Timestamp(on)
    for frame, columns in (
        (members, ["birth_date"]),
        (programmes, ["start_date", "end_date"]),
        (statements, ["period_end"]),
        (records, ["event_date", "start_date"]),
    ):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column])
    active = households[households["status"] == "active"]
    set_active = set(active["id"])
    live = programmes[
        (programmes["start_date"] <= day) & (programmes["end_date"].isna() | (programmes["end_date"] >= day))
    ]
    on_support = set(
        live[live["kind"].isin(["dibao", "extreme_poverty_support", "dibao_edge"])]["household_id"]
    )
    on_dibao = set(live[live["kind"] == "dibao"]["household_id"])
    priority = set(active[active["is_exited_poor"].astype(bool)]["id"]) | on_support
    rows = records.merge(active[["id"]], left_on="household_id", right_on="id")
    fact_day = rows["event_date"].fillna(rows["start_date"])

    def within(days: int) -> pd.Series:
        return (fact_day > day - pd.Timedelta(days=days)) & (fact_day <= day)

    found: set[tuple[str, int]] = set()

    def add(code: str, mask: pd.Series) -> None:
        found.update((code, int(h)) for h in rows.loc[mask, "household_id"].unique())

    is_priority = rows["household_id"].isin(priority)
    add(
        "MED-01",
        (rows["kind"] == "medical")
        & within(90)
        & is_priority
        & (rows["amount"] > float(t["medical.oop_per_stay_monitored"])),
    )
    add(
        "MED-02",
        (rows["kind"] == "medical")
        & within(90)
        & ~is_priority
        & (rows["amount"] > float(t["medical.oop_per_stay_other"])),
    )
    add(
        "HOU-01",
        (rows["kind"] == "housing")
        & within(365)
        & is_priority
        & rows["grade"].isin(t["housing.unsafe_grades"]),
    )
    people = members.set_index("id")
    births = rows["member_id"].map(people["birth_date"])
    add(
        "EDU-01",
        (rows["kind"] == "school")
        & within(180)
        & rows["category"].isin(["suspected_dropout", "dropout", "not_enrolled"])
        & (births <= pd.Timestamp(years_before(on, 6)))
        & (births > pd.Timestamp(years_before(on, 16))),
    )
    add(
        "DTH-01",
        (rows["kind"] == "death")
        & within(180)
        & (births <= pd.Timestamp(years_before(on, 16)))
        & (births > pd.Timestamp(years_before(on, 61)))
        & rows["member_id"].map(people["labour_capacity"]).isin(["skilled", "ordinary"]),
    )
    add("DSR-01", (rows["kind"] == "disaster") & within(180) & (rows["category"] != ""))
    add("DIS-01", (rows["kind"] == "disability") & within(365) & rows["grade"].isin(["1", "2"]) & within(90))
    add(
        "EMP-01",
        (rows["kind"] == "employment")
        & within(365)
        & (rows["category"] == "contribution_gap")
        & (rows["amount"] >= float(t["employment.no_contribution_months"])),
    )
    add(
        "ASS-01",
        (rows["kind"] == "assistance")
        & within(90)
        & (rows["category"] == "dibao")
        & ~rows["household_id"].isin(on_dibao),
    )
    medical = records[
        (records["kind"] == "medical")
        & (records["event_date"] > day - pd.Timedelta(days=365))
        & (records["event_date"] <= day)
    ]
    totals = medical.groupby("household_id")["amount"].sum()
    so_far = statements[statements["period_end"] <= day].sort_values(["period_end", "id"])
    income = totals.index.map(so_far.groupby("household_id").tail(1).set_index("household_id")["net_income"])
    ratio = float(t["medical.oop_income_ratio"])
    over = totals[(income.isna() | (income <= 0) | (totals > income * ratio)).to_numpy()]
    found.update(("MED-03", int(h)) for h in over.index if h in set_active)
    recent = statements[
        (statements["period_end"] > day - pd.Timedelta(days=400)) & (statements["period_end"] <= day)
    ]
    latest = recent.sort_values("period_end").groupby("household_id").tail(1)
    latest = latest[latest["household_id"].isin(set_active)]
    line = float(Decimal(str(t["monitoring_line"])) * Decimal("1.1"))
    found.update(("INC-01", int(h)) for h in latest[latest["net_income_per_capita"] < line]["household_id"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000, help="loaded only if none are there")
    parser.add_argument(
        "--rematch", action="store_true", help="unlink the medical upload and time matching again"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement (the median is shown)"
    )
    args = parser.parse_args()
    setup(args.households)
    add_records()
    if args.rematch:
        rematch()

    from django.db import connection
    from django.utils import timezone

    from bangfu.monitoring.models import ScreeningWarning
    from bangfu.monitoring.screening import screen

    on = timezone.localdate()
    print(f"{connection.vendor}, screening as of {on}, load avg {os.getloadavg()[0]:.1f}", flush=True)
    # Each figure is the median of --repeat runs (this machine's timings vary by a third from run to run).
    firsts, agains = [], []
    for _ in range(args.repeat):
        # One DELETE statement: the ORM's delete() would load every warning to check the leads that protect
        # them (the bench has none) — 0.8 GiB that is the bench's, not the screening's.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ScreeningWarning._meta.db_table}")
        if connection.vendor == "postgresql":  # as autovacuum would after a large delete
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE monitoring_screeningwarning")
                # The previous run's writes flushed now, not during the run being timed.
                cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        run, results = screen(on=on)
        firsts.append(time.perf_counter() - started)
        started = time.perf_counter()
        again, _results = screen(on=on)
        agains.append(time.perf_counter() - started)
    first = statistics.median(firsts)
    ours = set(ScreeningWarning.objects.values_list("rule_code", "household_id"))
    print(
        f"  screen (warnings written)   {first:7.2f} s  {run.created_warnings:,} warnings"
        f"  peak {peak_mib():.0f} MiB  (runs: {', '.join(f'{x:.2f}' for x in firsts)})"
    )
    for result in results:
        print(f"    {result.code:7s} {result.flagged:8,} households {result.new:8,} new")
    print(
        f"  screen again (nothing new)  {statistics.median(agains):7.2f} s  {again.created_warnings} new"
        f"  (runs: {', '.join(f'{x:.2f}' for x in agains)})"
    )

    # What an upload triggers: the rules of its kind over its rows only (the medical upload, ~600,000 rows).
    from bangfu.datasets.models import DatasetVersion

    medical = DatasetVersion.objects.get(kind="medical", is_current=True)
    increments = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        _run, touched = screen(on=on, versions=[medical.pk])
        increments.append(time.perf_counter() - started)
    print(
        f"  after one upload (medical)  {statistics.median(increments):7.2f} s"
        f"  rules {', '.join(r.code for r in touched)} over its {medical.row_count:,} rows"
    )

    t = thresholds(on)
    with tempfile.TemporaryDirectory(prefix="bench-parquet-") as directory:
        started = time.perf_counter()
        paths = export_parquet(Path(directory))
        print(f"  (export to Parquet {time.perf_counter() - started:.1f} s, not counted)", flush=True)
        duck_runs, pandas_runs = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            duck = duckdb_run(paths, on, t)
            duck_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            pandas = pandas_run(paths, on, t)
            pandas_runs.append(time.perf_counter() - started)
    duck_s, pandas_s = statistics.median(duck_runs), statistics.median(pandas_runs)
    print(f"  duckdb over Parquet         {duck_s:7.2f} s  {len(duck):,} (rule, household) pairs")
    print(f"  pandas over Parquet         {pandas_s:7.2f} s  {len(pandas):,} (rule, household) pairs")
    compared = {code for code, _h in duck}
    same = {p for p in ours if p[0] in compared} == duck == pandas
    print(f"  same pairs in all three: {same} (ours {len(ours):,})")
    print(
        f"  screen / duckdb: {first / duck_s:.1f}x   pandas / screen: {pandas_s / first:.1f}x"
        f"   peak {peak_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
