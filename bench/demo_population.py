"""Benchmark: `bangfu demo --households N` — generating and writing the synthetic population.

For each database (SQLite in a scratch directory; PostgreSQL too when DATABASE_URL is set: that database
and one named ``<name>_raw`` beside it are DROPPED and re-created — give a scratch name, never a real
database) it prints, in one run:

* generate only: the rows of N households generated and encrypted by the worker processes, then dropped —
  what generation and crypto cost by themselves;
* full load: ``load_population`` as the demo command runs it (generation in workers, one executemany /
  COPY per table and batch, one transaction, ANALYZE);
* raw baseline: the same number of rows per table written the same way (executemany / COPY, one
  transaction) into a second, freshly migrated database with the same indexes, but as constant tuples —
  no generation, no crypto: what the database alone costs.

Wall time, CPU time (this process and its workers) and peak RSS (largest single process) of each phase.

    python bench/demo_population.py [--households 1000000] [--workers 2] [--seed 6109]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bf_demo_bench python bench/demo_population.py

Each phase runs in a child process of this script (Django is configured once per process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mib() -> tuple[float, float]:
    # ru_maxrss is in KiB on Linux: the largest resident set of this process / of any waited-for child.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _phase(
    name: str, started: float, cpu: float, rows: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    wall = time.perf_counter() - started
    own, children = _peak_rss_mib()
    return {
        "phase": name,
        "wall_s": round(wall, 1),
        "cpu_s": round(_cpu() - cpu, 1),
        "rows": rows,
        "rows_per_s": round(rows / wall) if wall else 0,
        "peak_rss_main_mib": round(own),
        "peak_rss_worker_mib": round(children),
        **(extra or {}),
    }


def child_load(households: int, seed: int, workers: int, *, generate_only: bool) -> dict[str, Any]:
    """Phases 1 and 2, in a child process whose environment selects the database."""
    from django.db import connection
    from django.utils import timezone

    from bangfu.demo import bulkload
    from bangfu.demo.population import Settings, plan
    from bangfu.demo.services import demo_villages, load_population
    from bangfu.registry.models import Household, Member

    year = timezone.localdate().year
    phases = []
    settings = Settings(
        seed=seed,
        year=year,
        created_at=bulkload.load_timestamp(),
        id_context=Member._meta.get_field("id_number").crypto_context,
        phone_context=Household._meta.get_field("phone").crypto_context,
    )
    units = plan(households=households, seed=seed, villages=demo_villages(), first_ids=bulkload.next_ids())
    if generate_only:
        started, cpu = time.perf_counter(), _cpu()
        generated: Counter[str] = Counter()
        for batch in bulkload.generate(units, settings, workers=workers):
            for table, table_rows in batch.rows.items():
                generated[table] += len(table_rows)
        phases.append(_phase("generate only", started, cpu, sum(generated.values())))

    started, cpu = time.perf_counter(), _cpu()
    result = load_population(households=households, seed=seed, year=year, workers=workers)
    rows = sum(result.rows.values())
    phases.append(
        _phase("full load", started, cpu, rows, {"size_mib": round(_database_size(connection) / 2**20)})
    )
    return {"phases": phases, "rows": dict(result.rows)}


def child_raw(counts: dict[str, int]) -> dict[str, Any]:
    """Phase 3 in a fresh database: the same row counts as constant tuples, through the same session
    (bulk mode, one transaction, indexes rebuilt for a large load, ANALYZE)."""
    from django.db import connection, transaction

    from bangfu.demo import bulkload

    rebuild = counts.get("household", 0) >= bulkload.REBUILD_INDEXES_FROM
    started, cpu = time.perf_counter(), _cpu()
    with bulkload.bulk_mode(), transaction.atomic(), bulkload.writing(rebuild_indexes=rebuild) as writer:
        _write_constant_rows(writer, Counter(counts))
    bulkload.analyze()
    rows = sum(counts.values())
    size = round(_database_size(connection) / 2**20)
    return {"phases": [_phase("raw baseline", started, cpu, rows, {"size_mib": size})]}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bangfu.regions.services import ensure_demo_regions

    call_command("migrate", interactive=False, verbosity=0)
    ensure_demo_regions()


def _database_size(connection: Any) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return int(Path(connection.settings_dict["NAME"]).stat().st_size)
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def _write_constant_rows(writer: Any, counts: Counter[str]) -> None:
    """The same number of rows per table as the load wrote: one constant tuple per table, only the ids
    (and the foreign keys, which must point at existing parents) vary."""
    from bangfu.demo import bulkload
    from bangfu.demo.population import COLUMNS

    households, statements = counts["household"], counts["incomestatement"]
    day, now = "2025-06-30", writer_now()
    constant: dict[str, tuple[Any, ...]] = {
        # household_number "" is outside the unique index, like a member's empty id_number_index.
        "household": (
            "610902001001",
            "",
            "一组",
            "某村一组1号",
            "ordinary",
            False,
            False,
            "",
            "",
            "",
            "active",
            None,
            "",
            "demo",
            now,
            now,
        ),
        "member": (
            None,
            "610902001001",
            "王某",
            "",
            "",
            "male",
            "1980-01-01",
            "son",
            "汉族",
            "masses",
            "junior",
            "not_in_school",
            "healthy",
            "",
            "ordinary",
            "",
            True,
            False,
            True,
            True,
            False,
            None,
            None,
            "",
            "demo",
            now,
            now,
        ),
        "householdyear": (None, "610902001001", 2025, "ordinary", False, False, 3, now),
        "programmeenrolment": (
            None,
            None,
            "610902001001",
            "dibao",
            "二类",
            day,
            None,
            "300.00",
            "",
            "demo",
            now,
        ),
        "employment": (
            None,
            None,
            "610902001001",
            "",
            "建筑业",
            "in_county",
            "某县",
            "self_found",
            day,
            None,
            6,
            "0.00",
            "demo",
            now,
        ),
        "incomestatement": (
            None,
            "610902001001",
            "calendar_year",
            "2025-01-01",
            "2025-12-31",
            3,
            "10000.00",
            "2000.00",
            "0.00",
            "3000.00",
            "500.00",
            "0.00",
            "0.00",
            "demo",
            now,
            now,
        ),
        "incomeline": (None, "610902001001", "wages", "务工收入", "10000.00", ""),
        "indicatorobservation": (
            None,
            "610902001001",
            "housing_grade",
            "A",
            False,
            day,
            "",
            "demo",
            None,
            now,
        ),
    }
    # What varies per row besides the id: foreign keys (they must point at existing parents) and the
    # columns of unique constraints. position (after the id) -> value for row i.
    members = counts["member"]
    varying: dict[str, dict[int, Any]] = {
        "member": {0: lambda i: 1 + i % households},
        # (household, year) is unique: two years per household
        "householdyear": {0: lambda i: 1 + (i // 2) % households, 2: lambda i: 2024 + i % 2},
        "programmeenrolment": {0: lambda i: 1 + i % households},
        "employment": {0: lambda i: 1 + i % households, 1: lambda i: 1 + i % members},
        # one statement per household: (household, period) is unique
        "incomestatement": {0: lambda i: i},
        "incomeline": {0: lambda i: 1 + i % statements},
        "indicatorobservation": {0: lambda i: 1 + i % households},
    }
    for name in bulkload.WRITE_ORDER:
        template = list(constant[name])
        assert len(template) + 1 == len(COLUMNS[name]), name  # noqa: S101 - a bench, not production code
        rows = []
        for i in range(1, counts[name] + 1):
            for position, value in varying.get(name, {}).items():
                template[position] = value(i)
            rows.append((i, *template))
            if len(rows) == 20_000:
                writer.write(name, rows)
                rows = []
        if rows:
            writer.write(name, rows)


def writer_now() -> Any:
    from bangfu.demo import bulkload

    return bulkload.load_timestamp()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=6109)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite,postgresql", help="which of sqlite,postgresql to run")
    parser.add_argument("--no-generate-only", action="store_true", help="skip the generate-only phase")
    parser.add_argument("--child", choices=["load", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--counts", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _setup()
        if args.child == "load":
            out = child_load(
                args.households, args.seed, args.workers, generate_only=not args.no_generate_only
            )
        else:
            out = child_raw(json.loads(args.counts))
        print(json.dumps(out, ensure_ascii=False))
        return
    load = os.getloadavg()
    print(
        f"households={args.households:,} workers={args.workers} cpus={os.cpu_count()} load avg={load[0]:.1f}"
    )
    wanted = set(args.databases.split(","))
    backends = [("SQLite", "")] if "sqlite" in wanted else []
    if "postgresql" in wanted and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        backends.append(("PostgreSQL", os.environ["DATABASE_URL"]))
    for label, url in backends:
        print(f"\n{label}")
        counts: dict[str, int] = {}
        for kind in ("load", "raw"):
            with tempfile.TemporaryDirectory(prefix="bangfu-bench-") as var:
                database = _scratch(url, raw=kind == "raw") if url else ""
                env = {
                    **os.environ,
                    "BANGFU_VAR_DIR": var,
                    "DATABASE_URL": database,
                    "BANGFU_GENERATE_SECRETS": "1",
                }
                command = [sys.executable, __file__, f"--child={kind}", f"--households={args.households}"]
                command += [
                    f"--seed={args.seed}",
                    f"--workers={args.workers}",
                    f"--counts={json.dumps(counts)}",
                    *(["--no-generate-only"] if args.no_generate_only else []),
                ]
                done = subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True, text=True)  # noqa: S603
                if done.returncode:
                    sys.exit(f"{label} {kind} failed:\n{done.stderr}")
                out = json.loads(done.stdout.strip().splitlines()[-1])
            counts = out.get("rows", counts)
            for phase in out["phases"]:
                print("  " + ", ".join(f"{key}={value}" for key, value in phase.items()))
        print("  rows per table: " + ", ".join(f"{table}={count:,}" for table, count in counts.items()))


def _scratch(url: str, *, raw: bool) -> str:
    """Drop and re-create the scratch database named by ``url`` (or ``<name>_raw``); returns its URL."""
    import psycopg

    base, _slash, name = url.rpartition("/")
    name = f"{name}_raw" if raw else name
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


if __name__ == "__main__":
    main()
