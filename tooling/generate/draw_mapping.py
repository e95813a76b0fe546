"""Drawing the Common Core mapping: which qualifications are mapped, and their approved
grids."""

import datetime

from commoncore.models import Basis
from tooling.generate.draw_base import Drawer, Picker, apportion
from tooling.generate.plan import AREAS_COVERED, COUNCIL_TYPES, CURRENT, PRIMARY
from tooling.generate.world import Mod, Qual, ReviewRow, mask_areas


class MappingDrawer(Drawer):
    """Mapped qualifications and their approved grids."""

    def reviews(
        self,
        quals: list[Qual],
        modules: list[Mod],
        links: list[tuple[int, int, bool]],
        mappers: int,
        moderators: int,
    ) -> list[ReviewRow]:
        """Choose the mapped qualifications so that the areas they cover are spread like
        Report 4's, and record an approved grid for each."""
        rng = self.rng
        linked: dict[int, float] = {}
        for _, qual_index, key in links:
            linked[qual_index] = min(linked.get(qual_index, 0.6), 0.35 if key else 0.6)
        by_coverage: dict[int, list[tuple[float, int]]] = {c: [] for c in range(7)}
        masks = []
        for i, qual in enumerate(quals):
            mask = 0
            for m in qual.modules:
                mask |= modules[m].mask
            mask &= 63
            masks.append(mask)
            if qual.status == CURRENT:
                by_coverage[mask.bit_count()].append((rng.random() * linked.get(i, 1.0), i))
        for options in by_coverage.values():
            options.sort(reverse=True)  # popped from the end: lowest (most wanted) first
        targets = apportion(self.plan.mapped, [AREAS_COVERED[c] for c in range(7)])
        chosen: list[tuple[int, int]] = []  # (qualification, areas it must cover)
        for wanted, count in enumerate(targets):
            order = [wanted] + list(range(wanted - 1, -1, -1)) + list(range(wanted + 1, 7))
            for _ in range(count):
                source = next((c for c in order if by_coverage[c]), None)
                if source is None:
                    break
                _, qual_index = by_coverage[source].pop()
                chosen.append((qual_index, wanted))
        rng.shuffle(chosen)
        start = datetime.datetime(2006, 1, 9, 9, 0, tzinfo=datetime.UTC)
        reviews = []
        for qual_index, wanted in chosen:
            qual = quals[qual_index]
            covered = masks[qual_index]
            sector = self.sectors[qual.sector]
            own = 0
            missing = [a for a in range(6) if not covered >> a & 1]
            weights = [PRIMARY[a] * sector.area_bias[a] for a in missing]
            while covered.bit_count() < wanted and missing:
                area = Picker(missing, weights).pick(rng)
                position = missing.index(area)
                missing.pop(position)
                weights.pop(position)
                own |= 1 << area
                covered |= 1 << area
            # mappers also tick the qualification row for areas its modules already cover
            if covered and rng.random() < 0.25:
                own |= 1 << rng.choice(mask_areas(covered))
            submitted = start + datetime.timedelta(days=rng.randrange(700), minutes=rng.randrange(480))
            reviews.append(
                ReviewRow(
                    qualification=qual_index,
                    mapper=rng.randrange(mappers),
                    moderator=rng.randrange(moderators),
                    submitted=submitted,
                    decided=submitted + datetime.timedelta(days=rng.randint(1, 20)),
                    returned=rng.random() < 0.12,
                    own_mask=own,
                    basis=Basis.STANDARDS.value if qual.type_name in COUNCIL_TYPES else Basis.OUTCOMES.value,
                )
            )
        return reviews
