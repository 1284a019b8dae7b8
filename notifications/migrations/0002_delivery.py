"""Delivery bookkeeping for the send jobs and the sweeper: claims, back-off, idempotency keys."""

import uuid

import django.utils.timezone
from django.db import migrations, models
from django.db.models.functions import Coalesce


def fill_keys_and_due_times(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.update(next_attempt_at=Coalesce("not_before", "created_at"))
    for pk in Notification.objects.values_list("pk", flat=True).iterator():
        Notification.objects.filter(pk=pk).update(idempotency_key=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_due",
        ),
        migrations.AddField(
            model_name="notification",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sending since"),
        ),
        migrations.AddField(
            model_name="notification",
            name="enqueued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="enqueued"),
        ),
        migrations.AddField(
            model_name="notification",
            name="idempotency_key",
            field=models.UUIDField(editable=False, null=True, verbose_name="idempotency key"),
        ),
        migrations.AddField(
            model_name="notification",
            name="last_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last attempt"),
        ),
        migrations.AddField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="next attempt"),
        ),
        migrations.RunPython(fill_keys_and_due_times, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="idempotency_key",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="idempotency key"
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "queued"),
                    ("sending", "sending"),
                    ("sent", "sent"),
                    ("failed", "failed"),
                    ("refused", "refused"),
                    ("withdrawn", "withdrawn"),
                ],
                default="queued",
                max_length=10,
                verbose_name="state",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["hall", "last_attempt_at"], name="notification_hall_day"),
        ),
    ]
