"""Give the API tokens issued before expiry existed an end date: their creation plus the default lifetime."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.db.models import F


def fill_expiry(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    days = getattr(settings, "BANGFU_API_TOKEN_DAYS", 365)
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=F("created_at") + timedelta(days=days))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_apitoken_expires_at"),
    ]

    operations = [
        # Reversing leaves the dates in place: the column they live in is dropped by 0004's reversal.
        migrations.RunPython(fill_expiry, migrations.RunPython.noop),
    ]
