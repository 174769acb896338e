"""The problem categories (问题类别) of the ledgers (RULES §10.2): data, extendable by the city."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CATEGORIES = (
    ("income", "收入"),
    ("housing", "住房"),
    ("water", "饮水"),
    ("education", "教育"),
    ("medical", "医疗"),
    ("employment", "就业"),
    ("industry", "产业"),
    ("policy", "政策落实"),
    ("responsibility", "责任落实"),
    ("infrastructure", "基础设施"),
    ("records", "档案资料"),
    ("other", "其他"),
)


# Categories whose problems concern a person's health: published without their text (RULES §6.4).
PRIVATE_DETAILS = frozenset({"medical"})


def seed(apps: Any, schema_editor: Any) -> None:
    category = apps.get_model("rectification", "ProblemCategory")
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        category.objects.update_or_create(
            code=code,
            defaults={"name": name, "sort_order": order * 10, "public_details": code not in PRIVATE_DETAILS},
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("rectification", "ProblemCategory").objects.filter(code__in=[c for c, _ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("rectification", "0001_problems_lists_reports_escalation")]

    operations = [migrations.RunPython(seed, unseed)]
