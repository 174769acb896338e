"""Benchmark: household search (``bangfu.registry.search.search_households``) on the demo population.

Runs against the configured database (``BANGFU_VAR_DIR``'s SQLite, or ``DATABASE_URL``). When it holds no
demo population yet, one of ``--households`` households is loaded first with ``load_population``, exactly
as ``bangfu demo --households N`` does (on PostgreSQL only into a scratch database).

A simple load run: a few hundred queries, drawn at random from the current members before timing — their
full ID numbers and their names — are run by ``--threads`` threads (each with its own connection) as the
city account ``demo_city`` (the widest scope). For each kind it prints the median and p95 latency of a
first page, the number of SQL queries a page takes (the contract is ONE; checked on every query), and
whether the member's household was on the page. The raw baseline is the equivalent plain SQL lookup — by
the blind index for an ID number, by the same name prefix for a name (as ``LIKE``, which is what the ORM's
``startswith`` emits, and as a range, which an index serves) — returning the page's household ids without
the row's columns.

    BANGFU_VAR_DIR=/tmp/bench-1m python bench/registry_search.py [--households 1000000] [--queries 400]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000, help="loaded only if none are there")
    parser.add_argument("--queries", type=int, default=400, help="queries of each kind")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bangfu.accounts.models import User
    from bangfu.core import crypto
    from bangfu.demo.services import build_demo, existing_population, load_population
    from bangfu.registry.models import Member
    from bangfu.registry.search import search_households

    call_command("migrate", interactive=False, verbosity=0)
    build_demo()
    population = existing_population()
    if population is None:
        print(f"loading {args.households:,} households …", flush=True)
        started = time.perf_counter()
        load_population(households=args.households, seed=6109, year=timezone.localdate().year)
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
        population = existing_population()
    assert population is not None  # noqa: S101 - a bench
    user = User.objects.get(username="demo_city")

    # Sample current members by random ids (one query), then read their decrypted ID numbers and names.
    rng = random.Random(args.seed)
    first, last = (
        Member.objects.order_by("id").values_list("id", flat=True)[:1][0],
        Member.objects.latest("id").id,
    )
    wanted = {rng.randint(first, last) for _ in range(args.queries * 2)}
    sample = list(Member.objects.filter(id__in=wanted, left_on__isnull=True).order_by("id")[: args.queries])
    rng.shuffle(sample)
    print(
        f"{connection.vendor}: {population.households:,} households, {population.members:,} members; "
        f"{len(sample)} queries of each kind, {args.threads} threads, load avg {os.getloadavg()[0]:.1f}"
    )

    def timed(run: Callable[[Any], tuple[int, bool]], items: list[Any]) -> dict[str, Any]:
        def one(item: Any) -> tuple[float, int, bool]:
            with CaptureQueriesContext(connections["default"]) as queries:
                started = time.perf_counter()
                _rows, found = run(item)
                elapsed = time.perf_counter() - started
            return elapsed, len(queries.captured_queries), found

        with ThreadPoolExecutor(args.threads) as pool:
            results = list(pool.map(one, items))
        latencies = [r[0] * 1000 for r in results]
        return {
            "median_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(_percentile(latencies, 0.95), 2),
            "max_ms": round(max(latencies), 2),
            "queries_per_page": sorted({r[1] for r in results}),
            "found": f"{sum(r[2] for r in results)}/{len(results)}",
        }

    def search(query: str, member: Member) -> tuple[int, bool]:
        page = search_households(user, q=query, limit=50)
        return len(page.rows), any(row.id == member.household_id for row in page.rows)

    def raw_id(member: Member) -> tuple[int, bool]:
        index = crypto.blind_index(member.id_number, kind="id_number")
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT h.id FROM registry_household h WHERE h.id IN (SELECT m.household_id"
                " FROM registry_member m WHERE m.id_number_index = %s AND m.left_on IS NULL)"
                " ORDER BY h.id LIMIT 51",
                [index],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return len(ids), member.household_id in ids

    def raw_name(member: Member) -> tuple[int, bool]:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT h.id FROM registry_household h WHERE h.id IN (SELECT m.household_id"
                " FROM registry_member m WHERE m.name LIKE %s AND m.left_on IS NULL) ORDER BY h.id LIMIT 51",
                [member.name + "%"],
            )
            ids = [row[0] for row in cursor.fetchall()]
        # A common name fills more than a page: the member's household may be on a later one.
        return len(ids), member.household_id in ids

    def raw_name_range(member: Member) -> tuple[int, bool]:
        # The same prefix as a range: what an index on name can serve on both databases (LIKE cannot on
        # SQLite: its LIKE optimisation needs case_sensitive_like, and Django adds an ESCAPE clause).
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT h.id FROM registry_household h WHERE h.id IN (SELECT m.household_id"
                " FROM registry_member m WHERE m.name >= %s AND m.name < %s AND m.left_on IS NULL)"
                " ORDER BY h.id LIMIT 51",
                [member.name, member.name + "\U0010ffff"],
            )
            ids = [row[0] for row in cursor.fetchall()]
        return len(ids), member.household_id in ids

    cases: list[tuple[str, Callable[[Any], tuple[int, bool]]]] = [
        ("search_households, ID number", lambda m: search(m.id_number, m)),
        ("raw SQL by blind index", raw_id),
        ("search_households, full name", lambda m: search(m.name, m)),
        ("raw SQL by name prefix (LIKE)", raw_name),
        ("raw SQL by name prefix (range)", raw_name_range),
        ("search_households, surname only", lambda m: search(m.name[0], m)),
    ]
    for label, run in cases:
        result = timed(run, sample)
        print(f"  {label:34s} " + ", ".join(f"{key}={value}" for key, value in result.items()), flush=True)


if __name__ == "__main__":
    main()
