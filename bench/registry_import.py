"""Benchmark: importing a national-layout workbook of N members with full validation, against the bare parse.

Generates a synthetic workbook (title rows, every layout column filled, valid ID numbers; cached under
``--workdir``), then measures in separate child processes, so that each peak RSS is its own:

* ``parse``  — the raw baseline: python-calamine reading every row of the sheet, nothing else;
* ``check``  — ``--dry-run`` on a fresh database: reading, parsing, every validation and database check,
  the plan of what would be written; nothing written;
* ``import`` — ``registry.importing`` on a fresh database (SQLite under a scratch ``BANGFU_VAR_DIR``; and
  PostgreSQL when ``--pg-dsn`` names a scratch database, which is dropped and re-created): reading, parsing,
  validation, the database checks and the bulk write with its audit events;
* ``reimport`` — the same file again: everything compared, nothing written.

Prints seconds, rows per second, peak RSS and the ratio import / parse. Goal (issue 3): ≤ 3× the bare parse,
≤ 1 GiB.

    python bench/registry_import.py [--members 100000] [--pg-dsn postgresql://postgres@127.0.0.1:5432/bench_import]
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

TOWNS = 10
VILLAGES_PER_TOWN = 10
COUNTY = "610902"
ON = dt.date(2026, 3, 20)


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def village_codes() -> list[str]:
    return [f"{COUNTY}{t:03d}{v:03d}" for t in range(1, TOWNS + 1) for v in range(1, VILLAGES_PER_TOWN + 1)]


def id_number(serial: int, sex: str) -> tuple[str, dt.date]:
    """A valid, unique synthetic ID: birth dates cycle over 30,000 days, the sequence carries the cycle."""
    from bangfu.core.idnumbers import check_digit

    birth = dt.date(1940, 1, 1) + dt.timedelta(days=serial % 30000)
    sequence = (serial // 30000) * 2 + (1 if sex == "male" else 0)
    first17 = f"{COUNTY}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17), birth


def generate(path: Path, members: int) -> int:
    """Write the workbook; returns the number of households."""
    import xlsxwriter

    from bangfu.registry import layout

    headers = list(layout.HEADERS)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Sheet1")
    sheet.write(0, 0, "安康市汉滨区2025年防返贫监测农户信息表")
    sheet.write(1, 0, "填报单位：汉滨区农业农村局    填报日期：2026年3月")
    sheet.write_row(2, 0, headers)
    villages = village_codes()
    relations = ["户主", "配偶", "之子", "之女", "之孙子", "之母"]
    row_number = 3
    serial = 0
    household = 0
    while serial < members:
        size = min(1 + household % 6, members - serial)
        village = villages[household % len(villages)]
        number = f"{village}{household:06d}"
        wages = 6000 + (household % 50) * 500
        transfers = 1200 + (household % 7) * 100
        net = wages + transfers - 300
        for position in range(size):
            sex = "male" if (serial + position) % 2 else "female"
            number_id, birth = id_number(serial, sex)
            values: dict[str, Any] = {
                "county_name": "汉滨区",
                "town_name": f"测试镇{village[6:9]}",
                "village_name": f"测试村{village[6:]}",
                "region_code": village,
                "household_number": number,
                "natural_village": f"{1 + household % 5}组",
                "address": f"测试村{1 + household % 5}组{household}号",
                "household_type": "脱贫户" if household % 3 == 0 else "一般农户",
                "is_exited_poor": "是" if household % 3 == 0 else "否",
                "relocated": "否",
                "phone": f"139{household:08d}",
                "household_size": size,
                "year": 2025,
                "checked_on": "2026-03-01",
                "name": f"测试{serial}",
                "id_number": number_id,
                "sex": "男" if sex == "male" else "女",
                "birth_date": birth,
                "relation": relations[position],
                "ethnicity": "汉族",
                "political_status": "群众",
                "education": "初中",
                "school_status": "非在校生",
                "health": "健康",
                "labour_capacity": "普通劳动力",
                "resident_medical_insurance": "是",
                "employee_medical_insurance": "否",
                "critical_illness_insurance": "是",
                "resident_pension": "是",
                "employee_pension": "否",
                "dibao": "是" if household % 10 == 0 else "否",
                "dibao_grade": "二类" if household % 10 == 0 else "",
                "extreme_poverty_support": "否",
                "wages": wages,
                "business": 0,
                "property": 0,
                "transfers": transfers,
                "business_expenditure": 300,
                "net_income": net,
                "net_income_per_capita": round(net / size, 2),
                "insurance_payout": 0,
                "compliant_out_of_pocket": 0,
                "housing_grade": "B",
                "housing_problem": "否",
                "water_problem": "否",
                "water_quantity": "是",
                "water_quality": "是",
                "water_convenience": "是",
                "water_guarantee": "是",
                "child_out_of_school": "否",
                "uninsured_member": "否",
            }
            if position == 0 and household % 2 == 0:
                values.update(
                    work_place="省外",
                    work_started_on="2025-03-01",
                    work_months=9,
                    employer="苏州某电子厂",
                    industry="制造业",
                    work_channel="组织化劳务输出",
                    transport_subsidy=300,
                )
            row = [values.get(column.key, "") for column in layout.COLUMNS]
            for col, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(row_number, col, value)
                elif value != "":
                    sheet.write(row_number, col, value)
            row_number += 1
            serial += 1
        household += 1
    workbook.close()
    return household


# --- phases (each in its own process) -----------------------------------------------------------------------


def phase_parse(path: Path) -> dict[str, Any]:
    import python_calamine

    start, cpu = time.perf_counter(), time.process_time()
    workbook = python_calamine.CalamineWorkbook.from_path(path)
    sheet = workbook.get_sheet_by_name(workbook.sheet_names[0])
    cells = 0
    for row in sheet.iter_rows():
        cells += len(row)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "cells": cells,
        "peak_mib": peak_rss_mib(),
    }


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


def prepare_database() -> Any:
    """Migrate, load the region tree of the synthetic county and a county clerk; returns the clerk."""
    from django.core.management import call_command

    from bangfu.accounts.models import Role, User
    from bangfu.regions.models import Region

    call_command("migrate", verbosity=0)
    province, _created = Region.objects.get_or_create(code="610000000000", defaults={"name": "陕西省"})
    city, _created = Region.objects.get_or_create(
        code="610900000000", defaults={"name": "安康市", "parent": province}
    )
    county, _created = Region.objects.get_or_create(
        code=f"{COUNTY}000000", defaults={"name": "汉滨区", "parent": city}
    )
    for code in village_codes():
        town, _created = Region.objects.get_or_create(
            code=code[:9] + "000", defaults={"name": f"测试镇{code[6:9]}", "parent": county}
        )
        Region.objects.get_or_create(code=code, defaults={"name": f"测试村{code[6:]}", "parent": town})
    user, _created = User.objects.get_or_create(
        username="bench_clerk", defaults={"role": Role.COUNTY_OFFICE, "region": county}
    )
    return user


def phase_import(path: Path, var_dir: Path, dsn: str | None, runs: int, *, dry_run: bool) -> dict[str, Any]:
    setup_django(var_dir, dsn)
    from bangfu.registry import importing

    user = prepare_database()
    results: list[dict[str, Any]] = []
    for _attempt in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        run = importing.prepare_import(by=user, path=path, file_name=path.name, dry_run=dry_run)
        run = importing.import_households(run=run, on=ON)
        seconds = time.perf_counter() - start
        results.append(
            {
                "seconds": seconds,
                "cpu": time.process_time() - cpu,
                "status": run.status,
                "errors": run.error_count,
                "warnings": run.warning_count,
                "summary": run.summary,
                "first_problems": run.problems[:3],
                "peak_mib": peak_rss_mib(),
            }
        )
    return {"runs": results}


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
    admin = dsn.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bangfu-bench")
    parser.add_argument("--pg-dsn", help="a scratch PostgreSQL database (dropped and re-created)")
    parser.add_argument("--phase", choices=["parse", "import", "generate"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "parse":
        print(json.dumps(phase_parse(args.file)))
        return
    if args.phase == "import":
        print(json.dumps(phase_import(args.file, args.var_dir, args.pg_dsn, args.runs, dry_run=args.dry_run)))
        return
    if args.phase == "generate":
        setup_django(args.var_dir, None)
        start = time.perf_counter()
        households = generate(args.file, args.members)
        print(json.dumps({"households": households, "seconds": time.perf_counter() - start}))
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"households-{args.members}.xlsx"
    if not path.exists():
        scratch = Path(tempfile.mkdtemp(prefix="gen-", dir=args.workdir))
        made = child(
            [
                "--phase",
                "generate",
                "--file",
                str(path),
                "--members",
                str(args.members),
                "--var-dir",
                str(scratch),
            ]
        )
        print(f"generated {path} ({made['households']:,} households) in {made['seconds']:.1f} s")
    size_mib = path.stat().st_size / 2**20
    print(f"workbook: {args.members:,} members, {size_mib:.1f} MiB")

    parse = child(["--phase", "parse", "--file", str(path)])
    print(
        f"bare parse (python-calamine)  {parse['seconds']:8.2f} s wall {parse['cpu']:8.2f} s CPU  "
        f"{parse['cells']:,} cells  peak {parse['peak_mib']:.0f} MiB"
    )
    targets = [("SQLite", None)]
    if args.pg_dsn:
        targets.append(("PostgreSQL", args.pg_dsn))
    for label, dsn in targets:
        if dsn:
            recreate_database(dsn)
        var_dir = Path(tempfile.mkdtemp(prefix="var-", dir=args.workdir))
        command = ["--phase", "import", "--file", str(path), "--var-dir", str(var_dir)]
        if dsn:
            command += ["--pg-dsn", dsn]
        # The check alone (--dry-run: every validation and database check, nothing written), then the import
        # and the re-import of the same file, in a fresh database each.
        check = child([*command, "--dry-run", "--runs", "1"])["runs"][0]
        print(
            f"{label:10s} check (dry run) {check['seconds']:8.2f} s wall {check['cpu']:8.2f} s CPU  "
            f"{args.members / check['seconds']:6.0f} rows/s  peak {check['peak_mib']:.0f} MiB  "
            f"ratio {check['seconds'] / parse['seconds']:.2f}x wall, {check['cpu'] / parse['cpu']:.2f}x CPU  "
            f"status={check['status']} errors={check['errors']}",
            flush=True,
        )
        if dsn:
            recreate_database(dsn)
        var_dir = Path(tempfile.mkdtemp(prefix="var-", dir=args.workdir))
        command = ["--phase", "import", "--file", str(path), "--var-dir", str(var_dir)]
        if dsn:
            command += ["--pg-dsn", dsn]
        result = child(command)
        first, again = result["runs"][0], result["runs"][-1]
        print(
            f"{label:10s} import          {first['seconds']:8.2f} s wall {first['cpu']:8.2f} s CPU  "
            f"{args.members / first['seconds']:6.0f} rows/s  peak {first['peak_mib']:.0f} MiB  "
            f"ratio {first['seconds'] / parse['seconds']:.2f}x wall, {first['cpu'] / parse['cpu']:.2f}x CPU  "
            f"status={first['status']} errors={first['errors']} warnings={first['warnings']}"
        )
        print(f"{'':10s}   {json.dumps(first['summary'], ensure_ascii=False)}")
        if first["first_problems"]:
            print(f"{'':10s}   first problems: {json.dumps(first['first_problems'], ensure_ascii=False)}")
        print(
            f"{label:10s} re-import       {again['seconds']:8.2f} s wall {again['cpu']:8.2f} s CPU  "
            f"ratio {again['seconds'] / parse['seconds']:.2f}x wall, {again['cpu'] / parse['cpu']:.2f}x CPU  "
            f"peak {again['peak_mib']:.0f} MiB  unchanged={again['summary'].get('households_unchanged')}"
        )


if __name__ == "__main__":
    main()
