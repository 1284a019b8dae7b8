"""QueueRules.late_minutes becomes BookingRules.no_show_grace_minutes: one no-show rule per hall, used by
the sweep and by check-in alike (appointments/noshow.py). A hall's value is carried over."""

from django.db import migrations


def carry_over(apps, schema_editor):
    QueueRules = apps.get_model("queueing", "QueueRules")
    BookingRules = apps.get_model("appointments", "BookingRules")
    for rules in QueueRules.objects.exclude(late_minutes=15):
        BookingRules.objects.update_or_create(
            hall_id=rules.hall_id, defaults={"no_show_grace_minutes": rules.late_minutes}
        )


def carry_back(apps, schema_editor):
    QueueRules = apps.get_model("queueing", "QueueRules")
    BookingRules = apps.get_model("appointments", "BookingRules")
    for rules in BookingRules.objects.exclude(no_show_grace_minutes=15):
        QueueRules.objects.filter(hall_id=rules.hall_id).update(late_minutes=rules.no_show_grace_minutes)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_no_show_grace_and_block_lift_by_mobile"),
        ("queueing", "0004_ticket_number_per_day"),
    ]

    operations = [
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveField(model_name="queuerules", name="late_minutes"),
    ]
