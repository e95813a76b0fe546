"""Drawing modules: their latent profiles (the areas they are about), titles, hours and
refs; which qualifications share them; and the few that are awards in their own right."""

import math

from tooling.generate import words
from tooling.generate.draw_base import Drawer, Picker, apportion, level_band, lower_first, zipf
from tooling.generate.plan import CURRENT, HIGHER_EDUCATION, NONE_SHARE, PRIMARY, SECONDARY
from tooling.generate.world import Mod, Qual


class ModulesDrawer(Drawer):
    """Modules and the qualifications they belong to."""

    def profile(self, sector: int | None, level: int | None) -> int:
        """The areas (bit mask) a module is about, drawn for its sector and level."""
        key = (sector, level)
        cached = self.profiles.get(key)
        if cached is None:
            bias = self.sectors[sector].area_bias if sector is not None else (1,) * 6
            none_bias = self.sectors[sector].none_bias if sector is not None else 1.0
            primary = Picker(range(6), [p * b for p, b in zip(PRIMARY, bias, strict=True)])
            secondary = [min(0.9, q * b) for q, b in zip(SECONDARY, bias, strict=True)]
            cached = (min(0.9, NONE_SHARE[level] * none_bias), primary, secondary)
            self.profiles[key] = cached
        none, primary, secondary = cached
        rng = self.rng
        if rng.random() < none:
            return 0
        main = primary.pick(rng)
        mask = 1 << main
        for area in range(6):
            if area != main and rng.random() < secondary[area]:
                mask |= 1 << area
        # the main area comes first in the 7th bit and up, for the title
        return mask | (main + 1) << 6

    def module_title(self, sector: int | None, level: int | None, mask: int) -> str:
        rng = self.rng
        main = (mask >> 6) - 1
        stem = rng.choice(words.MODULE_STEMS[level_band(level)])
        if main >= 0:
            title = f"{stem} {rng.choice(words.AREA_TOPICS[main])}"
            if sector is not None and rng.random() < 0.3:
                title += f" in {self.sectors[sector].setting}"
            return title
        topics = (
            words.GENERAL_TOPICS if sector is None or rng.random() < 0.3 else self.sectors[sector].technical
        )
        topic = rng.choice(topics)
        return topic if rng.random() < 0.5 else f"{stem} {lower_first(topic)}"

    def module_hours(self, level: int | None) -> int | None:
        rng = self.rng
        if rng.random() < 0.1:
            return None
        low, high = {
            0: (10, 30),
            1: (10, 40),
            2: (15, 60),
            3: (20, 80),
            4: (30, 120),
            5: (60, 200),
            6: (100, 200),
            7: (150, 300),
            8: (200, 400),
        }.get(level, (10, 60))
        return rng.randint(low // 5, high // 5) * 5

    def unique_module_level(self, qual: Qual) -> int | None:
        rng = self.rng
        if qual.type_name == "Foundation degree":
            return rng.choice((4, 5))
        if qual.type_name == "Degree":
            return rng.choices((4, 5, 6), (30, 30, 40))[0]
        if qual.level is None:
            return None if rng.random() < 0.7 else rng.choice((2, 3))
        if qual.level >= 1 and rng.random() < 0.1:
            return qual.level - 1
        return qual.level

    def modules(self, quals: list[Qual]) -> list[Mod]:
        """Each qualification's modules: some its own, the rest shared with others of its
        sector and level (a few across sectors), a few shared modules very widely."""
        rng, plan = self.rng, self.plan
        sizes = apportion(plan.memberships, [q.size for q in quals])
        for qual, size in zip(quals, sizes, strict=True):
            qual.size = max(size, 1 if qual.size else 0)
        unique_total = plan.modules - plan.shared_modules
        own = [
            min(n, q.size)
            for n, q in zip(apportion(unique_total, [q.size for q in quals]), quals, strict=True)
        ]
        short = unique_total - sum(own)
        for i, qual in enumerate(quals):
            if short <= 0:
                break
            if own[i] < qual.size:
                own[i] += 1
                short -= 1
        modules: list[Mod] = []
        for qual, count in zip(quals, own, strict=True):
            for _ in range(count):
                level = self.unique_module_level(qual)
                mask = self.profile(qual.sector, level)
                qual.modules.append(len(modules))
                modules.append(
                    Mod(
                        "",
                        self.module_title(qual.sector, level, mask),
                        level,
                        self.module_hours(level),
                        qual.sector,
                        mask,
                        False,
                    )
                )
        self.shared(quals, modules, [q.size - n for q, n in zip(quals, own, strict=True)])
        for qual in quals:
            rng.shuffle(qual.modules)
            share = 0.85 if qual.type_name in HIGHER_EDUCATION else 0.6
            qual.mandatory = math.ceil(len(qual.modules) * share * rng.uniform(0.7, 1.2))
        self.module_refs(modules)
        return modules

    def shared(self, quals: list[Qual], modules: list[Mod], slots: list[int]) -> None:
        """Create the shared modules and fill every qualification's free places with
        them: each shared module goes to at least two qualifications first, then the
        places left are drawn with a skew, so that some modules are very widely used."""
        rng, plan = self.rng, self.plan
        groups: dict[tuple[int | None, int | None], list[int]] = {}
        by_level: dict[int | None, list[int]] = {}
        for i, qual in enumerate(quals):
            if slots[i]:
                groups.setdefault((qual.sector, qual.level), []).append(i)
                by_level.setdefault(qual.level, []).append(i)
        group_keys = list(groups)
        generic = round(plan.shared_modules * 0.15)
        per_group = apportion(
            plan.shared_modules - generic, [sum(slots[i] for i in groups[k]) for k in group_keys]
        )
        level_keys = list(by_level)
        per_level = apportion(generic, [sum(slots[i] for i in by_level[k]) for k in level_keys])
        pools: dict[tuple, list[int]] = {}

        def create(sector: int | None, level: int | None, count: int, pool: tuple) -> None:
            for _ in range(count):
                mask = self.profile(sector, level)
                pools.setdefault(pool, []).append(len(modules))
                modules.append(
                    Mod(
                        "",
                        self.module_title(sector, level, mask),
                        level,
                        self.module_hours(level),
                        sector,
                        mask,
                        True,
                    )
                )

        for key, count in zip(group_keys, per_group, strict=True):
            create(key[0], key[1], count, ("group", *key))
        for level, count in zip(level_keys, per_level, strict=True):
            create(None, level, count, ("level", level))
        free = list(slots)
        members = [set(q.modules) for q in quals]

        def place(qual_index: int, module_index: int) -> bool:
            if free[qual_index] <= 0 or module_index in members[qual_index]:
                return False
            members[qual_index].add(module_index)
            quals[qual_index].modules.append(module_index)
            free[qual_index] -= 1
            return True

        # every shared module in at least two qualifications, of its own group if it can
        everyone = [i for i in range(len(quals)) if free[i]]
        for pool_key, pool in pools.items():
            candidates = groups.get(pool_key[1:]) if pool_key[0] == "group" else by_level.get(pool_key[1])
            candidates = list(candidates or everyone)
            for module_index in pool:
                placed = 0
                for _ in range(12):
                    if placed == 2 or not candidates:
                        break
                    j = rng.randrange(len(candidates))
                    if free[candidates[j]] <= 0:
                        candidates[j] = candidates[-1]
                        candidates.pop()
                        continue
                    placed += place(candidates[j], module_index)
                for _ in range(30):
                    if placed >= 2:
                        break
                    placed += place(rng.choice(everyone), module_index)
        # the other places, drawn with a skew within the pools a qualification can use
        pickers = {key: Picker(pool, zipf(len(pool))) for key, pool in pools.items()}
        sector_pools: dict[int, list[int]] = {}
        for key, pool in pools.items():
            if key[0] == "group":
                sector_pools.setdefault(key[1], []).extend(pool)
        sector_pickers = {s: Picker(pool, zipf(len(pool), 0.6)) for s, pool in sector_pools.items()}
        every_shared = [m for pool in pools.values() for m in pool]
        anything = Picker(every_shared, zipf(len(every_shared), 0.6))
        for i, qual in enumerate(quals):
            options = [
                p
                for p in (
                    pickers.get(("group", qual.sector, qual.level)),
                    pickers.get(("level", qual.level)),
                    sector_pickers.get(qual.sector),
                    anything,
                )
                if p
            ]
            weights = [0.7, 0.15, 0.1, 0.05][: len(options)]
            choose = Picker(options, weights)
            attempts = 0
            while free[i] > 0 and attempts < free[i] * 6 + 6:
                attempts += 1
                place(i, choose.pick(rng).pick(rng))
            # a qualification bigger than its pools: any shared module will do
            attempts = 0
            while free[i] > 0 and attempts < free[i] * 10:
                attempts += 1
                place(i, rng.choice(every_shared))

    def module_refs(self, modules: list[Mod]) -> None:
        """Unique U-prefixed unit references, U/601/1234 style."""
        prefixes = [str(p) for p in range(500, 700)]
        if len(modules) * 2 > len(prefixes) * 10_000:
            prefixes = [str(p) for p in range(100, 1000)]
        numbers = self.rng.sample(range(len(prefixes) * 10_000), len(modules))
        for module, number in zip(modules, numbers, strict=True):
            module.ref = f"U/{prefixes[number // 10_000]}/{number % 10_000:04d}"

    def also_qualifications(self, quals: list[Qual], modules: list[Mod], bodies: list[str]) -> None:
        """A few shared modules are also qualifications in their own right (short awards):
        the award takes the module's title and the two are linked, entered once."""
        rng = self.rng
        wanted = round(len(quals) * 0.01)
        awards: dict[tuple[int, int | None], list[int]] = {}
        for i, qual in enumerate(quals):
            if qual.status == CURRENT and " Award in " in qual.title and qual.type_name == "VRQ":
                awards.setdefault((qual.sector, qual.level), []).append(i)
        linked = 0
        for index, module in enumerate(modules):
            if linked >= wanted:
                break
            if not module.shared or module.sector is None:
                continue
            options = awards.get((module.sector, module.level))
            if not options:
                continue
            qual_index = options.pop(rng.randrange(len(options)))
            qual = quals[qual_index]
            if index in qual.modules:
                continue
            module.qualification = qual_index
            level_words = "Entry Level" if qual.level == 0 else f"Level {qual.level}"
            qual.title = f"{bodies[qual.body]} {level_words} Award in {module.title}"[:255]
            linked += 1
