"""Play a day in a hall against the real services and print what it measured (docs/simulation.md).

    manage.py simulate_day [--hall wangchuan] [--day normal] [--seed 1] [--date 2027-12-07] [--keep] [--json]

Everything the day writes (bookings, tickets, added counters) is rolled back unless --keep is given; with
--keep the day's rows stay in the database (use a scratch database).
"""

import contextlib
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from hall.models import Hall
from simulation import dbcopy, measures
from simulation.api import simulate_day
from simulation.scenario import DAY_TYPES


class Command(BaseCommand):
    help = "Simulate a day in a hall against the real services and print its waits and estimate errors."

    def add_arguments(self, parser):
        parser.add_argument("--hall", default="wangchuan", help="The hall's slug (default: the demo hall).")
        parser.add_argument("--day", default="normal", choices=sorted(DAY_TYPES))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--date", help="YYYY-MM-DD, a day the hall opens (default: a Tuesday next year).")
        parser.add_argument(
            "--keep", action="store_true", help="Keep the day's rows instead of rolling back."
        )
        parser.add_argument("--json", action="store_true", help="Print the whole summary as JSON.")

    def handle(self, *args, hall, day, seed, date, keep, json: bool, **options):
        found = Hall.objects.filter(slug=hall).first()
        if found is None:
            raise CommandError(f"No hall with the slug {hall!r}.")
        try:
            when = dt.date.fromisoformat(date) if date else None
            # A rolled-back day on SQLite plays on a copy, so that a hall served meanwhile is not locked out.
            with contextlib.nullcontext() if keep else dbcopy.on_a_copy():
                log = simulate_day(found, day, seed=seed, date=when, keep=keep)
        except ValueError as error:
            raise CommandError(str(error)) from None
        result = measures.summary(log)
        if json:
            self.stdout.write(_json(result))
            return
        self._print(result)

    def _print(self, result: dict) -> None:
        out = self.stdout.write
        out(
            f"{result['day']} day, seed {result['seed']}: "
            f"{result['tickets']} tickets, {result['bookings']} bookings"
        )
        out(
            f"within the target of {result['target_minutes']} min: {100 * result['within_target']:.0f}%; "
            f"most inside {result['most_inside']} (cap {result['cap_inside']}), "
            f"sent outside {result['sent_outside']}"
        )
        for when in ("estimates_at_issue", "estimates_at_readings"):
            table = result[when]
            for name in ("old", "new"):
                e = table[name]
                out(
                    f"{when.replace('_', ' ')}, {name}: {100 * e.within:.0f}% within 5 min, "
                    f"median {e.median:.1f}, p90 {e.p90:.1f} (n={e.count})"
                )
        busy = ", ".join(f"{n}: {100 * u:.0f}%" for n, u in result["utilisation"].items())
        out(f"counter utilisation {busy}")
        for hour, row in result["by_hour"].items():
            out(f"  {hour:02d}h  {row['tickets']:>4} tickets, mean wait {row['mean_wait']:.1f} min")
        out(f"refused: {result['refused']}; {result['seconds']:.0f} s ({result['cpu_seconds']:.0f} s CPU)")


def _json(result: dict) -> str:
    return json.dumps(result, default=lambda v: v.__dict__, indent=1, ensure_ascii=False)
