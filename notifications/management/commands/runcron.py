"""Run RQ's cron scheduler with notifications.cron: the sweeper every minute, the erasure of old personal
data and the end of the halls' past days daily. Unlike django-rq's `rqcron`, it waits out a Redis outage
instead of exiting."""

import logging
import time

import redis
from django.core.management.base import BaseCommand
from django_rq.cron import DjangoCronScheduler
from rq.exceptions import StopRequested

log = logging.getLogger(__name__)

CONFIG = "notifications.cron"
RETRY_SECONDS = 5


class Scheduler(DjangoCronScheduler):
    stopping = False

    def _request_stop(self, signum, frame):
        # Remembered, because saying goodbye to a Redis that is down raises a connection error instead.
        self.stopping = True
        super()._request_stop(signum, frame)


class Command(BaseCommand):
    help = "Run the periodic jobs (sweeper, daily erasure) on RQ's cron scheduler."

    def handle(self, *args, **options):
        scheduler = Scheduler(logging_level=logging.INFO)
        scheduler.load_config_from_file(CONFIG)
        while not scheduler.stopping:
            try:
                scheduler.start()
                return
            except redis.RedisError as error:
                log.warning("cron: Redis unavailable (%s); retrying in %s s", error, RETRY_SECONDS)
            try:
                time.sleep(RETRY_SECONDS)
            except (StopRequested, KeyboardInterrupt):
                return
