"""API tokens get a scope and an expiry (issue 17). Existing tokens: a device account's (no staff row) becomes
a device token, a staff member's a counter token; each expires a year (device) or 180 days (counter) after
this migration, so no integration stops on the day of the upgrade. See docs/decisions.md."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

LIFETIME_DAYS = {"device": 365, "counter": 180}


def scope_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("hall", "ApiToken")
    Staff = apps.get_model("hall", "Staff")
    staff_users = set(Staff.objects.values_list("user_id", flat=True))
    now = timezone.now()
    for token in ApiToken.objects.all():
        token.scope = "counter" if token.user_id in staff_users else "device"
        token.expires_at = now + dt.timedelta(days=LIFETIME_DAYS[token.scope])
        token.save(update_fields=["scope", "expires_at"])


class Migration(migrations.Migration):
    dependencies = [("hall", "0011_enrolment_codes")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("device", "device: issue tickets, read the board"),
                    ("counter", "counter: a window's calls"),
                    ("reports", "reports: read only"),
                ],
                default="device",
                max_length=10,
                verbose_name="scope",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(scope_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                blank=True, help_text="Empty: the scope's usual lifetime from now.", verbose_name="expires"
            ),
        ),
    ]
