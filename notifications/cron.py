"""RQ cron configuration, run by `manage.py runcron` (started by `python3 dev.py run`)."""

from django.conf import settings
from rq import cron

from notifications import jobs

cron.register(
    jobs.sweep,
    queue_name=settings.NOTIFY_QUEUE,
    interval=settings.NOTIFY_SWEEP_INTERVAL,
    job_timeout=settings.NOTIFY_SWEEP_TIMEOUT,
    result_ttl=600,
)
# Daily at 03:30 Beijing time (cron expressions are read in UTC).
cron.register(
    jobs.erase_personal_data,
    queue_name=settings.NOTIFY_QUEUE,
    cron="30 19 * * *",
    job_timeout=3600,
    result_ttl=86400,
)
# Daily at 01:00 Beijing time: the halls' past days end (tickets left open, their bookings, counter
# sessions never closed), after any evening's extended hours and well before the morning's first booking.
cron.register(
    jobs.end_the_day,
    queue_name=settings.NOTIFY_QUEUE,
    cron="0 17 * * *",
    job_timeout=3600,
    result_ttl=86400,
)
