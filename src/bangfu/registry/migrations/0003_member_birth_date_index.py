"""An index for the duplicate finder's self-join on members: same birth date, then the town's code range."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_per_capita_income_in_whole_fen"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["birth_date", "region_code"], name="registry_member_birth_region"),
        ),
    ]
