"""Check the stored data against the design's invariants; exit 1 with a readable list when any is broken."""

from django.core.management.base import BaseCommand, CommandError

from queueing import invariants


class Command(BaseCommand):
    help = (
        "Check slot counters, capacity, ticket numbering, counters, stuck messages, recorded history, "
        "waiting-list offers, walk-ins issued in hours, tickets left waiting after closing. "
        "Exits non-zero and lists what is wrong when anything is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "checks", nargs="*", choices=[*invariants.CHECKS, []], help="only these checks (default: all)"
        )

    def handle(self, *args, checks, **options):
        findings = invariants.check_all(checks)
        for finding in findings:
            self.stderr.write(str(finding))
        names = ", ".join(checks or invariants.CHECKS)
        if findings:
            raise CommandError(f"{len(findings)} broken invariant(s) found by: {names}")
        self.stdout.write(self.style.SUCCESS(f"All invariants hold ({names})."))
