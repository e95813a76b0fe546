"""Drawing providers and what they offer."""

from decimal import Decimal

from django.utils.text import slugify

from tooling.generate import words
from tooling.generate.draw_base import Drawer, Picker, apportion, zipf
from tooling.generate.plan import CURRENT, HIGHER_EDUCATION
from tooling.generate.world import ProviderRow, Qual


class ProvidersDrawer(Drawer):
    """Providers and offerings."""

    def providers(self) -> list[ProviderRow]:
        """One provider in each region first (so every region has offerings), the rest
        spread by population; a few national distance-learning providers."""
        rng = self.rng
        regions = self.reference.region_names
        region_picker = Picker(range(len(regions)), [words.REGION_WEIGHTS.get(name, 10) for name in regions])
        taken: set[str] = set()
        rows = []
        for i in range(self.plan.providers):
            region: int | None
            if i < len(regions):
                region = i
            elif rng.random() < 0.04:
                region = None
            else:
                region = region_picker.pick(rng)
            kinds = words.DISTANCE_KINDS if region is None else words.PROVIDER_KINDS
            name = self.unique(lambda kinds=kinds: rng.choice(kinds).format(place=self.place()), taken)
            url = f"https://www.{slugify(name)}.example/" if rng.random() < 0.7 else ""
            rows.append(ProviderRow(name, region, url, name.startswith("University")))
        return rows

    def offerings(
        self, quals: list[Qual], providers: list[ProviderRow]
    ) -> list[tuple[int, int, int | None, str, Decimal | None]]:
        rng = self.rng
        current = [i for i, q in enumerate(quals) if q.status == CURRENT]
        if not current:
            return []
        everyone = Picker(range(len(providers)), zipf(len(providers), 0.5))
        universities = [i for i, p in enumerate(providers) if p.university]
        university = Picker(universities, zipf(len(universities), 0.5)) if universities else everyone
        modes = Picker([m for m, _ in words.OFFERING_MODES], [w for _, w in words.OFFERING_MODES])
        counts = apportion(self.plan.offerings, [rng.uniform(0.2, 2.0) for _ in current])
        seen: set[tuple[int, int, str]] = set()
        rows = []

        def offer(provider: int, qual_index: int) -> None:
            qual = quals[qual_index]
            mode = modes.pick(rng)
            if (provider, qual_index, mode) in seen:
                return
            seen.add((provider, qual_index, mode))
            hours = round(qual.hours * rng.uniform(0.6, 1.1)) if qual.hours and rng.random() < 0.8 else None
            cost = None
            if rng.random() < 0.7:
                per_hour = 6 if qual.type_name in HIGHER_EDUCATION else 3
                cost = Decimal(round((qual.hours or 100) * per_hour * rng.uniform(0.5, 1.5) / 5) * 5)
                cost = cost.quantize(Decimal("0.01"))
            rows.append((provider, qual_index, hours, mode, cost))

        for region_index in range(min(len(providers), len(self.reference.region_names))):
            offer(region_index, current[region_index % len(current)])
        for qual_index, count in zip(current, counts, strict=True):
            picker = university if quals[qual_index].type_name in HIGHER_EDUCATION else everyone
            for _ in range(count):
                offer(picker.pick(rng), qual_index)
        return rows
