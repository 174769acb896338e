"""Per-capita net income computed in whole fen, so SQLite does not divide integers as integers.

A generated column cannot be altered in place (Django and the databases refuse), so it is dropped and added
again with the new expression; its values are recomputed by the database from the stored components.
"""

from decimal import Decimal

import django.db.models.expressions
import django.db.models.functions.math
from django.db import migrations, models


def _net_income() -> django.db.models.expressions.CombinedExpression:
    return django.db.models.expressions.CombinedExpression(
        django.db.models.expressions.CombinedExpression(
            django.db.models.expressions.CombinedExpression(
                django.db.models.expressions.CombinedExpression(models.F("wages"), "+", models.F("business")),
                "+",
                models.F("property"),
            ),
            "+",
            models.F("transfers"),
        ),
        "-",
        models.F("business_expenditure"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_households_members_income_indicators"),
    ]

    operations = [
        migrations.RemoveField(model_name="incomestatement", name="net_income_per_capita"),
        migrations.AddField(
            model_name="incomestatement",
            name="net_income_per_capita",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(
                        household_size__gt=0,
                        then=django.db.models.expressions.CombinedExpression(
                            django.db.models.functions.math.Round(
                                django.db.models.expressions.CombinedExpression(
                                    django.db.models.functions.math.Round(
                                        django.db.models.expressions.CombinedExpression(
                                            _net_income(), "*", models.Value(Decimal("100.0"))
                                        )
                                    ),
                                    "/",
                                    models.F("household_size"),
                                )
                            ),
                            "/",
                            models.Value(Decimal("100.0")),
                        ),
                    ),
                    default=None,
                ),
                output_field=models.DecimalField(decimal_places=2, max_digits=13),
                verbose_name="家庭人均纯收入",
            ),
        ),
    ]
