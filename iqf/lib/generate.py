"""Realistic synthetic data at K times the source's size, for the benchmark (issue 6).

``generate_data(scale=K, seed=S)`` fills a database that holds only what migrations
install (frameworks, areas, regions, qualification types, groups) with qualifications,
modules, roles, clusters, providers, pre-requirements and published Common Core
mappings shaped like the source. At K = 1 it writes 1,000 qualifications, 4,000
modules (a fifth of them shared between qualifications, about 10,000 memberships),
125 roles in 11 clusters of the default scheme (and 7 of a second, "by service"
scheme), 730 role links, 350 mapped qualifications, 300 providers with offerings in
every region; every count that the source has scales linearly with K. Awarding bodies
and the generated mappers and moderators grow with the square root of K (the real
register has a few hundred awarding bodies, not tens of thousands). Small scales keep
a floor that keeps the data whole: the eleven sector clusters with a role each, one
provider in each of the nine regions.

The mapping is shaped like Report 4 (DESIGN.md §4): about 60 % of mapped
qualifications cover 5 or 6 areas; nearly half the modules of mapped qualifications
cover Communication and under a tenth Supporting transitions; nearly a quarter cover
no area; Level 5 modules are the least mapped; Health and Fitness modules cover areas
1-3 well and 4-6 poorly. Every module carries a latent profile (the areas its title is
about); the modules of mapped qualifications publish it as judgements. Mapped
qualifications are drawn from the current ones, linked ones first, so that the
distribution of areas covered matches the source; a qualification whose modules cover
fewer areas than it was drawn for gets judgements about the qualification as a whole
(as mappers record them) for the rest.

Everything is drawn from one ``random.Random(seed)``: the same scale and seed give the
same refs, titles and links (database ids may differ). Rows are written with
``bulk_create`` in batches inside one transaction, reading the new ids back from the
insert (PostgreSQL and SQLite 3.35+ both return them). ``bulk_create`` writes no
simple-history rows: generated records have no history, which is acceptable for
synthetic data (the first real edit of a record starts its history).
"""

import bisect
import datetime
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils.text import slugify

from commoncore.models import (
    Area,
    Attribute,
    Basis,
    EventKind,
    Framework,
    GridMark,
    MappingReview,
    ReviewEvent,
    ReviewStatus,
)
from iqf.lib import generate_words as words
from iqf.lib.text import title_key
from qualifications.models import (
    AwardingBody,
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
    QualificationType,
    Region,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification
from roles.services import unique_slug


class Progress(Protocol):
    """Told how many rows will be written, then of each batch written."""

    def start(self, total: int) -> None: ...

    def advance(self, stage: str, rows: int) -> None: ...


DEFAULT_SCHEME = "Workforce clusters"
SERVICE_SCHEME = "Service clusters"
USER_PREFIX = "gen."

CURRENT, WITHDRAWN, SUPERSEDED = (s.value for s in Qualification.Status)

#: The share of modules that cover each area when they are judged at all: the main area
#: (PRIMARY) and any further ones (SECONDARY). With about 22 % of modules covering none,
#: the share of all modules covering area 1…6 comes to about 47, 33, 28, 7, 14 and 15 %.
PRIMARY = (0.36, 0.24, 0.22, 0.04, 0.07, 0.07)
SECONDARY = (0.40, 0.255, 0.19, 0.054, 0.123, 0.137)
#: The share of modules covering no area, by module level (Level 5 least mapped).
NONE_SHARE: dict[int | None, float] = {
    0: 0.17, 1: 0.17, 2: 0.2, 3: 0.2, 4: 0.22, 5: 0.45, 6: 0.22, 7: 0.24, 8: 0.26, None: 0.3,
}
#: How many areas mapped qualifications cover: 60 % cover 5 or 6 (Report 4).
AREAS_COVERED = {6: 0.30, 5: 0.30, 4: 0.17, 3: 0.11, 2: 0.07, 1: 0.03, 0: 0.02}
#: Sizes of the source, scaled by K.
SOURCE_SIZE = {
    "qualifications": 1000, "modules": 4000, "memberships": 10_000, "roles": 125,
    "clusters": 11, "service_clusters": 7, "role_links": 730, "mapped": 350,
    "providers": 300, "offerings": 2400, "prerequisites": 170,
}

#: Qualification types by level, with weights; names are the migrated types.
TYPES_BY_LEVEL: dict[int | None, tuple[tuple[str, int], ...]] = {
    0: (("VRQ", 85), ("Other", 15)),
    1: (("VRQ", 60), ("NVQ", 30), ("Other", 10)),
    2: (("NVQ", 40), ("VRQ", 40), ("Apprenticeship", 12), ("Nationally endorsed training", 4),
        ("Other", 4)),
    3: (("NVQ", 35), ("VRQ", 40), ("Apprenticeship", 15), ("Nationally endorsed training", 5),
        ("Other", 5)),
    4: (("NVQ", 40), ("VRQ", 30), ("Apprenticeship", 10), ("Professional standards", 10),
        ("Other", 10)),
    5: (("Foundation degree", 55), ("NVQ", 15), ("VRQ", 15), ("Other", 15)),
    6: (("Degree", 70), ("Professional standards", 20), ("Other", 10)),
    7: (("Postgraduate", 75), ("Professional standards", 15), ("Other", 10)),
    8: (("Postgraduate", 100),),
    None: (("Nationally endorsed training", 50), ("Professional standards", 30), ("Other", 20)),
}
HIGHER_EDUCATION = ("Foundation degree", "Degree", "Postgraduate")
COUNCIL_TYPES = ("Professional standards", "Nationally endorsed training")
#: Ranges of how many modules a qualification of each kind has.
SIZES = {
    "Award": (1, 4), "Certificate": (4, 8), "Diploma": (8, 16), "NVQ": (6, 12),
    "Apprenticeship": (8, 14), "Foundation degree": (10, 16), "Degree": (14, 22),
    "Postgraduate": (4, 8), "Professional standards": (0, 3),
    "Nationally endorsed training": (1, 4), "Other": (1, 8),
}


class GenerationError(Exception):
    """The generator cannot run: the message says why."""


@dataclass(frozen=True)
class Plan:
    """How many of each thing the generator writes at a scale."""

    scale: float
    qualifications: int
    modules: int
    shared_modules: int
    memberships: int
    clusters: int
    service_clusters: int
    roles: int
    role_links: int
    mapped: int
    providers: int
    offerings: int
    prerequisites: int
    awarding_bodies: int
    mappers: int
    moderators: int


def plan_for(scale: float) -> Plan:
    """The counts for ``scale`` (K): the source's sizes times K, with small floors."""
    if not (scale > 0 and math.isfinite(scale)):
        raise GenerationError(f"The scale must be a positive number, not {scale!r}.")

    def scaled(name: str, floor: int) -> int:
        return max(floor, round(SOURCE_SIZE[name] * scale))

    qualifications = scaled("qualifications", 10)
    modules = scaled("modules", 2 * qualifications)
    shared = max(1, round(modules / 5))
    clusters = scaled("clusters", len(words.SECTORS))
    roles = scaled("roles", clusters)
    root = math.sqrt(scale)
    return Plan(
        scale=scale,
        qualifications=qualifications,
        modules=modules,
        shared_modules=shared,
        memberships=max(scaled("memberships", 0), modules + shared),
        clusters=clusters,
        service_clusters=scaled("service_clusters", 7),
        roles=roles,
        role_links=scaled("role_links", roles),
        mapped=min(scaled("mapped", 3), qualifications // 2),
        providers=scaled("providers", len(words.REGION_WEIGHTS)),
        offerings=scaled("offerings", len(words.REGION_WEIGHTS)),
        prerequisites=scaled("prerequisites", 1),
        awarding_bodies=max(6, round(60 * root)),
        mappers=max(2, round(6 * root)),
        moderators=max(2, round(3 * root)),
    )


def existing_data() -> list[str]:
    """What the database holds beyond what migrations install, as "12 qualifications"…
    (empty when the generator may run)."""
    checks: list[tuple[str, models.QuerySet]] = [
        ("qualifications", Qualification.objects.all()),
        ("modules", Module.objects.all()),
        ("roles", Role.objects.all()),
        ("cluster schemes", ClusterScheme.objects.all()),
        ("awarding bodies", AwardingBody.objects.all()),
        ("providers", Provider.objects.all()),
        ("mapping reviews", MappingReview.objects.all()),
        ("generated users", get_user_model().objects.filter(username__startswith=USER_PREFIX)),
    ]
    found = []
    for label, queryset in checks:
        count = queryset.count()
        if count:
            found.append(f"{count} {label}")
    return found


def refuse_unless_empty() -> None:
    """Raise GenerationError naming what the database holds beyond what migrations install."""
    found = existing_data()
    if found:
        raise GenerationError(
            "The database is not empty: it holds " + ", ".join(found) + ". generate_data "
            "fills a database that holds only what migrations install; migrate a new one."
        )


def generate_data(*, scale: float, seed: int = 1, batch_size: int = 5000,
                  progress: Progress | None = None) -> dict[str, int]:
    """Fill an empty database with synthetic data at ``scale`` × the source's size, all
    or nothing. Returns how many rows each table received. Raises GenerationError when
    the database already holds data or misses what migrations install."""
    plan = plan_for(scale)
    refuse_unless_empty()
    reference = Reference.load()
    world = build(plan, reference, seed=seed)
    writer = _Writer(world, reference, batch_size=batch_size, progress=progress)
    if progress:
        progress.start(writer.total_rows())
    with transaction.atomic():
        writer.write()
    return writer.counts


# -- what migrations installed ---------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The rows migrations install that generated data refers to."""

    type_ids: dict[str, int]
    region_ids: list[int]
    region_names: list[str]
    area_ids: list[int]
    group_ids: dict[str, int]

    @classmethod
    def load(cls) -> "Reference":
        try:
            framework = Framework.objects.default()
        except Framework.DoesNotExist:
            raise GenerationError("No default framework: run migrate first.") from None
        areas = list(Area.objects.filter(framework=framework).order_by("number"))
        if len(areas) != 6:
            raise GenerationError(f"The default framework {framework} needs six areas; it has "
                                  f"{len(areas)}.")
        regions = list(Region.objects.order_by("order", "name"))
        if not regions:
            raise GenerationError("No regions: run migrate first.")
        types = {t.name.casefold(): t.pk for t in QualificationType.objects.all()}
        if not types:
            raise GenerationError("No qualification types: run migrate first.")
        return cls(
            type_ids=types,
            region_ids=[r.pk for r in regions],
            region_names=[r.name for r in regions],
            area_ids=[a.pk for a in areas],
            group_ids={g.name: g.pk for g in Group.objects.filter(name__in=["Mapper", "Moderator"])},
        )

    def type_id(self, name: str) -> int | None:
        found = self.type_ids.get(name.casefold()) or self.type_ids.get("other")
        return found if found is not None else next(iter(self.type_ids.values()), None)


# -- the world in memory ---------------------------------------------------------------


@dataclass(slots=True)
class Qual:
    ref: str
    title: str
    subject: str
    sector: int
    level: int | None
    type_name: str
    body: int
    hours: int | None
    size: int
    status: str = CURRENT
    successor: int | None = None
    notes: str = ""
    source: str = ""
    source_url: str = ""
    verified: datetime.date | None = None
    modules: list[int] = field(default_factory=list)
    mandatory: int = 0
    id: int = 0


@dataclass(slots=True)
class Mod:
    ref: str
    title: str
    level: int | None
    hours: int | None
    sector: int | None
    mask: int
    shared: bool
    qualification: int | None = None
    id: int = 0


@dataclass(slots=True)
class RoleRow:
    title: str
    slug: str
    level: int | None
    sector: int
    description: str
    status: str
    clusters: list[int]
    service_clusters: list[int]
    id: int = 0


@dataclass(slots=True)
class ClusterRow:
    name: str
    slug: str
    sector: int | None
    id: int = 0


@dataclass(slots=True)
class ProviderRow:
    name: str
    region: int | None
    url: str
    university: bool
    id: int = 0


@dataclass(slots=True)
class ReviewRow:
    qualification: int
    mapper: int
    moderator: int
    submitted: datetime.datetime
    decided: datetime.datetime
    returned: bool
    own_mask: int
    basis: str
    id: int = 0


@dataclass
class World:
    plan: Plan
    bodies: list[str]
    clusters: list[ClusterRow]
    service_clusters: list[ClusterRow]
    roles: list[RoleRow]
    quals: list[Qual]
    modules: list[Mod]
    prerequisites: list[tuple[int, int | None, int | None]]
    role_links: list[tuple[int, int, bool]]
    providers: list[ProviderRow]
    offerings: list[tuple[int, int, int | None, str, Decimal | None]]
    mappers: list[str]
    moderators: list[str]
    reviews: list[ReviewRow]
    module_basis: dict[int, str]


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


def mask_areas(mask: int) -> list[int]:
    """Area indices (0–5) in a bit mask."""
    return [a for a in range(6) if mask >> a & 1]


def build(plan: Plan, reference: Reference, *, seed: int) -> World:
    """Draw the whole data set in memory, deterministically for ``seed``."""
    return _Builder(plan, reference, random.Random(seed)).build()


class _Builder:
    def __init__(self, plan: Plan, reference: Reference, rng: random.Random):
        self.plan = plan
        self.reference = reference
        self.rng = rng
        self.sectors = words.SECTORS
        self.profiles: dict[tuple[int | None, int | None], tuple[float, Picker, list[float]]] = {}

    def build(self) -> World:
        rng = self.rng
        bodies, body_kinds = self.awarding_bodies()
        clusters, service_clusters = self.clusters()
        roles = self.roles(clusters, service_clusters)
        quals = self.qualifications(body_kinds, bodies)
        modules = self.modules(quals)
        self.also_qualifications(quals, modules, bodies)
        prerequisites = self.prerequisites(quals, modules)
        links = self.role_links(roles, quals)
        mappers = [f"{USER_PREFIX}mapper{i:03d}" for i in range(1, self.plan.mappers + 1)]
        moderators = [f"{USER_PREFIX}moderator{i:03d}" for i in range(1, self.plan.moderators + 1)]
        reviews = self.reviews(quals, modules, links, len(mappers), len(moderators))
        module_basis = {}
        for review in reviews:
            for m in quals[review.qualification].modules:
                if m not in module_basis:
                    module_basis[m] = rng.choices(
                        (Basis.TITLES.value, Basis.OUTCOMES.value), (55, 45))[0]
        providers = self.providers()
        offerings = self.offerings(quals, providers)
        return World(
            plan=self.plan, bodies=bodies, clusters=clusters, service_clusters=service_clusters,
            roles=roles, quals=quals, modules=modules, prerequisites=prerequisites,
            role_links=links, providers=providers, offerings=offerings, mappers=mappers,
            moderators=moderators, reviews=reviews, module_basis=module_basis,
        )

    # -- names ------------------------------------------------------------------------

    def place(self) -> str:
        rng = self.rng
        return (rng.choice(words.PLACE_PREFIXES) + rng.choice(words.PLACE_STARTS)
                + rng.choice(words.PLACE_ENDS))

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

    # -- awarding bodies, clusters, roles ---------------------------------------------

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

        add("vocational", lambda: rng.choice(words.AWARDING_KINDS).format(place=self.place()),
            vocational)
        add("university", lambda: rng.choice(words.UNIVERSITY_KINDS).format(place=self.place()),
            universities)
        add("council", lambda: rng.choice(words.COUNCIL_KINDS).format(
            field=rng.choice(words.COUNCIL_FIELDS), place=self.place()), councils)
        # a few big bodies award most qualifications, as on the real register
        pickers = {kind: Picker(ids, zipf(len(ids), 1.0)) for kind, ids in kinds.items()}
        return names, pickers

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

    def further_names(self, base: str, first: Sequence[str], second: Sequence[str],
                      count: int) -> list[str]:
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
        counts = [1 + n for n in apportion(
            self.plan.roles - len(clusters), [sectors[c.sector].weight for c in clusters])]
        qualifiers = (("", 50, 0), ("Senior ", 15, 1), ("Assistant ", 12, -1), ("Lead ", 8, 1),
                      ("Trainee ", 8, -1), ("Deputy ", 7, 0))
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
                    title=title, slug=unique_slug(title, taken_slugs), level=level,
                    sector=cluster.sector, status="archived" if rng.random() < 0.02 else "current",
                    description=(f"Works in {sector.setting}." if rng.random() < 0.3 else ""),
                    clusters=[cluster_index], service_clusters=[rng.choice(service)],
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

    # -- qualifications ---------------------------------------------------------------

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
            kind = ("university" if type_name in HIGHER_EDUCATION
                    else "council" if type_name in COUNCIL_TYPES else "vocational")
            body = bodies[kind].pick(rng)
            subject = rng.choice(sector.subjects)
            if rng.random() < 0.25 and "(" not in subject:
                subject = f"{subject} ({rng.choice(words.SUBJECT_FOCUS)})"
            title, size_kind = self.title(type_name, level, names[body], subject)
            low, high = SIZES[size_kind]
            size = rng.randint(low, high)
            quals.append(Qual(
                ref="", title=title, subject=subject, sector=sector_index, level=level,
                type_name=type_name, body=body, hours=self.hours(size_kind, size, level),
                size=size,
            ))
        self.refs(quals)
        self.statuses(quals)
        for qual in quals:
            self.provenance(qual, names[qual.body])
        return quals

    def title(self, type_name: str, level: int | None, body: str,
              subject: str) -> tuple[str, str]:
        """A title after the naming protocol, and the kind of award (for its size)."""
        rng = self.rng
        level_words = "Entry Level" if level == 0 else f"Level {level}"
        if type_name == "NVQ":
            return f"NVQ {level_words} in {subject}", "NVQ"
        if type_name == "Apprenticeship":
            grade = {2: "Apprenticeship", 3: "Advanced Apprenticeship"}.get(
                level, "Higher Apprenticeship")
            return f"{grade} in {subject}", "Apprenticeship"
        if type_name == "Foundation degree":
            return f"{rng.choice(('FdA', 'FdSc'))} {subject}", "Foundation degree"
        if type_name == "Degree":
            return f"{rng.choice(('BA (Hons)', 'BSc (Hons)'))} {subject}", "Degree"
        if type_name == "Postgraduate":
            if level == 8:
                return f"Professional Doctorate in {subject}", "Postgraduate"
            award = rng.choice(("MA", "MSc", "Postgraduate Certificate in",
                                "Postgraduate Diploma in"))
            return f"{award} {subject}", "Postgraduate"
        if type_name == "Professional standards":
            form = rng.choice(("Professional Standards for {s}", "{s} Professional Status",
                               "Qualified Status in {s}"))
            return form.format(s=subject), "Professional standards"
        if type_name == "Nationally endorsed training":
            form = rng.choice(("{s}: National Training Programme", "{s} Induction Standards",
                               "National Award in {s}"))
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
            numbers = rng.sample(range(10 ** width), len(group))
            for qual, number in zip(group, numbers, strict=True):
                qual.ref = {"HE": f"HE/{number:0{width}d}", "FR": f"FR{number:0{width}d}",
                            "PS": f"PS/{number:0{width}d}", "NET": f"NET/{number:0{width}d}"}[key]

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

    # -- modules ----------------------------------------------------------------------

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
        topics = words.GENERAL_TOPICS if sector is None or rng.random() < 0.3 else \
            self.sectors[sector].technical
        topic = rng.choice(topics)
        return topic if rng.random() < 0.5 else f"{stem} {lower_first(topic)}"

    def module_hours(self, level: int | None) -> int | None:
        rng = self.rng
        if rng.random() < 0.1:
            return None
        low, high = {0: (10, 30), 1: (10, 40), 2: (15, 60), 3: (20, 80), 4: (30, 120),
                     5: (60, 200), 6: (100, 200), 7: (150, 300), 8: (200, 400)}.get(level, (10, 60))
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
        own = [min(n, q.size) for n, q in zip(apportion(unique_total, [q.size for q in quals]),
                                               quals, strict=True)]
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
                modules.append(Mod("", self.module_title(qual.sector, level, mask), level,
                                   self.module_hours(level), qual.sector, mask, False))
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
        per_group = apportion(plan.shared_modules - generic,
                              [sum(slots[i] for i in groups[k]) for k in group_keys])
        level_keys = list(by_level)
        per_level = apportion(generic, [sum(slots[i] for i in by_level[k]) for k in level_keys])
        pools: dict[tuple, list[int]] = {}

        def create(sector: int | None, level: int | None, count: int, pool: tuple) -> None:
            for _ in range(count):
                mask = self.profile(sector, level)
                pools.setdefault(pool, []).append(len(modules))
                modules.append(Mod("", self.module_title(sector, level, mask), level,
                                   self.module_hours(level), sector, mask, True))

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
            candidates = groups.get(pool_key[1:]) if pool_key[0] == "group" else \
                by_level.get(pool_key[1])
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
            options = [p for p in (pickers.get(("group", qual.sector, qual.level)),
                                   pickers.get(("level", qual.level)),
                                   sector_pickers.get(qual.sector), anything) if p]
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

    def prerequisites(self, quals: list[Qual],
                      modules: list[Mod]) -> list[tuple[int, int | None, int | None]]:
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

    # -- links, mapping, providers ----------------------------------------------------

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
        offered = [{lv for lv, w in zip(words.LEVELS, s.levels, strict=True) if w}
                   for s in self.sectors]
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

    def reviews(self, quals: list[Qual], modules: list[Mod], links: list[tuple[int, int, bool]],
                mappers: int, moderators: int) -> list[ReviewRow]:
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
            submitted = start + datetime.timedelta(days=rng.randrange(700),
                                                   minutes=rng.randrange(480))
            reviews.append(ReviewRow(
                qualification=qual_index, mapper=rng.randrange(mappers),
                moderator=rng.randrange(moderators), submitted=submitted,
                decided=submitted + datetime.timedelta(days=rng.randint(1, 20)),
                returned=rng.random() < 0.12, own_mask=own,
                basis=Basis.STANDARDS.value if qual.type_name in COUNCIL_TYPES
                else Basis.OUTCOMES.value,
            ))
        return reviews

    def providers(self) -> list[ProviderRow]:
        """One provider in each region first (so every region has offerings), the rest
        spread by population; a few national distance-learning providers."""
        rng = self.rng
        regions = self.reference.region_names
        region_picker = Picker(range(len(regions)),
                               [words.REGION_WEIGHTS.get(name, 10) for name in regions])
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
            name = self.unique(lambda kinds=kinds: rng.choice(kinds).format(place=self.place()),
                               taken)
            url = f"https://www.{slugify(name)}.example/" if rng.random() < 0.7 else ""
            rows.append(ProviderRow(name, region, url, name.startswith("University")))
        return rows

    def offerings(self, quals: list[Qual],
                  providers: list[ProviderRow]) -> list[tuple[int, int, int | None, str, Decimal | None]]:
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
            hours = round(qual.hours * rng.uniform(0.6, 1.1)) if qual.hours and \
                rng.random() < 0.8 else None
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


def check_character(prefix: str, serial: int) -> str:
    """The last character of a 500/1234/5 style number: a weighted digit sum modulo 11."""
    digits = [int(c) for c in f"{prefix}{serial:04d}"]
    total = sum(d * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    return "X" if total == 10 else str(total)


# -- writing ---------------------------------------------------------------------------


@dataclass(slots=True)
class NewId:
    """Receives the id of a row written for something that keeps no other record."""

    id: int = 0


class _Writer:
    """Writes a World in dependency order, reading the new ids back from each insert."""

    def __init__(self, world: World, reference: Reference, *, batch_size: int,
                 progress: Progress | None):
        self.world = world
        self.reference = reference
        self.batch_size = batch_size
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.title_keys: dict[tuple[str, str], str] = {}

    def insert(self, label: str, model: type[models.Model], rows: Iterable[models.Model],
               keep: Sequence | None = None) -> None:
        """bulk_create ``rows`` in batches; when ``keep`` is given, its items (in the same
        order as rows) receive the new ids."""
        batch: list[models.Model] = []
        position = 0

        def flush() -> None:
            nonlocal position, batch
            if not batch:
                return
            model.objects.bulk_create(batch)
            if keep is not None:
                for obj in batch:
                    keep[position].id = obj.pk
                    position += 1
            self.counts[label] = self.counts.get(label, 0) + len(batch)
            if self.progress:
                self.progress.advance(label, len(batch))
            batch = []

        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_size:
                flush()
        flush()
        self.counts.setdefault(label, 0)

    def total_rows(self) -> int:
        """How many rows ``write`` will insert."""
        world = self.world
        users = len(world.mappers) + len(world.moderators)
        return (
            users * (2 if self.reference.group_ids else 1) + len(world.bodies) + 2
            + len(world.clusters) + len(world.service_clusters) + len(world.roles)
            + sum(len(r.clusters) + len(r.service_clusters) for r in world.roles)
            + len(world.quals) + len(world.modules) + sum(len(q.modules) for q in world.quals)
            + len(world.prerequisites) + len(world.role_links) + len(world.providers)
            + len(world.offerings) + len(world.reviews)
            + sum(4 if r.returned else 2 for r in world.reviews)
            + sum(1 for r in world.reviews for _ in self.cells(r))
            + sum(len(mask_areas(r.own_mask)) for r in world.reviews)
            + sum(len(mask_areas(world.modules[m].mask)) for m in world.module_basis)
        )

    def key(self, title: str, body: str = "") -> str:
        found = self.title_keys.get((title, body))
        if found is None:
            found = self.title_keys[(title, body)] = title_key(title, body)
        return found

    def write(self) -> None:
        users = self.users()
        body_ids = self.awarding_bodies()
        self.clusters()
        self.roles()
        self.qualifications(body_ids)
        self.modules()
        self.memberships()
        self.prerequisites()
        self.role_links()
        self.providers()
        self.offerings()
        self.reviews(users)

    def users(self) -> list[int]:
        world, User = self.world, get_user_model()
        names = world.mappers + world.moderators
        users = [User(username=name, email=f"{name}@example.org", is_staff=True,
                      password=make_password(None)) for name in names]
        holders = [NewId() for _ in names]
        self.insert("users", User, users, holders)
        groups = self.reference.group_ids
        through = User.groups.through
        memberships = []
        for i, holder in enumerate(holders):
            group = groups.get("Mapper" if i < len(world.mappers) else "Moderator")
            if group:
                memberships.append(through(user_id=holder.id, group_id=group))
        self.insert("user groups", through, memberships)
        return [h.id for h in holders]

    def awarding_bodies(self) -> list[int]:
        holders = [NewId() for _ in self.world.bodies]
        self.insert("awarding bodies", AwardingBody,
                    (AwardingBody(name=name) for name in self.world.bodies), holders)
        return [h.id for h in holders]

    def clusters(self) -> None:
        world = self.world
        schemes = [
            ClusterScheme(name=DEFAULT_SCHEME, slug=slugify(DEFAULT_SCHEME), is_default=True,
                          description="Generated: the eleven sectors of the 2005 workforce "
                          "clusters and their specialisms."),
            ClusterScheme(name=SERVICE_SCHEME, slug=slugify(SERVICE_SCHEME),
                          description="Generated: roles grouped by the service they work in."),
        ]
        self.insert("cluster schemes", ClusterScheme, schemes)
        for scheme, rows in zip(schemes, (world.clusters, world.service_clusters), strict=True):
            self.insert("clusters", Cluster, (
                Cluster(scheme_id=scheme.pk, name=row.name, slug=row.slug) for row in rows
            ), rows)

    def roles(self) -> None:
        world = self.world
        self.insert("roles", Role, (
            Role(title=r.title, slug=r.slug, level=r.level, description=r.description,
                 status=r.status) for r in world.roles
        ), world.roles)
        self.insert("role clusters", RoleCluster, (
            RoleCluster(role_id=role.id, cluster_id=cluster.id)
            for role in world.roles
            for cluster in [world.clusters[c] for c in role.clusters]
            + [world.service_clusters[c] for c in role.service_clusters]
        ))

    def qualifications(self, body_ids: list[int]) -> None:
        world = self.world
        quals = world.quals

        def row(q: Qual) -> Qualification:
            body = world.bodies[q.body]
            return Qualification(
                ref=q.ref, title=q.title, title_key=self.key(q.title, body),
                qualification_type_id=self.reference.type_id(q.type_name),
                awarding_body_id=body_ids[q.body], level=q.level, learning_hours=q.hours,
                notes=q.notes, source=q.source, source_url=q.source_url, status=q.status,
                superseded_by_id=quals[q.successor].id if q.successor is not None else None,
                last_verified=q.verified,
            )

        # successors are current, so they are written (and have ids) before what they replace
        first = [q for q in quals if q.successor is None]
        then = [q for q in quals if q.successor is not None]
        self.insert("qualifications", Qualification, (row(q) for q in first), first)
        self.insert("qualifications", Qualification, (row(q) for q in then), then)

    def modules(self) -> None:
        world = self.world
        quals = world.quals
        self.insert("modules", Module, (
            Module(ref=m.ref, title=m.title, title_key=self.key(m.title), level=m.level,
                   learning_hours=m.hours,
                   qualification_id=quals[m.qualification].id if m.qualification is not None
                   else None)
            for m in world.modules
        ), world.modules)

    def memberships(self) -> None:
        modules = self.world.modules
        self.insert("module memberships", QualificationModule, (
            QualificationModule(qualification_id=q.id, module_id=modules[m].id,
                                mandatory=position < q.mandatory, order=position + 1)
            for q in self.world.quals
            for position, m in enumerate(q.modules)
        ))

    def prerequisites(self) -> None:
        quals, modules = self.world.quals, self.world.modules
        self.insert("pre-requirements", Prerequisite, (
            Prerequisite(
                qualification_id=quals[q].id,
                required_qualification_id=quals[rq].id if rq is not None else None,
                required_module_id=modules[rm].id if rm is not None else None,
            )
            for q, rq, rm in self.world.prerequisites
        ))

    def role_links(self) -> None:
        roles, quals = self.world.roles, self.world.quals
        self.insert("role qualifications", RoleQualification, (
            RoleQualification(role_id=roles[r].id, qualification_id=quals[q].id, is_key=key)
            for r, q, key in self.world.role_links
        ))

    def providers(self) -> None:
        regions = self.reference.region_ids
        self.insert("providers", Provider, (
            Provider(name=p.name, region_id=regions[p.region] if p.region is not None else None,
                     url=p.url)
            for p in self.world.providers
        ), self.world.providers)

    def offerings(self) -> None:
        providers, quals = self.world.providers, self.world.quals
        self.insert("offerings", Offering, (
            Offering(provider_id=providers[p].id, qualification_id=quals[q].id,
                     course_hours=hours, mode=mode, cost=cost)
            for p, q, hours, mode, cost in self.world.offerings
        ))

    def reviews(self, user_ids: list[int]) -> None:
        """Approved grids, their events, their ticked cells and the published judgements."""
        world = self.world
        quals, modules = world.quals, world.modules
        framework = Framework.objects.default()
        mapper_ids = user_ids[: len(world.mappers)]
        moderator_ids = user_ids[len(world.mappers):]
        areas = self.reference.area_ids
        self.insert("mapping reviews", MappingReview, (
            MappingReview(
                qualification_id=quals[r.qualification].id, framework_id=framework.pk,
                status=ReviewStatus.APPROVED, mapped_by_id=mapper_ids[r.mapper],
                moderated_by_id=moderator_ids[r.moderator], submitted_at=r.submitted,
                decided_at=r.decided, published_at=r.decided, times_returned=int(r.returned),
                return_reason=words.RETURN_REASONS[r.qualification % len(words.RETURN_REASONS)]
                if r.returned else "",
                grid_modules=[modules[m].id for m in quals[r.qualification].modules],
            )
            for r in world.reviews
        ), world.reviews)
        self.insert("mapping events", ReviewEvent, self.events(mapper_ids, moderator_ids))
        self.insert("grid marks", GridMark, (
            GridMark(review_id=r.id, module_id=modules[m].id if m is not None else None,
                     area_id=areas[a], basis=basis)
            for r in world.reviews
            for m, a, basis in self.cells(r)
        ))
        published: dict[int, int] = {}
        for review in world.reviews:
            for m in quals[review.qualification].modules:
                published.setdefault(m, review.id)
        self.insert("published judgements", Attribute, self.judgements(published))

    def cells(self, review: ReviewRow) -> Iterator[tuple[int | None, int, str]]:
        """The ticked cells of a grid: the judgement of each module, and the qualification's own."""
        world = self.world
        for m in world.quals[review.qualification].modules:
            for area in mask_areas(world.modules[m].mask):
                yield m, area, world.module_basis[m]
        for area in mask_areas(review.own_mask):
            yield None, area, review.basis

    def judgements(self, published: dict[int, int]) -> Iterator[Attribute]:
        world, areas = self.world, self.reference.area_ids
        for review in world.reviews:
            for area in mask_areas(review.own_mask):
                yield Attribute(area_id=areas[area], qualification_id=world.quals[review.qualification].id,
                                basis=review.basis, review_id=review.id)
        for m, review_id in published.items():
            module = world.modules[m]
            for area in mask_areas(module.mask):
                yield Attribute(area_id=areas[area], module_id=module.id,
                                basis=world.module_basis[m], review_id=review_id)

    def events(self, mapper_ids: list[int], moderator_ids: list[int]) -> Iterator[ReviewEvent]:
        world = self.world
        for r in world.reviews:
            mapper, moderator = mapper_ids[r.mapper], moderator_ids[r.moderator]
            at = r.submitted
            yield ReviewEvent(kind=EventKind.SUBMIT, review_id=r.id, mapper_id=mapper,
                              actor_id=mapper, at=at, note="round 1: every grid moderated")
            if r.returned:
                returned_at = at + (r.decided - at) / 3
                yield ReviewEvent(kind=EventKind.RETURN, review_id=r.id, mapper_id=mapper,
                                  actor_id=moderator, at=returned_at,
                                  note=words.RETURN_REASONS[r.qualification % len(words.RETURN_REASONS)])
                yield ReviewEvent(kind=EventKind.SUBMIT, review_id=r.id, mapper_id=mapper,
                                  actor_id=mapper, at=returned_at + (r.decided - at) / 3,
                                  note="round 1: returned before, so moderated")
            yield ReviewEvent(kind=EventKind.APPROVE, review_id=r.id, mapper_id=mapper,
                              actor_id=moderator, at=r.decided, note="Published (generated data).")
