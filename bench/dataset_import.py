"""Benchmark: importing a department's file (``datasets.importing``: read, check every row, encrypt, match to
the registry, write) against python-calamine's bare parse of the same file.

Runs against a database that holds the demo population (``BANGFU_VAR_DIR``'s SQLite, or ``DATABASE_URL``;
see ``bench/demo_population.py``). Writes a medical-insurance file of ``--rows`` hospital stays of current
members (their real synthetic ID numbers, decrypted for the file), with 5 % people not in the registry and
2 % names spelled differently, for last month; imports it as the demo's medical department; prints the times,
the ratio to the bare parse, the matches, and the peak memory; then removes the version it stored.

    BANGFU_VAR_DIR=/tmp/bench-1m python bench/dataset_import.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings")
    import django

    django.setup()
    import python_calamine
    import xlsxwriter
    from django.db import connection
    from django.utils import timezone

    from bangfu.accounts.models import User
    from bangfu.core.idnumbers import check_digit
    from bangfu.datasets.importing import import_dataset
    from bangfu.datasets.models import DatasetRecord, DatasetVersion
    from bangfu.demo.departments import last_month
    from bangfu.registry.models import Member

    total = Member.objects.filter(left_on__isnull=True).count()
    if total < args.rows:
        raise SystemExit(f"the database holds {total:,} current members; load a demo population first")
    step = max(1, total // args.rows)
    on = timezone.localdate()
    period = last_month(on)
    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as directory:
        path = Path(directory) / "medical.xlsx"
        started = time.perf_counter()
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = workbook.add_worksheet("住院结算")
        sheet.write_row(
            0, 0, ["序号", "姓名", "身份证号码", "入院日期", "出院日期", "医疗总费用", "个人自付"]
        )
        members = Member.objects.filter(left_on__isnull=True).order_by("id").only("id", "name", "id_number")
        row = 1
        for n, member in enumerate(members.iterator(chunk_size=5000)):
            if n % step:
                continue
            if row > args.rows:
                break
            number, name = member.id_number, member.name
            if row % 20 == 0:  # someone the registry does not hold
                birth = dt.date(1950, 1, 1) + dt.timedelta(days=row % 20000)
                first17 = f"610999{birth:%Y%m%d}{row % 1000:03d}"
                number = first17 + check_digit(first17)
            elif row % 50 == 1:  # the same person, the name typed differently
                name = name + "某"
            stay = period[0] + dt.timedelta(days=row % 25)
            sheet.write_row(row, 0, [row, name])
            sheet.write_string(row, 2, number)
            out = (stay + dt.timedelta(days=3)).isoformat()
            sheet.write_row(row, 3, [stay.isoformat(), out, 2000 + row % 9000, 300 + row % 7000])
            row += 1
        workbook.close()
        rows = row - 1
        size = path.stat().st_size / 2**20
        print(
            f"{connection.vendor}: wrote {rows:,} rows ({size:.1f} MiB)"
            f" in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

        started = time.perf_counter()
        sheet_data = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0)
        cells = sum(len(r) for r in sheet_data.iter_rows())
        parse = time.perf_counter() - started
        print(f"  bare parse (python-calamine)  {parse:7.2f} s  {cells:,} cells", flush=True)

        uploader = User.objects.get(username="demo_medical")
        started = time.perf_counter()
        run = import_dataset(
            by=uploader,
            kind="medical",
            path=path,
            file_name=path.name,
            period_start=period[0],
            period_end=period[1],
        )
        seconds = time.perf_counter() - started
    print(
        f"  import (check, encrypt, match, write) {seconds:7.2f} s  {rows / seconds:,.0f} rows/s  "
        f"ratio {seconds / parse:.2f}x  peak {peak_mib():.0f} MiB"
        f"  status={run.status} errors={run.error_count}"
    )
    print(f"  {run.summary}")
    version = DatasetVersion.objects.filter(run=run).first()
    if version is not None:
        DatasetRecord.objects.filter(version=version).delete()
        version.delete()


if __name__ == "__main__":
    main()
