"""Drawing awarding bodies, qualifications (titles, sizes, refs, statuses, provenance)
and their pre-requirements."""

import datetime
import math
from collections.abc import Callable

from django.utils.text import slugify

from tooling.generate import words
from tooling.generate.draw_base import Drawer, Picker, apportion, zipf
from tooling.generate.plan import (
    COUNCIL_TYPES,
    CURRENT,
    HIGHER_EDUCATION,
    SIZES,
    SUPERSEDED,
    TYPES_BY_LEVEL,
    WITHDRAWN,
)
from tooling.generate.world import Mod, Qual


class QualificationsDrawer(Drawer):
    """Awarding bodies, qualifications and pre-requirements."""

    def awarding_bodies(self) -> tuple[list[str], dict[str, Picker]]:
        rng, n = self.rng, self.plan.awarding_bodies
        vocational, universities, councils = apportion(n, [55, 30, 15])
        taken: set[str] = set()
        names: list[str] = []
        kinds: dict[str, list[int]] = {"vocational": [], "university": [], "council": []}

        def add(kind: str, make: Callable[[], str], count: int) -> None:
            for _ in range(max(1, count)):
                kinds[kind].append(len(names))
                names.append(self.unique(make, taken))

        add("vocational", lambda: rng.choice(words.AWARDING_KINDS).format(place=self.place()), vocational)
        add("university", lambda: rng.choice(words.UNIVERSITY_KINDS).format(place=self.place()), universities)
        add(
            "council",
            lambda: rng.choice(words.COUNCIL_KINDS).format(
                field=rng.choice(words.COUNCIL_FIELDS), place=self.place()
            ),
            councils,
        )
        # a few big bodies award most qualifications, as on the real register
        pickers = {kind: Picker(ids, zipf(len(ids), 1.0)) for kind, ids in kinds.items()}
        return names, pickers

    def qualifications(self, bodies: dict[str, Picker], names: list[str]) -> list[Qual]:
        rng, sectors, plan = self.rng, self.sectors, self.plan
        per_sector = apportion(plan.qualifications, [s.weight for s in sectors])
        sector_of = [i for i, n in enumerate(per_sector) for _ in range(n)]
        rng.shuffle(sector_of)
        level_pickers = [Picker(words.LEVELS, s.levels) for s in sectors]
        type_pickers = {
            level: Picker([t for t, _ in options], [w for _, w in options])
            for level, options in TYPES_BY_LEVEL.items()
        }
        quals = []
        for sector_index in sector_of:
            sector = sectors[sector_index]
            level = level_pickers[sector_index].pick(rng)
            type_name = type_pickers[level].pick(rng)
            kind = (
                "university"
                if type_name in HIGHER_EDUCATION
                else "council"
                if type_name in COUNCIL_TYPES
                else "vocational"
            )
            body = bodies[kind].pick(rng)
            subject = rng.choice(sector.subjects)
            if rng.random() < 0.25 and "(" not in subject:
                subject = f"{subject} ({rng.choice(words.SUBJECT_FOCUS)})"
            title, size_kind = self.title(type_name, level, names[body], subject)
            low, high = SIZES[size_kind]
            size = rng.randint(low, high)
            quals.append(
                Qual(
                    ref="",
                    title=title,
                    subject=subject,
                    sector=sector_index,
                    level=level,
                    type_name=type_name,
                    body=body,
                    hours=self.hours(size_kind, size, level),
                    size=size,
                )
            )
        self.refs(quals)
        self.statuses(quals)
        for qual in quals:
            self.provenance(qual, names[qual.body])
        return quals

    def title(self, type_name: str, level: int | None, body: str, subject: str) -> tuple[str, str]:
        """A title after the naming protocol, and the kind of award (for its size)."""
        rng = self.rng
        level_words = "Entry Level" if level == 0 else f"Level {level}"
        if type_name == "NVQ":
            return f"NVQ {level_words} in {subject}", "NVQ"
        if type_name == "Apprenticeship":
            grade = {2: "Apprenticeship", 3: "Advanced Apprenticeship"}.get(level, "Higher Apprenticeship")
            return f"{grade} in {subject}", "Apprenticeship"
        if type_name == "Foundation degree":
            return f"{rng.choice(('FdA', 'FdSc'))} {subject}", "Foundation degree"
        if type_name == "Degree":
            return f"{rng.choice(('BA (Hons)', 'BSc (Hons)'))} {subject}", "Degree"
        if type_name == "Postgraduate":
            if level == 8:
                return f"Professional Doctorate in {subject}", "Postgraduate"
            award = rng.choice(("MA", "MSc", "Postgraduate Certificate in", "Postgraduate Diploma in"))
            return f"{award} {subject}", "Postgraduate"
        if type_name == "Professional standards":
            form = rng.choice(
                ("Professional Standards for {s}", "{s} Professional Status", "Qualified Status in {s}")
            )
            return form.format(s=subject), "Professional standards"
        if type_name == "Nationally endorsed training":
            form = rng.choice(
                ("{s}: National Training Programme", "{s} Induction Standards", "National Award in {s}")
            )
            return form.format(s=subject), "Nationally endorsed training"
        size = rng.choices(("Award", "Certificate", "Diploma"), (35, 40, 25))[0]
        if level is None:
            return f"{body} {size} in {subject}", size
        return f"{body} {level_words} {size} in {subject}", size

    def hours(self, kind: str, size: int, level: int | None) -> int | None:
        rng = self.rng
        if rng.random() < 0.08:
            return None
        per_module = 150 if kind in HIGHER_EDUCATION else 30 if (level or 0) <= 2 else 45
        return max(10, round(size * per_module * rng.uniform(0.7, 1.3) / 10) * 10)

    def refs(self, quals: list[Qual]) -> None:
        """Unique refs in the style of each kind of award: the regulator's 500/1234/5 for
        accredited ones, framework numbers for apprenticeships, codes for the rest."""
        rng = self.rng
        formats: dict[str, list[Qual]] = {}
        for qual in quals:
            if qual.type_name in HIGHER_EDUCATION:
                key = "HE"
            elif qual.type_name == "Apprenticeship":
                key = "FR"
            elif qual.type_name == "Professional standards":
                key = "PS"
            elif qual.type_name == "Nationally endorsed training":
                key = "NET"
            else:
                key = "QAN"
            formats.setdefault(key, []).append(qual)
        for key, group in formats.items():
            if key == "QAN":
                prefixes = ["100", "500", "501", "600", "601", "603", "610"]
                prefixes += [str(p) for p in range(611, 1000)]
                prefixes = prefixes[: max(7, math.ceil(len(group) * 2 / 10_000))]
                numbers = rng.sample(range(len(prefixes) * 10_000), len(group))
                for qual, number in zip(group, numbers, strict=True):
                    prefix, serial = prefixes[number // 10_000], number % 10_000
                    qual.ref = f"{prefix}/{serial:04d}/{check_character(prefix, serial)}"
                continue
            width = max(5, len(str(len(group) * 4)))
            numbers = rng.sample(range(10**width), len(group))
            for qual, number in zip(group, numbers, strict=True):
                qual.ref = {
                    "HE": f"HE/{number:0{width}d}",
                    "FR": f"FR{number:0{width}d}",
                    "PS": f"PS/{number:0{width}d}",
                    "NET": f"NET/{number:0{width}d}",
                }[key]

    def statuses(self, quals: list[Qual]) -> None:
        """Mostly current; some withdrawn; some superseded by a current qualification of
        the same sector (and level, when there is one)."""
        rng = self.rng
        draws = [rng.random() for _ in quals]
        current_by: dict[tuple[int, int | None], list[int]] = {}
        current_by_sector: dict[int, list[int]] = {}
        for i, qual in enumerate(quals):
            if draws[i] < 0.86:
                current_by.setdefault((qual.sector, qual.level), []).append(i)
                current_by_sector.setdefault(qual.sector, []).append(i)
        for i, qual in enumerate(quals):
            if draws[i] < 0.86:
                continue
            if draws[i] < 0.94:
                qual.status = WITHDRAWN
                continue
            options = current_by.get((qual.sector, qual.level)) or current_by_sector.get(qual.sector)
            if options:
                qual.status, qual.successor = SUPERSEDED, rng.choice(options)
            else:
                qual.status = WITHDRAWN

    def provenance(self, qual: Qual, body: str) -> None:
        rng = self.rng
        if qual.type_name in HIGHER_EDUCATION:
            qual.source = f"{body} prospectus"
            qual.source_url = f"https://www.{slugify(body)}.example/courses/{slugify(qual.ref)}"
        elif qual.type_name in COUNCIL_TYPES:
            qual.source = body
            qual.source_url = f"https://www.{slugify(body)}.example/"
        else:
            qual.source = "Register of regulated qualifications"
            qual.source_url = f"https://register.example/qualification/{qual.ref.replace('/', '')}"
        if rng.random() < 0.85:
            qual.verified = datetime.date(2005, 1, 1) + datetime.timedelta(days=rng.randrange(1095))
        if qual.status == SUPERSEDED:
            qual.notes = "Superseded by a revised version."
        elif qual.status == WITHDRAWN:
            qual.notes = "Withdrawn; holders remain recognised."
        elif rng.random() < 0.12:
            qual.notes = rng.choice(words.NOTES)

    def prerequisites(
        self, quals: list[Qual], modules: list[Mod]
    ) -> list[tuple[int, int | None, int | None]]:
        """Some qualifications require a lower one of their sector (so chains form,
        Level 1 → 2 → 3…) or one module of it."""
        rng, target = self.rng, self.plan.prerequisites
        by_sector_level: dict[tuple[int, int], list[int]] = {}
        for i, qual in enumerate(quals):
            if qual.level is not None:
                by_sector_level.setdefault((qual.sector, qual.level), []).append(i)
        candidates = [i for i, q in enumerate(quals) if q.level and q.status == CURRENT]
        rng.shuffle(candidates)
        rows: list[tuple[int, int | None, int | None]] = []
        seen: set[tuple[int, int | None, int | None]] = set()
        for i in candidates:
            if len(rows) >= target:
                break
            qual = quals[i]
            lower = None
            for level in range(qual.level - 1, -1, -1):
                lower = by_sector_level.get((qual.sector, level))
                if lower:
                    break
            if not lower:
                continue
            required = rng.choice(lower)
            if rng.random() < 0.25 and quals[required].modules:
                row = (i, None, rng.choice(quals[required].modules))
            else:
                row = (i, required, None)
            if row not in seen:
                seen.add(row)
                rows.append(row)
        return rows


def check_character(prefix: str, serial: int) -> str:
    """The last character of a 500/1234/5 style number: a weighted digit sum modulo 11."""
    digits = [int(c) for c in f"{prefix}{serial:04d}"]
    total = sum(d * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    return "X" if total == 10 else str(total)
