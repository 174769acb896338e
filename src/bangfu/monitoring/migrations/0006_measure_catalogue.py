"""The measure catalogue (RULES §9.2): the national category codes and, for each, the risk types it answers
("缺什么补什么", RULES §9.1). The water category answering 因安全饮水 is the national export check 5_18_006;
the other pairings follow the categories' names (health for illness, education for schooling …) and are a
default a province changes as data."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ALL_RISKS = ["因病", "因残", "因学", "因自然灾害", "因意外事故", "因产业失败", "因务工就业不稳", "因缺劳动力", "因安全饮水", "其他"]

# (code, name, risk types answered, developmental)
CATEGORIES: list[tuple[str, str, list[str], bool]] = [
    ("100A39", "产业帮扶", ["因产业失败", "因自然灾害", "因务工就业不稳", "其他"], True),
    ("100A40", "就业帮扶", ["因务工就业不稳", "因产业失败", "因残", "其他"], True),
    ("100A41", "金融帮扶", ["因产业失败", "因自然灾害", "其他"], True),
    ("100A42", "公益岗位帮扶", ["因务工就业不稳", "因缺劳动力", "因残", "其他"], True),
    ("100A45", "健康帮扶", ["因病", "因残", "因意外事故", "其他"], False),
    ("100A46", "义务教育保障", ["因学", "其他"], False),
    ("100A47", "其他教育帮扶", ["因学", "其他"], False),
    ("100A48", "综合保障", ["因病", "因残", "因缺劳动力", "因意外事故", "因自然灾害", "其他"], False),
    ("100A50", "住房安全保障", ["因自然灾害", "其他"], False),
    ("100A51", "饮水安全保障", ["因安全饮水", "其他"], False),
    ("100A52", "社会帮扶", ALL_RISKS, False),
    ("100A53", "搬迁", ["因自然灾害", "其他"], False),
    ("100A54", "生产生活条件改善", ["因自然灾害", "因安全饮水", "其他"], False),
    ("100A55", "基础设施建设", ["因安全饮水", "其他"], False),
]


def seed(apps: Any, schema_editor: Any) -> None:
    MeasureCategory = apps.get_model("monitoring", "MeasureCategory")
    for code, name, risks, developmental in CATEGORIES:
        MeasureCategory.objects.get_or_create(
            code=code, defaults={"name": name, "risk_types": risks, "developmental": developmental}
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("monitoring", "MeasureCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0005_cases")]

    operations = [migrations.RunPython(seed, unseed)]
