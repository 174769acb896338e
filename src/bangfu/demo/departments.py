"""Department data for the demo city: last month's uploads of eight departments, drawn from the population.

Each kind is one INSERT … SELECT over the current members (set-based: a million households take seconds):
which members a department lists, and their amounts, grades and statuses, come from a multiplicative hash
of the member's id, at rates departments see (most hospital stays cost little, few houses are unsafe, few
certificates are new …), so the same population always gets the same data. The medical upload is then
matched set-based (``datasets.importing.match_version``); the others are written matched. The rows
carry the member's own encrypted ID token as it is (nothing decrypts it; the blind index is what matching
and screening read).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from bangfu.accounts.models import User
from bangfu.datasets.importing import match_version
from bangfu.datasets.models import DatasetRecord, DatasetVersion
from bangfu.registry.models import ImportRun, ImportStatus

# A uniform draw 0..999 per member, and a second one for amounts (multiplicative hashing of the id).
U = "((CAST(m.id AS BIGINT) * 2654435761) % 1000)"
V = "((CAST(m.id AS BIGINT) * 40503) % 10000)"
# kind, sector, member selector (on m.id), and the SQL of its typed columns: rates as
# departments see them (most stays cost little, few houses are unsafe, few certificates are new …).
KINDS: list[tuple[str, str, str, dict[str, str]]] = [
    (
        "medical",
        "medical_insurance",
        "m.id % 11 IN (0, 1)",
        {
            "amount": f"CASE WHEN {U} < 900 THEN {V} * 0.3 WHEN {U} < 980 THEN 3000 + {V} * 0.6"
            f" ELSE 9000 + {V} * 4.1 END",
            "category": "''",
            "grade": "''",
        },
    ),
    (
        "assistance",
        "civil_affairs",
        "m.id % 8 = 3",
        {
            "amount": "NULL",
            "category": f"CASE WHEN {U} < 150 THEN 'tekun' ELSE 'dibao' END",
            "grade": "'2'",
            "start_date": f"CASE WHEN {U} % 33 = 0 THEN '@NEW@' ELSE '2024-05-01' END",
            "event_date": "NULL",
        },
    ),
    (
        "housing",
        "housing",
        "m.id % 11 = 5",
        {
            "amount": "NULL",
            "category": "''",
            "grade": f"CASE WHEN {U} < 5 THEN 'D' WHEN {U} < 20 THEN 'C' ELSE 'B' END",
        },
    ),
    (
        "school",
        "education",
        "m.id % 11 = 7",
        {
            "amount": "NULL",
            "category": f"CASE WHEN {U} < 3 THEN 'suspected_dropout' ELSE 'enrolled' END",
            "grade": "''",
        },
    ),
    (
        "disability",
        "disabled_persons",
        "m.id % 16 = 9",
        {
            "amount": "NULL",
            "category": "'physical'",
            "grade": f"CASE WHEN {U} < 150 THEN '1' WHEN {U} < 400 THEN '2' WHEN {U} < 700 THEN '3'"
            " ELSE '4' END",
            "event_date": f"CASE WHEN {V} < 500 THEN '@NEW@' ELSE '2019-06-01' END",
        },
    ),
    (
        "employment",
        "human_resources",
        "m.id % 16 = 13",
        {
            "amount": f"CASE WHEN {U} < 50 THEN 3 + {U} % 4 ELSE {U} % 3 END",
            "category": "'contribution_gap'",
            "grade": "''",
        },
    ),
    (
        # Deaths reported by the police (户籍注销) or the funeral homes (火化): about 7 per 1,000 a year.
        "death",
        "public_security",
        "m.id % 1667 = 11",
        {
            "amount": "NULL",
            "category": f"CASE WHEN {U} < 700 THEN 'deregistered' ELSE 'cremation' END",
            "grade": "''",
        },
    ),
    (
        # A flood and landslides: about one household in a hundred lost crops or rooms (listed by head).
        "disaster",
        "emergency",
        "m.relation = 'head' AND m.household_id % 97 = 5",
        {
            "amount": f"1000 + {V} * 3",
            "category": f"CASE WHEN {U} < 800 THEN 'flood' ELSE 'geological' END",
            "grade": "''",
        },
    ),
]
# Kinds whose upload is a register (every holder), not last month's events: its period starts long before.
REGISTERS = frozenset({"disability", "assistance"})
REGISTER_START = dt.date(2010, 1, 1)


@dataclass(frozen=True)
class DepartmentData:
    versions: int
    records: int
    created: bool


def last_month(on: dt.date) -> tuple[dt.date, dt.date]:
    end = on.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _as_date(expression: str) -> str:
    """A text date expression as a date column value: PostgreSQL needs the cast, SQLite stores the text."""
    if connection.vendor == "postgresql" and expression != "NULL":
        return f"CAST({expression} AS date)"
    return expression


def load_department_data(*, on: dt.date, uploader: User) -> DepartmentData:
    """Last month's uploads (relative to ``on``) of the eight departments, once: nothing when the database
    already holds department data. One transaction."""
    if DatasetRecord.objects.exists():
        return DepartmentData(
            versions=DatasetVersion.objects.count(), records=DatasetRecord.objects.count(), created=False
        )
    start, end = last_month(on)
    days = [
        start.replace(day=d).isoformat()
        for d in (5, 15, min(25, calendar.monthrange(end.year, end.month)[1]))
    ]
    new_day = start.replace(day=12).isoformat()
    with transaction.atomic():
        for kind, sector, where, columns in KINDS:
            run = ImportRun.objects.create(
                kind=f"datasets.{kind}",
                region_code="610900000000",
                file_name=f"演示数据-{kind}.xlsx",
                file_sha256=(kind * 64)[:64],
                status=ImportStatus.SUCCEEDED,
                created_by=uploader,
            )
            version = DatasetVersion.objects.create(
                kind=kind,
                sector=sector,
                region_code="610900000000",
                number=1,
                period_start=REGISTER_START if kind in REGISTERS else start,
                period_end=end,
                run=run,
                uploaded_by=uploader,
            )
            event = columns.get(
                "event_date",
                f"CASE m.id % 3 WHEN 0 THEN '{days[0]}' WHEN 1 THEN '{days[1]}' ELSE '{days[2]}' END",
            ).replace("@NEW@", new_day)
            first = columns.get("start_date", "NULL").replace("@NEW@", new_day)
            link = "NULL, NULL, 'unmatched'" if kind == "medical" else "m.id, m.household_id, 'matched'"
            # Identifiers and expressions are this module's constants and dates; the values are parameters.
            sql = (
                "INSERT INTO datasets_datasetrecord (version_id, kind, sector, region_code, row, name,"  # noqa: S608
                " id_number, id_number_index, member_id, household_id, match, event_date, start_date, amount,"
                " category, grade, text, note)"
                f" SELECT %s, %s, %s, m.region_code, m.id, m.name, m.id_number, m.id_number_index, {link},"
                f" {_as_date(event)}, {_as_date(first)}, {columns['amount']}, {columns['category']},"
                f" {columns['grade']}, '', '' FROM registry_member m WHERE m.left_on IS NULL AND {where}"
            )
            # A literal % (modulo) is written %% where parameters follow, on both databases.
            sql = sql.replace("%", "%%").replace("%%s", "%s")
            with connection.cursor() as cursor:
                cursor.execute(sql, [version.pk, kind, sector])
            version.row_count = DatasetRecord.objects.filter(version=version).count()
            version.matched_count = version.row_count if kind != "medical" else 0
            version.save(update_fields=["row_count", "matched_count"])
            if kind == "medical":
                match_version(version)
                version.matched_count = DatasetRecord.objects.filter(version=version, match="matched").count()
                version.save(update_fields=["matched_count"])
    return DepartmentData(
        versions=DatasetVersion.objects.count(), records=DatasetRecord.objects.count(), created=True
    )
