"""What every part of the drawing shares: weighted picks, whole-number shares, invented
places and unique names, from one random source."""

import bisect
import random
from collections.abc import Callable, Sequence

from tooling.generate import words
from tooling.generate.plan import Plan
from tooling.generate.reference import Reference


class Picker:
    """Draws items with fixed weights in O(log n)."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        self.items = list(items)
        self.cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def __bool__(self) -> bool:
        return bool(self.items) and self.total > 0

    def pick(self, rng: random.Random):
        index = bisect.bisect_right(self.cumulative, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` (largest remainder)."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    raw = [total * w / weight_sum for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def zipf(n: int, exponent: float = 0.8) -> list[float]:
    return [1 / (rank + 1) ** exponent for rank in range(n)]


def lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def level_band(level: int | None) -> str:
    if level is None or level <= 2:
        return "low"
    return {3: "mid", 4: "mid", 5: "high", 6: "high"}.get(level, "top")


class Drawer:
    """The state the drawing shares: the plan, the reference rows, the random source and
    the module profiles drawn so far. The draw_* modules add the steps of each domain."""

    def __init__(self, plan: Plan, reference: Reference, rng: random.Random):
        self.plan = plan
        self.reference = reference
        self.rng = rng
        self.sectors = words.SECTORS
        self.profiles: dict[tuple[int | None, int | None], tuple[float, Picker, list[float]]] = {}

    # -- names ------------------------------------------------------------------------

    def place(self) -> str:
        rng = self.rng
        return (
            rng.choice(words.PLACE_PREFIXES) + rng.choice(words.PLACE_STARTS) + rng.choice(words.PLACE_ENDS)
        )

    def unique(self, make: Callable[[], str], taken: set[str]) -> str:
        """A name from ``make`` not in ``taken`` (compared ignoring case), then taken."""
        for _ in range(30):
            name = make()
            if name.casefold() not in taken:
                break
        else:
            base, number = name, 2
            while f"{base} ({number})".casefold() in taken:
                number += 1
            name = f"{base} ({number})"
        taken.add(name.casefold())
        return name
