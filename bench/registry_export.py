"""Benchmark: ``bangfu export-households`` of N members, streamed, against raw baselines in the same run.

Generates N members (about 3.5 per household, each household with an income statement of three lines and
two indicator observations, ID numbers and phones encrypted) with bulk inserts into a scratch database
(SQLite under ``--workdir``; PostgreSQL when ``--pg-dsn`` names a scratch database, which is dropped and
re-created), then measures, each phase in its own child process so that each peak RSS is its own:

* ``read``  — raw baseline 1: the member rows joined to their households, streamed through a server-side
  cursor, nothing decrypted, nothing written;
* ``write`` — raw baseline 2: N copies of the export's first data row written through the same
  constant-memory writer (what producing the file alone costs);
* ``export`` — ``registry.exporting.export_households`` (keyset chunks, decryption, masking off, the file).

Goal (issue 3): streamed, peak memory ≤ 1 GiB.

    python bench/registry_export.py [--members 1000000] [--pg-dsn postgresql://postgres@127.0.0.1:5432/bench_export]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COUNTY = "610902"
TOWNS = 20
VILLAGES_PER_TOWN = 15
BATCH = 5000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def village_codes() -> list[str]:
    return [f"{COUNTY}{t:03d}{v:03d}" for t in range(1, TOWNS + 1) for v in range(1, VILLAGES_PER_TOWN + 1)]


def setup_django(var_dir: Path, dsn: str | None) -> None:
    os.environ["BANGFU_VAR_DIR"] = str(var_dir)
    os.environ["BANGFU_GENERATE_SECRETS"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bangfu.settings"
    if dsn:
        os.environ["DATABASE_URL"] = dsn
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def insert(model: Any, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` of tuples in ``names`` order; the model's other columns get their defaults."""
    from django.db import connection
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    rest = [f for f in fields if f.attname not in names]
    now = timezone.now()
    tail = tuple(
        f.get_db_prep_save(
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default(),
            connection,
        )
        for f in rest
    )
    columns = [*names, *(f.attname for f in rest)]
    by_name = {f.attname: f for f in fields}
    # Identifiers from the model's metadata; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(by_name[name].column) for name in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row, *tail) for row in rows])


def phase_generate(members: int, var_dir: Path, dsn: str | None) -> dict[str, Any]:
    """Migrate, create the regions and a clerk, and bulk-insert the population in one transaction."""
    setup_django(var_dir, dsn)
    from django.core.management import call_command
    from django.db import connection, transaction

    from bangfu.accounts.models import Role, User
    from bangfu.core import crypto, idnumbers
    from bangfu.regions.models import Region
    from bangfu.registry.models import Household, IncomeLine, IncomeStatement, IndicatorObservation, Member

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    province = Region.objects.create(code="610000000000", name="陕西省")
    city = Region.objects.create(code="610900000000", name="安康市", parent=province)
    county = Region.objects.create(code=f"{COUNTY}000000", name="汉滨区", parent=city)
    villages = village_codes()
    for code in villages:
        town, _created = Region.objects.get_or_create(
            code=code[:9] + "000", defaults={"name": f"测试镇{code[6:9]}", "parent": county}
        )
        Region.objects.create(code=code, name=f"测试村{code[6:]}", parent=town)
    User.objects.create(
        username="bench_clerk", role=Role.COUNTY_OFFICE, region=county, may_reveal_personal_data=True
    )
    id_context = Member._meta.get_field("id_number").crypto_context  # type: ignore[attr-defined]
    phone_context = Household._meta.get_field("phone").crypto_context  # type: ignore[attr-defined]
    relations = ["head", "spouse", "son", "daughter", "mother"]
    serial = 0
    household_id = 0
    with transaction.atomic():
        while serial < members:
            households, people, statements, lines, indicators = [], [], [], [], []
            for _n in range(BATCH):
                if serial >= members:
                    break
                household_id += 1
                village = villages[household_id % len(villages)]
                phone = f"139{household_id:08d}"
                households.append(
                    (
                        village,
                        f"{village}{household_id:06d}",
                        f"{1 + household_id % 5}组",
                        f"测试村{household_id}号",
                        crypto.encrypt(phone, context=phone_context),
                        crypto.blind_index(phone, kind="phone"),
                        "import",
                    )
                )
                size = min(2 + household_id % 4, members - serial)
                for position in range(size):
                    birth = dt.date(1940, 1, 1) + dt.timedelta(days=serial % 30000)
                    sex = "male" if serial % 2 else "female"
                    first17 = f"{COUNTY}{birth:%Y%m%d}{(serial // 30000) * 2 + (serial % 2):03d}"
                    number = first17 + idnumbers.check_digit(first17)
                    people.append(
                        (
                            household_id,
                            village,
                            f"测试{serial}",
                            crypto.encrypt(number, context=id_context),
                            crypto.blind_index(number, kind="id_number"),
                            sex,
                            birth,
                            relations[position],
                            "import",
                        )
                    )
                    serial += 1
                statements.append(
                    (
                        household_id,
                        village,
                        "calendar_year",
                        dt.date(2025, 1, 1),
                        dt.date(2025, 12, 31),
                        size,
                        20000,
                        0,
                        0,
                        1500,
                        300,
                        "import",
                    )
                )
                for component, amount in (
                    ("wages", 20000),
                    ("transfers", 1500),
                    ("business_expenditure", 300),
                ):
                    lines.append((household_id, village, component, amount))
                indicators.append(
                    (household_id, village, "housing_grade", "B", False, dt.date(2026, 3, 1), "import")
                )
                indicators.append(
                    (household_id, village, "water_quality", "met", False, dt.date(2026, 3, 1), "import")
                )
            insert(
                Household,
                [
                    "region_code",
                    "household_number",
                    "natural_village",
                    "address",
                    "phone",
                    "phone_index",
                    "source",
                ],
                households,
            )
            insert(
                Member,
                [
                    "household_id",
                    "region_code",
                    "name",
                    "id_number",
                    "id_number_index",
                    "sex",
                    "birth_date",
                    "relation",
                    "source",
                ],
                people,
            )
            insert(
                IncomeStatement,
                [
                    "household_id",
                    "region_code",
                    "period_kind",
                    "period_start",
                    "period_end",
                    "household_size",
                    "wages",
                    "business",
                    "property",
                    "transfers",
                    "business_expenditure",
                    "source",
                ],
                statements,
            )
            # A statement's id equals its household's here (one each, inserted in the same order).
            insert(IncomeLine, ["statement_id", "region_code", "component", "amount"], lines)
            insert(
                IndicatorObservation,
                ["household_id", "region_code", "indicator", "value", "is_problem", "observed_on", "source"],
                indicators,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"seconds": time.perf_counter() - start, "households": household_id, "members": serial}


def phase_read(var_dir: Path, dsn: str | None) -> dict[str, Any]:
    setup_django(var_dir, dsn)
    from django.db import connection

    start, cpu = time.perf_counter(), time.process_time()
    rows = 0
    # A server-side cursor on PostgreSQL (the default one would buffer every row in the client).
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT h.household_number, h.phone, m.name, m.id_number, m.birth_date, m.relation "
            "FROM registry_member m JOIN registry_household h ON h.id = m.household_id "
            "WHERE m.left_on IS NULL ORDER BY h.region_code, h.id"
        )
        while batch := cursor.fetchmany(5000):
            rows += len(batch)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "rows": rows,
        "peak_mib": peak_rss_mib(),
    }


def phase_write(rows: int, out: Path, sample: Path) -> dict[str, Any]:
    """N copies of the export's first data row (same types and blanks) through the same writer."""
    setup_django(Path(tempfile.mkdtemp()), None)
    import openpyxl

    from bangfu.core.spreadsheets import StreamingWriter
    from bangfu.registry import layout

    # Read lazily: loading a million-row sheet just for its first row would dwarf what is measured.
    sheet = openpyxl.load_workbook(sample, read_only=True).worksheets[0]
    row = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    start, cpu = time.perf_counter(), time.process_time()
    with StreamingWriter(out, sheet_name="农户信息", headers=layout.HEADERS) as writer:
        # As the export does: a sheet over 2 GiB of XML needs ZIP64 (see exporting._allow_large_file).
        writer._workbook.use_zip64()
        for _n in range(rows):
            writer.write_row(row)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "peak_mib": peak_rss_mib(),
    }


def phase_export(var_dir: Path, dsn: str | None, out: Path, reveal: bool) -> dict[str, Any]:
    setup_django(var_dir, dsn)
    from bangfu.accounts.models import User
    from bangfu.registry.exporting import export_households

    user = User.objects.get(username="bench_clerk")
    start, cpu = time.perf_counter(), time.process_time()
    count = export_households(by=user, region_code=COUNTY, out=out, reveal=reveal)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "rows": count,
        "peak_mib": peak_rss_mib(),
        "file_mib": out.stat().st_size / 2**20,
    }


def child(args: list[str]) -> dict[str, Any]:
    # This script runs itself with fixed arguments.
    command = [sys.executable, __file__, *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    output = done.stdout
    return json.loads(output.strip().splitlines()[-1])


def recreate_database(dsn: str) -> None:
    import psycopg
    from psycopg import sql

    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bangfu-bench")
    parser.add_argument("--pg-dsn", help="a scratch PostgreSQL database (dropped and re-created)")
    parser.add_argument("--phase", choices=["generate", "read", "write", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--masked", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-sqlite", action="store_true", help="only PostgreSQL (with --pg-dsn)")
    args = parser.parse_args()

    if args.phase == "generate":
        print(json.dumps(phase_generate(args.members, args.var_dir, args.pg_dsn)))
        return
    if args.phase == "read":
        print(json.dumps(phase_read(args.var_dir, args.pg_dsn)))
        return
    if args.phase == "write":
        print(json.dumps(phase_write(args.rows, args.out, args.sample)))
        return
    if args.phase == "export":
        print(json.dumps(phase_export(args.var_dir, args.pg_dsn, args.out, reveal=not args.masked)))
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    targets: list[tuple[str, str | None]] = [] if args.skip_sqlite else [("SQLite", None)]
    if args.pg_dsn:
        targets.append(("PostgreSQL", args.pg_dsn))
    for label, dsn in targets:
        if dsn:
            recreate_database(dsn)
        var_dir = Path(tempfile.mkdtemp(prefix="export-", dir=args.workdir))
        common = ["--var-dir", str(var_dir)] + (["--pg-dsn", dsn] if dsn else [])
        made = child(["--phase", "generate", "--members", str(args.members), *common])
        print(
            f"{label}: generated {made['members']:,} members in {made['households']:,} households "
            f"in {made['seconds']:.0f} s"
        )
        read = child(["--phase", "read", *common])
        print(
            f"  raw read (SQL, no decryption) {read['seconds']:8.1f} s wall {read['cpu']:8.1f} s CPU  "
            f"{read['rows']:,} rows  peak {read['peak_mib']:.0f} MiB",
            flush=True,
        )
        out = var_dir / "export.xlsx"
        export = child(["--phase", "export", "--out", str(out), *common])
        print(
            f"  export (revealed)             {export['seconds']:8.1f} s wall {export['cpu']:8.1f} s CPU  "
            f"{export['rows']:,} rows  {export['rows'] / export['seconds']:,.0f} rows/s  "
            f"peak {export['peak_mib']:.0f} MiB  file {export['file_mib']:.0f} MiB",
            flush=True,
        )
        raw = ["--phase", "write", "--rows", str(read["rows"]), "--out", str(var_dir / "raw.xlsx")]
        write = child([*raw, "--sample", str(out)])
        print(
            f"  raw write (xlsxwriter)        {write['seconds']:8.1f} s wall {write['cpu']:8.1f} s CPU  "
            f"peak {write['peak_mib']:.0f} MiB",
            flush=True,
        )
        print(
            f"  export / (read + write): {export['cpu'] / (read['cpu'] + write['cpu']):.2f}x CPU", flush=True
        )


if __name__ == "__main__":
    main()
