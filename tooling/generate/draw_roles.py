"""Drawing cluster schemes' clusters, roles, and the qualifications linked to roles."""

from collections.abc import Sequence

from roles.services import unique_slug
from tooling.generate import words
from tooling.generate.draw_base import Drawer, Picker, apportion, lower_first
from tooling.generate.plan import CURRENT
from tooling.generate.world import ClusterRow, Qual, RoleRow


class RolesDrawer(Drawer):
    """Clusters, roles and role links."""

    def clusters(self) -> tuple[list[ClusterRow], list[ClusterRow]]:
        sectors, regions = self.sectors, self.reference.region_names
        clusters = [ClusterRow(s.name, "", i) for i, s in enumerate(sectors)]
        extra = apportion(self.plan.clusters - len(sectors), [s.weight for s in sectors])
        for i, (sector, count) in enumerate(zip(sectors, extra, strict=True)):
            names = self.further_names(sector.name, sector.specialisms, regions, count)
            clusters.extend(ClusterRow(name, "", i) for name in names)
        services = list(dict.fromkeys(s.service for s in sectors))
        service_rows = [ClusterRow(name, "", None) for name in services]
        extra = apportion(self.plan.service_clusters - len(services), [1] * len(services))
        for service, count in zip(services, extra, strict=True):
            names = self.further_names(service, regions, (), count)
            service_rows.extend(ClusterRow(name, "", None) for name in names)
        for rows in (clusters, service_rows):
            taken: set[str] = set()
            for row in rows:
                row.slug = unique_slug(row.name, taken)
        return clusters, service_rows

    def further_names(self, base: str, first: Sequence[str], second: Sequence[str], count: int) -> list[str]:
        """``count`` distinct cluster names: "base: first", then "base: first, second",
        then "base: first, <an invented town>" (local clusters, at large scales)."""
        names: list[str] = [f"{base}: {part}" for part in first]
        names += [f"{base}: {part}, {other}" for part in first for other in second]
        taken = {name.casefold() for name in names}
        while len(names) < count:
            part = first[len(names) % len(first)]
            names.append(self.unique(lambda part=part: f"{base}: {part}, {self.place()}", taken))
        return names[:count]

    def roles(self, clusters: list[ClusterRow], services: list[ClusterRow]) -> list[RoleRow]:
        rng, sectors = self.rng, self.sectors
        base_services = list(dict.fromkeys(s.service for s in sectors))
        services_by_name: dict[str, list[int]] = {name: [] for name in base_services}
        for index, row in enumerate(services):
            base = row.name.split(":")[0]
            services_by_name[base].append(index)
        counts = [
            1 + n
            for n in apportion(self.plan.roles - len(clusters), [sectors[c.sector].weight for c in clusters])
        ]
        qualifiers = (
            ("", 50, 0),
            ("Senior ", 15, 1),
            ("Assistant ", 12, -1),
            ("Lead ", 8, 1),
            ("Trainee ", 8, -1),
            ("Deputy ", 7, 0),
        )
        qualifier = Picker(qualifiers, [q[1] for q in qualifiers])
        taken_titles: set[str] = set()
        taken_slugs: set[str] = set()
        roles = []
        for cluster_index, (cluster, count) in enumerate(zip(clusters, counts, strict=True)):
            sector = sectors[cluster.sector]
            suffix = f" ({cluster.name.split(': ', 1)[1]})" if ": " in cluster.name else ""
            for _ in range(count):
                picked: list = []

                def make(sector=sector, suffix=suffix, picked=picked) -> str:
                    occupation, level = rng.choice(sector.occupations)
                    prefix, _, delta = qualifier.pick(rng)
                    if prefix and prefix.strip().casefold() in occupation.casefold():
                        prefix, delta = "", 0
                    picked[:] = [level, delta]
                    name = prefix + (lower_first(occupation) if prefix else occupation)
                    return name + suffix

                title = self.unique(make, taken_titles)
                level, delta = picked
                levelled = level is not None and rng.random() < 0.75
                level = min(8, max(1, level + delta)) if levelled else None
                service = services_by_name[sector.service]
                role = RoleRow(
                    title=title,
                    slug=unique_slug(title, taken_slugs),
                    level=level,
                    sector=cluster.sector,
                    status="archived" if rng.random() < 0.02 else "current",
                    description=(f"Works in {sector.setting}." if rng.random() < 0.3 else ""),
                    clusters=[cluster_index],
                    service_clusters=[rng.choice(service)],
                )
                if rng.random() < 0.04 and len(clusters) > 1:
                    other = rng.randrange(len(clusters))
                    if clusters[other].sector != cluster.sector:
                        role.clusters.append(other)
                if rng.random() < 0.05:
                    other = rng.randrange(len(services))
                    if other not in role.service_clusters:
                        role.service_clusters.append(other)
                roles.append(role)
        return roles

    def role_links(self, roles: list[RoleRow], quals: list[Qual]) -> list[tuple[int, int, bool]]:
        """730 × K links, mostly to qualifications of the role's sector near its level;
        key for a share of them (more often at the role's own level)."""
        rng = self.rng
        pools: dict[tuple[int, int | None], list[int]] = {}
        by_sector: dict[int, list[int]] = {}
        by_level: dict[int | None, list[int]] = {}
        for i, qual in enumerate(quals):
            if qual.status != CURRENT and rng.random() < 0.8:
                continue
            pools.setdefault((qual.sector, qual.level), []).append(i)
            by_sector.setdefault(qual.sector, []).append(i)
            by_level.setdefault(qual.level, []).append(i)
        offered = [{lv for lv, w in zip(words.LEVELS, s.levels, strict=True) if w} for s in self.sectors]
        counts = apportion(self.plan.role_links, [rng.uniform(0.4, 1.6) for _ in roles])
        links = []
        for role_index, (role, count) in enumerate(zip(roles, counts, strict=True)):
            if role.level is None:
                near = sorted(level for level in offered[role.sector] if level is not None)
            else:
                near = [lv for lv in (role.level - 1, role.level, role.level + 1) if 0 <= lv <= 8]
            own: list[int] = []
            for level in near:
                own.extend(pools.get((role.sector, level), ()))
            if len(own) < count:
                own = by_sector.get(role.sector, [])
            # other sectors' qualifications, at levels the role's own sector offers
            across: list[int] = []
            for level in near:
                if level in offered[role.sector]:
                    across.extend(by_level.get(level, ()))
            chosen: dict[int, bool] = {}
            for _ in range(count * 4):
                if len(chosen) >= count:
                    break
                pool = across if (rng.random() < 0.2 and across) or not own else own
                if not pool:
                    break
                qual_index = rng.choice(pool)
                if qual_index in chosen:
                    continue
                qual = quals[qual_index]
                chance = 0.55 if qual.level == role.level else 0.4 if role.level is None else 0.25
                chosen[qual_index] = qual.status == CURRENT and rng.random() < chance
            links.extend((role_index, q, key) for q, key in chosen.items())
        return links
