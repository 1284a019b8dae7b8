"""A hall's day of bookings with a history behind it: read by the booking's hall, or through the day's slots.

    .venv/bin/python bench/day_of_bookings.py [--days 300] [--visitors 300] [--rounds 200]

Bookings are kept after their day (erased of personal data, counted by the reports), so a hall that has run
for a year holds a year of them. Every walk-in and check-in reads today's bookings for the estimate
(queueing.estimates.arriving), the staff API and the plan read a day of them, and until 2026-12-07 they
filtered `hall=hall, slot__date=date`, which PostgreSQL answered through the booking's hall index: every
booking the hall ever had. This builds --halls province halls (bench/province_day.py's), copies their
day of slots and bookings `--days` days back, ANALYZEs, and times for the first hall, alternating round by
round, the three reads of `arriving` (came, missed, due) in the old form and through
`Booking.objects.of_day` (the slot index slot_hall_date), with the plan PostgreSQL chose for each.
BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_bench_days) is dropped and re-created, and
dropped at the end."""

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, ROOT, django_setup, drop_database, recreate_database, server_env  # noqa: E402

# Each day of history: today's slots copied back, today's bookings spread over their service's slots of that
# day (as a real day's are; today's bench bookings sit in the first few slots), served, one in 20 a no-show.
HISTORY_SQL = """
CREATE TEMP TABLE day_slots AS SELECT s.*, back,
        row_number() OVER (PARTITION BY s.service_id, s.mode, back ORDER BY s.start) - 1 AS k,
        count(*) OVER (PARTITION BY s.service_id, s.mode, back) AS n
    FROM appointments_slot s, generate_series(1, %(days)s) back WHERE s.date = %(today)s;
INSERT INTO appointments_slot (date, start, "end", capacity, held_back, taken, taken_held_back, closed,
                               hall_id, service_id, mode)
    SELECT date - back, start - back * interval '1 day', "end" - back * interval '1 day', capacity, held_back,
           taken, taken_held_back, closed, hall_id, service_id, mode FROM day_slots;
CREATE TEMP TABLE slot_back AS SELECT o.service_id, o.mode, o.back, o.k, o.n, n.id AS new_id FROM day_slots o
    JOIN appointments_slot n ON n.service_id = o.service_id AND n.mode = o.mode
                            AND n.start = o.start - o.back * interval '1 day';
INSERT INTO appointments_booking (persons, uses_held_back, created_at, cancelled_at, erased_at, created_by_id,
    hall_id, service_id, slot_id, green_note, language, channel, mode, code, manage_token, state, name, phone,
    phone_hash, id_hash, id_masked, green_channel)
    SELECT b.persons, b.uses_held_back, b.created_at - m.back * interval '1 day', NULL, now(), NULL,
           b.hall_id, b.service_id, m.new_id, '', b.language, b.channel, b.mode, 'H' || m.back || '-' || b.id,
           b.manage_token || '-' || m.back,
           CASE WHEN (b.id + m.back) %% 20 = 0 THEN 'no_show' ELSE 'served' END,
           '', '', b.phone_hash, b.id_hash, b.id_masked, ''
    FROM appointments_booking b JOIN slot_back m ON m.service_id = b.service_id AND m.mode = b.mode
        AND m.k = b.id %% m.n
    WHERE b.slot_id IN (SELECT id FROM appointments_slot WHERE date = %(today)s);
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=300, help="days of history behind today")
    parser.add_argument("--halls", type=int, default=10, help="halls in the database, each with its history")
    parser.add_argument("--visitors", type=int, default=100, help="a hall's visitors a day (half booked)")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_days")
    env = server_env(
        url, os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"), "/tmp/ck-bench-days"
    )
    recreate_database(url)
    try:
        subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        django_setup(env)
        from django.db import connection
        from django.utils import timezone

        from appointments.models import Booking, BookingState
        from bench import province_day
        from hall.models import Hall

        province_day.build_halls(args.halls, args.visitors, seed=2026)
        hall = Hall.objects.order_by("pk").first()
        today = hall.local_date(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(HISTORY_SQL, {"days": args.days, "today": today})
            cursor.execute("ANALYZE")
        now = timezone.now()

        def reads(bookings):
            came = bookings.filter(state__in=[BookingState.CHECKED_IN, BookingState.SERVED]).count()
            missed = bookings.filter(state=BookingState.NO_SHOW).count()
            due = bookings.filter(state=BookingState.BOOKED, slot__start__lte=now + dt.timedelta(hours=3))
            return came, missed, len(due.values_list("pk", "service_id", "slot__start"))

        ways = {
            "by the booking's hall (before)": lambda: Booking.objects.filter(hall=hall, slot__date=today),
            "through the day's slots (of_day)": lambda: Booking.objects.of_day(hall, today),
        }
        answers = {name: reads(way()) for name, way in ways.items()}
        assert len(set(answers.values())) == 1, answers  # the same bookings either way
        total = Booking.objects.count()
        print(f"{args.halls} halls, {total:,} bookings: {args.days} days of history behind today's {answers}")
        spent = dict.fromkeys(ways, 0.0)
        for _ in range(args.rounds):
            for name, way in ways.items():
                started = time.perf_counter()
                reads(way())
                spent[name] += time.perf_counter() - started
        for name, way in ways.items():
            sql, params = way().filter(state=BookingState.NO_SHOW).values("pk").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            scans = [
                line.strip().split(" on ")[0] + " on " + line.split(" on ")[1].split()[0]
                for line in plan
                if " on " in line and "Scan" in line
            ]
            print(f"{name:34} {1000 * spent[name] / args.rounds:7.2f} ms for arriving's three reads; {scans}")
        before, after = (spent[name] for name in ways)
        print(f"ratio: {before / after:.1f}x")
    finally:
        drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
