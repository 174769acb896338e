"""Orders replied before 复查日期 existed get theirs from their own dates when the migration runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("rectification", "0002_problem_categories")]
AFTER = [("rectification", "0003_order_follow_up")]


@pytest.mark.django_db(transaction=True)
def test_replied_orders_get_their_follow_up_day_from_their_own_dates() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_order = executor.loader.project_state(BEFORE).apps.get_model("rectification", "SupervisionOrder")
    common = {"region_code": "610902000000", "issuing_office": "专班", "recipient_unit": "镇政府"}
    common["recipient_region_code"] = "610902001000"
    replied = old_order.objects.create(
        **common,
        state="replied",
        drafted_on=dt.date(2026, 6, 1),
        issued_on=dt.date(2026, 6, 1),
        reply_due_on=dt.date(2026, 6, 4),
        replied_on=dt.date(2026, 6, 3),
        reply="已整改",
    )
    same_day = old_order.objects.create(
        **common,
        state="replied",
        drafted_on=dt.date(2026, 6, 1),
        issued_on=dt.date(2026, 6, 1),
        reply_due_on=dt.date(2026, 6, 1),
        replied_on=dt.date(2026, 6, 1),
        reply="已整改",
    )
    draft = old_order.objects.create(**common, state="draft", drafted_on=dt.date(2026, 6, 1))

    executor = MigrationExecutor(connection)
    try:
        executor.migrate(AFTER)
        new_order = executor.loader.project_state(AFTER).apps.get_model("rectification", "SupervisionOrder")
        follow_up = dict(new_order.objects.values_list("pk", "follow_up_on"))
    finally:
        # Back to the latest migrations, whatever comes after 0003 one day, for the tests that follow.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    # Answered for as long as the unit was given to reply, at least a day; a draft has none.
    assert follow_up == {
        replied.pk: dt.date(2026, 6, 6),
        same_day.pk: dt.date(2026, 6, 2),
        draft.pk: None,
    }
