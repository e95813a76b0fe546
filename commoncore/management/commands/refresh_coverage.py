"""Rebuild the coverage summary from the published judgements and module memberships, and
the regions each qualification is offered in from offerings and providers."""

import time

from django.core.management.base import BaseCommand

from commoncore import summary
from commoncore.models import QualificationCoverage
from qualifications import regions


class Command(BaseCommand):
    help = ("Rebuild the coverage summary pages and reports read from every published "
            "judgement and module membership, and the regions the finder reads from every "
            "offering (a repair: every write keeps both exact).")

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
