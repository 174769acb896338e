"""复查日期 of supervision orders: a reply answers for the order's problems until then (``follow_up_day``);
orders replied before this migration get theirs from their own dates."""

import datetime as dt

from django.db import migrations, models


def set_follow_up(apps, schema_editor):
    # The rule of supervision.follow_up_day, restated here: a migration must not import code that changes.
    order_model = apps.get_model("rectification", "SupervisionOrder")
    replied = order_model.objects.filter(replied_on__isnull=False, follow_up_on__isnull=True)
    for order in replied.only("pk", "replied_on", "issued_on", "reply_due_on").iterator():
        given = dt.timedelta(0)
        if order.reply_due_on is not None and order.issued_on is not None:
            given = order.reply_due_on - order.issued_on
        order.follow_up_on = order.replied_on + max(given, dt.timedelta(days=1))
        order.save(update_fields=["follow_up_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("rectification", "0002_problem_categories"),
    ]

    operations = [
        migrations.AddField(
            model_name="supervisionorder",
            name="follow_up_on",
            field=models.DateField(blank=True, null=True, verbose_name="复查日期"),
        ),
        migrations.RunPython(set_follow_up, migrations.RunPython.noop),
    ]
