"""Rebuild the coverage summary from the published judgements and module memberships, the
regions each qualification is offered in from offerings and providers, and which
qualifications are key for a role from the role links."""

import time

from django.core.management.base import BaseCommand

from commoncore import summary
from commoncore.models import QualificationCoverage
from qualifications import regions
from roles import keys


class Command(BaseCommand):
    help = ("Rebuild the coverage summary pages and reports read from every published "
            "judgement and module membership, and the regions and key flags the finder reads "
            "from every offering and role link (a repair: every write keeps them exact).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        summary.refresh()
        rows = QualificationCoverage.objects.count()
        self.stdout.write(f"Coverage summary rebuilt: {rows} rows in "
                          f"{time.perf_counter() - started:.1f} s.")
        started = time.perf_counter()
        changed = regions.refresh()
        self.stdout.write(f"Offered regions rebuilt: {changed} qualifications corrected in "
                          f"{time.perf_counter() - started:.1f} s.")
        started = time.perf_counter()
        changed = keys.refresh()
        self.stdout.write(f"Key flags rebuilt: {changed} qualifications corrected in "
                          f"{time.perf_counter() - started:.1f} s.")
