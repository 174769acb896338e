"""Department files as departments send them, and the people of the registry they name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from bangfu.regions.models import Region
from bangfu.registry.models import Member
from tests.factories import MemberFactory, synthetic_id_number

ON = dt.date(2026, 3, 20)
FEBRUARY = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
HEADERS = [
    "序号",
    "患者姓名",
    "身份证号码",
    "入院日期",
    "出院日期",
    "医疗总费用",
    "经三重保障后个人自付",
    "医院名称",
]
STRANGER = synthetic_id_number(birth=dt.date(1959, 5, 6), sex="male", serial=77)


def write_file(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> Path:
    """A department's export: a title row, the header, the rows (ID numbers as text cells)."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("住院结算")
    sheet.write(0, 0, "汉滨区2026年2月住院费用个人自付情况")
    sheet.write_row(1, 0, headers)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(
                    r,
                    c,
                    dt.datetime.combine(value, dt.time()),
                    workbook.add_format({"num_format": "yyyy-mm-dd"}),
                )
            elif value is not None:
                sheet.write_string(r, c, value) if isinstance(value, str) else sheet.write(r, c, value)
    workbook.close()
    return path


@pytest.fixture
def people(regions: dict[str, Region]) -> dict[str, Member]:
    current = MemberFactory(name="张大山")
    renamed = MemberFactory(name="李秀英")
    gone = MemberFactory(name="王老五", left_on=dt.date(2025, 12, 1), left_reason="died")
    return {"current": current, "renamed": renamed, "gone": gone}


def rows_for(people: dict[str, Member]) -> list[list[Any]]:
    return [
        [
            1,
            "张大山",
            people["current"].id_number,
            dt.date(2026, 2, 3),
            dt.date(2026, 2, 10),
            32000,
            8600.5,
            "汉滨区人民医院",
        ],
        [
            2,
            "李秀",
            people["renamed"].id_number,
            "2026/2/5",
            "2026年2月12日",
            "12,000",
            "6100",
            "安康市中心医院",
        ],
        [3, "王老五", people["gone"].id_number, None, "20260214", 5000, 1200, ""],
        [4, "赵外县", STRANGER, None, dt.date(2026, 2, 20), 20000, 11000, "西安某医院"],
    ]
