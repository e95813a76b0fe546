"""Fill an empty database with synthetic data at K times the source's size (benchmarks)."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tooling.generate import GenerationError, generate_data, refuse_unless_empty, settle


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


class Bar:
    """A tqdm progress bar over the rows the generator writes."""

    def __init__(self, *, disabled: bool, file):
        self.disabled = disabled
        self.file = file
        self.bar: tqdm | None = None

    def start(self, total: int) -> None:
        self.bar = tqdm(
            total=total,
            unit=" rows",
            unit_scale=True,
            disable=self.disabled,
            dynamic_ncols=True,
            file=self.file,
        )

    def advance(self, stage: str, rows: int) -> None:
        if self.bar is not None:
            self.bar.set_description(stage, refresh=False)
            self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_description("written", refresh=False)
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Fill an empty database (after migrate only) with realistic synthetic data at K "
        "times the source's size: K=1 gives 1,000 qualifications, 4,000 modules, 125 roles "
        "and 350 mapped qualifications. All or nothing; no history rows are written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive_number,
            required=True,
            metavar="K",
            help="How many times the source's size (fractions allowed, e.g. 0.05).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Seeds every draw: the same seed gives the same data (default 1).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Rows per bulk insert (default 5000)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, scale: float, seed: int, batch_size: int, no_progress: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            refuse_unless_empty()
        except GenerationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Drawing the data for scale {scale:g} (seed {seed}) in memory…")
        self.stdout.flush()
        started = time.monotonic()
        # tqdm redraws one line with carriage returns: it writes to the raw stream, not
        # through Django's wrapper (which would end every redraw with a newline).
        bar = Bar(
            disabled=no_progress or options["verbosity"] < 1, file=getattr(self.stderr, "_out", self.stderr)
        )
        try:
            counts = generate_data(scale=scale, seed=seed, batch_size=batch_size, progress=bar)
        except GenerationError as error:
            raise CommandError(str(error)) from None
        finally:
            bar.close()
        self.stdout.write("Gathering the planner's statistics on the new rows…")
        self.stdout.flush()
        settle()
        elapsed = time.monotonic() - started
        width = max(len(label) for label in counts)
        self.stdout.write(f"Generated data at scale {scale:g} (seed {seed}) in {elapsed:.1f} s:")
        for label, count in counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        self.stdout.write(f"  {'total rows':<{width}}  {sum(counts.values()):>10,}")
