"""Benchmark: the region-scope predicate on PostgreSQL — range (what visible_to emits) vs LIKE vs left().

Builds a throw-away table of N rows with 12-digit village codes spread over the demo city's shape, indexes the
code column, and times the count of one town's rows with each predicate (median of 5), printing EXPLAIN's
chosen plan. The raw baseline is the same query through psql-level SQL; the ORM adds nothing here since
visible_to compiles to the range form.

    python bench/scope_predicates.py [--rows 1000000] [--dsn postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

from bangfu.regions.codes import prefix_bounds

TOWN = "610902001"


def timed(cur: psycopg.Cursor, sql: str, params: tuple[object, ...]) -> tuple[float, int, str]:
    runs = []
    count = 0
    for _ in range(5):
        start = time.perf_counter()
        cur.execute(sql, params)
        count = cur.fetchone()[0]  # type: ignore[index]
        runs.append(time.perf_counter() - start)
    cur.execute("EXPLAIN " + sql, params)
    plan = " / ".join(row[0].strip() for row in cur.fetchall()[:2])
    return statistics.median(runs), count, plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with psycopg.connect(args.dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_scope")
        # 10 counties x 30 towns x 20 villages, rows spread evenly: roughly the demo city's shape.
        cur.execute(
            """
            CREATE TABLE bench_scope AS
            SELECT g AS id,
                   '6109' || lpad((1 + g %% 10)::text, 2, '0') || lpad((1 + (g / 10) %% 30)::text, 3, '0')
                          || lpad((1 + (g / 300) %% 20)::text, 3, '0') AS region_code
            FROM generate_series(1, %s) AS g
            """,
            (args.rows,),
        )
        cur.execute("CREATE INDEX ON bench_scope (region_code)")
        cur.execute("ANALYZE bench_scope")
        lo, hi = prefix_bounds("610902" + "001")
        cases = {
            "range (visible_to)": (
                "SELECT count(*) FROM bench_scope WHERE region_code >= %s AND region_code < %s",
                (lo, hi),
            ),
            "LIKE prefix%": ("SELECT count(*) FROM bench_scope WHERE region_code LIKE %s", (lo + "%",)),
            "left(code, 9) =": ("SELECT count(*) FROM bench_scope WHERE left(region_code, 9) = %s", (lo,)),
        }
        print(f"rows={args.rows:,} town={TOWN}")
        for name, (sql, params) in cases.items():
            seconds, count, plan = timed(cur, sql, params)
            print(f"{name:20s} {seconds * 1000:8.2f} ms  rows={count:,}  plan: {plan}")
        cur.execute("DROP TABLE bench_scope")


if __name__ == "__main__":
    main()
