"""Rebuild every derived value from what it is derived from, or check that each one is
exact (``iqf.lib.derived.REGISTRY``)."""

import time

from django.core.management.base import BaseCommand, CommandError

from iqf.lib.derived import REGISTRY

#: How many stale values --check prints of each derived value before it says how many more.
SHOWN = 50


class Command(BaseCommand):
    help = (
        "Rebuild every derived value (the coverage summary, offered regions, key flags, "
        "the page-cache counter) from its sources: a repair, as every write keeps them "
        "exact. With --check, rebuild nothing: recompute each one and exit 1 naming "
        "every stale value (table, row, field, stored, recomputed), 0 when all agree."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Change nothing; name every stale value and exit 1 if any."
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=list(REGISTRY),
            default=None,
            metavar="NAME",
            help="Only this derived value (repeatable): " + ", ".join(f"'{name}'" for name in REGISTRY) + ".",
        )

    def handle(self, *args, check: bool, only: list[str] | None, **options):
        chosen = [REGISTRY[name] for name in (only or REGISTRY)]
        stale_count = 0
        for derived in chosen:
            started = time.perf_counter()
            if not check:
                corrected = derived.refresh(None)
                name = derived.name[0].upper() + derived.name[1:]
                what = (
                    f": {corrected} {derived.rows} corrected"
                    if isinstance(corrected, int)
                    else f" ({derived.stored_in})"
                )
                self.stdout.write(f"{name} rebuilt{what} in {time.perf_counter() - started:.1f} s.")
                continue
            stale = derived.check(None)
            stale_count += len(stale)
            seconds = time.perf_counter() - started
            if not stale:
                self.stdout.write(f"{derived.name}: exact ({derived.stored_in}, checked in {seconds:.1f} s).")
                continue
            self.stdout.write(f"{derived.name}: {len(stale)} stale ({derived.stored_in}):")
            for value in stale[:SHOWN]:
                self.stdout.write(f"  {value}")
            if len(stale) > SHOWN:
                self.stdout.write(f"  … and {len(stale) - SHOWN} more")
        if stale_count:
            raise CommandError(
                f"{stale_count} stale derived values; `manage.py refresh_derived` rebuilds them.",
                returncode=1,
            )
