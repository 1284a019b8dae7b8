"""Play and keep a hall's past open days, so that its reports and staffing plan have history
(simulation/history.py, docs/simulation.md "History"). For the demo: `dev.py run` enqueues it.

    manage.py play_history [--hall wangchuan] [--weeks 6] [--seed 1] [--days N] [--scale 1] [--enqueue]

Days already played (or real) are skipped. Refused with DEPLOYMENT=production: the days are made up.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hall.models import Hall
from simulation import history

REFUSED_IN_PRODUCTION = "play_history is refused with DEPLOYMENT=production: it makes up past days of a hall."


class Command(BaseCommand):
    help = "Play and keep a hall's past open days with the simulator (the demo hall's history)."

    def add_arguments(self, parser):
        parser.add_argument("--hall", default="wangchuan", help="The hall's slug (default: the demo hall).")
        parser.add_argument(
            "--weeks", type=int, help="Weeks back from yesterday (default: the staffing plan's history)."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, help="Play at most this many days (the most recent first).")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Walk-ins and bookings times this (0.1: a quick try)."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put it on the simulation queue, not play it here.",
        )

    def handle(self, *args, hall, weeks, seed, days, scale, enqueue, **options):
        if settings.DEPLOYMENT == "production":
            raise CommandError(REFUSED_IN_PRODUCTION)
        found = Hall.objects.filter(slug=hall).first()
        if found is None:
            raise CommandError(f"No hall with the slug {hall!r}.")
        if weeks is not None and weeks < 1:
            raise CommandError("--weeks must be 1 or more.")
        if not 0 < scale <= 3:
            raise CommandError("--scale must be above 0 and at most 3.")
        if enqueue:
            if days is not None or scale != 1.0:
                raise CommandError("--days and --scale are for playing here, not with --enqueue.")
            if not history.enqueue(found.slug, weeks=weeks, seed=seed):
                raise CommandError("The job queue is not reachable: the history was not enqueued.")
            self.stdout.write(f"{found.slug}: past days enqueued on the simulation queue.")
            return
        try:
            done = history.play_history(found, weeks=weeks, seed=seed, days=days, scale=scale)
        except ValueError as error:
            raise CommandError(str(error)) from None
        for day in done:
            self.stdout.write(
                f"{day.date} {day.date:%a} {day.day}: {day.tickets} tickets, {day.bookings} bookings "
                f"({day.cpu_seconds:.1f} s CPU)"
            )
        self.stdout.write(f"{found.slug}: {len(done)} past days played.")
