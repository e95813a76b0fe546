"""Reads for the public cluster and role pages (DESIGN.md §4); the role move is
:mod:`roles.moves`.

Each function answers one question a manager asks and runs a fixed number of queries,
whatever the data size. Coverage comes from :mod:`commoncore.coverage`: only published
judgements count, and gaps are judged over *mapped* qualifications only, under possible
coverage (every module counts). Levels sort Entry, 1…8, then not levelled.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from commoncore import coverage
from commoncore.coverage import AreaInfo
from commoncore.models import Framework
from iqf.lib.levels import Level
from qualifications.models import Offering, Qualification, Region
from qualifications.selectors import money
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification, current_role

CURRENT_ROLE = current_role("role_links__role__")


def level_label(level: int | None) -> str:
    """ "Entry level", "Level 3" or "Not levelled"."""
    return "Not levelled" if level is None else Level(level).label


def level_key(level: int | None) -> tuple[bool, int]:
    """Sorts levels Entry, 1…8, then not levelled."""
    return (level is None, level or 0)


# -- cluster schemes and clusters ------------------------------------------------------


def schemes_with_counts() -> list[ClusterScheme]:
    """Every cluster scheme, the default first, annotated ``n_clusters`` and ``n_roles``
    (distinct current roles in any of its clusters) (one query)."""
    return list(
        ClusterScheme.objects.annotate(
            n_clusters=Count("clusters", distinct=True),
            n_roles=Count(
                "clusters__role_links__role",
                distinct=True,
                filter=current_role("clusters__role_links__role__"),
            ),
        ).order_by("-is_default", "name")
    )


def with_counts(clusters: QuerySet) -> QuerySet:
    """The clusters annotated with their current roles (``n_roles``) and the distinct
    qualifications linked to those roles (``n_qualifications``) and linked as key
    (``n_key_qualifications``). Counting runs over the clusters given only: pass a page or
    a short list, not a whole scheme."""
    links = "role_links__role__qualification_links"
    return clusters.annotate(
        n_roles=Count("role_links__role", filter=CURRENT_ROLE, distinct=True),
        n_qualifications=Count(f"{links}__qualification", filter=CURRENT_ROLE, distinct=True),
        n_key_qualifications=Count(
            f"{links}__qualification",
            distinct=True,
            filter=CURRENT_ROLE & Q(**{f"{links}__is_key": True}),
        ),
    )


def clusters_with_counts(scheme: ClusterScheme, ids: list[int] | None = None) -> list[Cluster]:
    """The scheme's clusters (only those of ``ids`` when given) by name, with the counts
    of :func:`with_counts` (one query)."""
    clusters = Cluster.objects.filter(scheme=scheme)
    if ids is not None:
        clusters = clusters.filter(pk__in=ids)
    return list(with_counts(clusters).order_by("name"))


def find_clusters(scheme: ClusterScheme, search: str = "") -> QuerySet[Cluster]:
    """The scheme's clusters whose names contain every word of ``search``, by name; page
    this and count the page with :func:`clusters_with_counts`."""
    clusters = Cluster.objects.filter(scheme=scheme)
    for word in search.split()[:10]:
        clusters = clusters.filter(name__icontains=word)
    return clusters.order_by("name", "pk")


def largest_clusters(scheme: ClusterScheme, limit: int) -> list[Cluster]:
    """The scheme's ``limit`` clusters with the most current roles (then by name), with
    the counts of :func:`with_counts` (one query: the choice is a subquery)."""
    top = (
        Cluster.objects.filter(scheme=scheme)
        .annotate(n=Count("role_links", filter=current_role("role_links__role__")))
        .order_by("-n", "name")
        .values("pk")[:limit]
    )
    return sorted(with_counts(Cluster.objects.filter(pk__in=top)), key=lambda c: (-c.n_roles, c.name))  # type: ignore[attr-defined]  # annotated by the query above


def roles_with_counts(cluster: Cluster) -> list[Role]:
    """The cluster's current roles, Entry level first and not levelled last, annotated
    ``n_qualifications`` and ``n_key_qualifications`` (one query)."""
    return list(
        Role.objects.current()
        .filter(cluster_links__cluster=cluster)
        .annotate(
            n_qualifications=Count("qualification_links", distinct=True),
            n_key_qualifications=Count(
                "qualification_links",
                filter=Q(qualification_links__is_key=True),
                distinct=True,
            ),
        )
        .order_by(F("level").asc(nulls_last=True), "title")
    )


@dataclass(frozen=True)
class LevelGroup:
    level: int | None
    label: str
    items: list


def group_by_level(items: Iterable, level_of=lambda item: item.level) -> list[LevelGroup]:
    """Items grouped by level in the order Entry, 1…8, not levelled; empty levels left out."""
    groups: dict[int | None, list] = defaultdict(list)
    for item in items:
        groups[level_of(item)].append(item)
    return [LevelGroup(level, level_label(level), groups[level]) for level in sorted(groups, key=level_key)]


@dataclass(frozen=True)
class SchemeSwitch:
    """Another scheme, and its clusters that hold some of the roles being looked at."""

    scheme: ClusterScheme
    clusters: list[Cluster]  # annotated ``shared``: how many of the roles each holds


def scheme_switch(scheme: ClusterScheme, role_ids: list[int]) -> list[SchemeSwitch]:
    """For every scheme but ``scheme``, the clusters that hold any of the roles (two
    queries)."""
    others = list(ClusterScheme.objects.exclude(pk=scheme.pk).order_by("-is_default", "name"))
    clusters: dict[int, list[Cluster]] = defaultdict(list)
    if role_ids and others:
        for cluster in (
            Cluster.objects.filter(scheme__in=others, role_links__role__in=role_ids)
            .annotate(shared=Count("role_links__role", distinct=True))
            .order_by("name")
        ):
            clusters[cluster.scheme_id].append(cluster)
    return [SchemeSwitch(other, clusters[other.pk]) for other in others]


# -- a role ----------------------------------------------------------------------------


def role_clusters(role: Role) -> list[Cluster]:
    """The role's clusters with their schemes, default scheme first (one query)."""
    return list(
        Cluster.objects.filter(role_links__role=role)
        .select_related("scheme")
        .order_by("-scheme__is_default", "scheme__name", "name")
    )


def role_qualifications(role: Role, framework: Framework) -> list[Qualification]:
    """Every qualification linked to the role, lowest level first and key ones first within
    a level, with type, awarding body and successor, annotated ``is_key`` (for this role)
    and ``mapped`` (a published grid for the framework) (one query)."""
    key_link = RoleQualification.objects.filter(role=role, qualification=OuterRef("pk"), is_key=True)
    return list(
        Qualification.objects.filter(role_links__role=role)
        .with_related()
        .annotate(is_key=Exists(key_link), mapped=coverage.is_mapped(framework))
        .order_by(F("level").asc(nulls_last=True), "-is_key", "title", "ref")
    )


@dataclass(frozen=True)
class LadderEntry:
    qualification: Qualification
    is_key: bool
    mapped: bool
    areas_covered: int  # meaningful only when mapped


@dataclass(frozen=True)
class Rung:
    level: int | None
    label: str
    entries: list[LadderEntry]

    @property
    def is_gap(self) -> bool:
        return not self.entries


def ladder(qualifications: list[Qualification], covered: dict[int, set[int]]) -> list[Rung]:
    """The pathway ladder: a rung per level from the lowest to the highest levelled
    qualification (levels in between with none are empty rungs), then the not-levelled
    qualifications. ``qualifications`` carry ``is_key`` and ``mapped``."""
    entries: dict[int | None, list[LadderEntry]] = defaultdict(list)
    for q in qualifications:
        entries[q.level].append(LadderEntry(q, q.is_key, q.mapped, len(covered.get(q.pk, ()))))  # type: ignore[attr-defined]  # annotated by the query above
    levelled = [level for level in entries if level is not None]
    levels: list[int | None] = list(range(min(levelled), max(levelled) + 1)) if levelled else []
    if None in entries:
        levels.append(None)
    return [Rung(level, level_label(level), entries.get(level, [])) for level in levels]


def level_gaps(levels: Iterable[int | None]) -> list[int]:
    """The levels strictly between the lowest and the highest given level with none
    (not-levelled ignored)."""
    present = {level for level in levels if level is not None}
    if not present:
        return []
    return [level for level in range(min(present) + 1, max(present)) if level not in present]


@dataclass(frozen=True)
class MatrixRow:
    qualification: Qualification
    mapped: bool
    cells: list[tuple[AreaInfo, bool]]


@dataclass(frozen=True)
class RoleGap:
    """DESIGN.md §4 *role gap*: the areas no mapped key qualification of the role covers."""

    key_qualifications: int
    mapped_key_qualifications: int
    covered: list[tuple[AreaInfo, bool]]  # every area, and whether a mapped key one covers it
    missing: list[AreaInfo]

    @property
    def reason(self) -> str:
        """Why every area is missing, when that is so for want of data; else ""."""
        if self.key_qualifications == 0:
            return "no key qualification"
        if self.mapped_key_qualifications == 0:
            return "no key qualification mapped yet"
        return ""


def coverage_matrix(
    key_qualifications: list[Qualification], covered: dict[int, set[int]], areas: list[AreaInfo]
) -> tuple[list[MatrixRow], RoleGap]:
    """Key qualifications × areas, and the role's gap. ``key_qualifications`` carry
    ``mapped``; ``covered`` maps a qualification id to the numbers of the areas it covers."""
    rows = [
        MatrixRow(q, q.mapped, [(area, area.number in covered.get(q.pk, ())) for area in areas])  # type: ignore[attr-defined]  # annotated by the query above
        for q in key_qualifications
    ]
    union = {n for q in key_qualifications if q.mapped for n in covered.get(q.pk, ())}  # type: ignore[attr-defined]  # annotated by the query above
    gap = RoleGap(
        key_qualifications=len(key_qualifications),
        mapped_key_qualifications=sum(1 for q in key_qualifications if q.mapped),  # type: ignore[attr-defined,misc]  # annotated by the query above
        covered=[(area, area.number in union) for area in areas],
        missing=[area for area in areas if area.number not in union],
    )
    return rows, gap


@dataclass(frozen=True)
class Neighbours:
    """Other current roles of one of the role's clusters at the nearest level below and
    the nearest level above the role's level."""

    cluster: Cluster
    below: list[Role] = field(default_factory=list)
    above: list[Role] = field(default_factory=list)

    @property
    def below_label(self) -> str:
        return level_label(self.below[0].level) if self.below else ""

    @property
    def above_label(self) -> str:
        return level_label(self.above[0].level) if self.above else ""


def neighbours(role: Role, clusters: list[Cluster]) -> list[Neighbours]:
    """For each of the role's clusters, the current roles at the nearest level below and
    above the role's own (one query; none for a role without a level)."""
    if role.level is None or not clusters:
        return []
    links = (
        RoleCluster.objects.filter(
            current_role("role__"),
            cluster__in=clusters,
            role__level__isnull=False,
        )
        .exclude(role=role)
        .select_related("role")
        .order_by("role__title")
    )
    by_cluster: dict[int, list[Role]] = defaultdict(list)
    for link in links:
        by_cluster[link.cluster_id].append(link.role)
    result = []
    for cluster in clusters:
        roles = by_cluster[cluster.pk]
        lower = [r.level for r in roles if r.level < role.level]
        higher = [r.level for r in roles if r.level > role.level]
        result.append(
            Neighbours(
                cluster,
                below=[r for r in roles if lower and r.level == max(lower)],
                above=[r for r in roles if higher and r.level == min(higher)],
            )
        )
    return result


@dataclass(frozen=True)
class ProviderRow:
    provider_name: str
    provider_url: str
    region: str
    qualification: Qualification
    course_hours: int | None
    mode: str
    cost: str


def key_offerings(qualification_ids: list[int], region: Region | None) -> list[ProviderRow]:
    """Active providers' offerings of the qualifications, by region in the regions' order
    (national or distance providers last), then provider and qualification. With a
    ``region``, only the providers there and the national or distance ones (one query,
    none without qualifications)."""
    if not qualification_ids:
        return []
    offerings = Offering.objects.filter(
        qualification__in=qualification_ids,
        provider__is_archived=False,
    )
    if region is not None:
        offerings = offerings.filter(Q(provider__region=region) | Q(provider__region__isnull=True))
    offerings = offerings.select_related("provider", "provider__region", "qualification").order_by(
        F("provider__region__order").asc(nulls_last=True), "provider__name", "qualification__title", "mode"
    )
    return [
        ProviderRow(
            o.provider.name,
            o.provider.url,
            o.provider.region.name if o.provider.region else "National or distance",
            o.qualification,
            o.course_hours,
            o.mode,
            money(o.cost),
        )
        for o in offerings
    ]
