"""Gaps: the areas a role's key qualifications miss, and the levels a cluster misses."""

from collections import defaultdict
from collections.abc import Iterator

from commoncore import coverage
from iqf.lib.levels import level_code
from reports.base import CHUNK, Result, Row, Rows, Table, report
from reports.params import Params
from roles.models import Cluster, Role, RoleCluster, RoleQualification


@report(
    "role-gaps",
    "Role gaps",
    "Which areas no mapped key qualification of each role covers.",
    uses=("scheme", "cluster", "framework", "level", "key_only", "coverage", "rule"),
)
def role_gaps(params: Params) -> Result:
    rows: Rows | list[Row] = []
    total = gaps = 0
    if params.scheme is not None:
        links = RoleCluster.objects.filter(cluster__scheme=params.scheme)
        if params.cluster is not None:
            links = links.filter(cluster=params.cluster)
        clusters: dict[int, list[str]] = defaultdict(list)
        for role_id, name in (
            RoleCluster.objects.filter(cluster__scheme=params.scheme, role_id__in=links.values("role_id"))
            .order_by("cluster__name")
            .values_list("role_id", "cluster__name")
        ):
            clusters[role_id].append(name)
        key_links = RoleQualification.objects.filter(
            role_id__in=links.values("role_id"),
            is_key=True,
            **params.within(),
        )
        keys: dict[int, set[int]] = defaultdict(set)
        for role_id, qualification_id in key_links.values_list("role_id", "qualification_id"):
            keys[role_id].add(qualification_id)
        mapped_keys_set = (
            params.qualifications.filter(pk__in=coverage.mapped_ids(params.framework))
            .filter(pk__in=key_links.values("qualification_id"))
            .values("pk")
        )
        mapped = set(mapped_keys_set.values_list("pk", flat=True))
        covered = coverage.qualification_areas(
            mapped_keys_set, params.framework, params.areas, mode=params.mode, rule=params.rule
        )
        numbers = [a.number for a in params.areas]

        def missing(role_id: int) -> list[int]:
            reached = set().union(*(covered.get(q, set()) for q in keys[role_id] & mapped))
            return [n for n in numbers if n not in reached]

        # every role is counted for the note; the rows themselves are produced as read
        in_scheme = Role.objects.filter(pk__in=links.values("role_id"))
        total = len(clusters)
        gaps = sum(1 for role_id in clusters if missing(role_id))

        def produce() -> Iterator[Row]:
            for role_id, title in (
                in_scheme.order_by("title").values_list("pk", "title").iterator(chunk_size=CHUNK)
            ):
                mapped_keys = keys[role_id] & mapped
                if not keys[role_id]:
                    note = "no key qualification"
                elif not mapped_keys:
                    note = "no key qualification mapped yet"
                else:
                    note = ""
                yield (
                    ";".join(clusters[role_id]),
                    title,
                    len(keys[role_id]),
                    len(mapped_keys),
                    ";".join(str(n) for n in missing(role_id)),
                    note,
                )

        rows = Rows(produce)
    main = Table(
        "role-gaps",
        "Areas no mapped key qualification of the role covers",
        ["clusters", "role", "key_qualifications", "mapped_key_qualifications", "missing_areas", "note"],
        rows,
        headings=[
            "Clusters",
            "Role",
            "Key qualifications",
            "Mapped key qualifications",
            "Missing areas",
            "Note",
        ],
        numeric=frozenset({2, 3}),
    )
    return Result(main, notes=[f"{gaps} of {total} roles miss at least one area."])


@report(
    "level-gaps",
    "Level gaps",
    "At which levels between its lowest and highest each cluster has no qualification.",
    uses=("scheme", "cluster", "level", "key_only"),
)
def level_gaps(params: Params) -> Result:
    rows: list[tuple] = []
    if params.scheme is not None:
        clusters = Cluster.objects.filter(scheme=params.scheme)
        if params.cluster is not None:
            clusters = clusters.filter(pk=params.cluster.pk)
        levels: dict[int, set[int]] = defaultdict(set)
        for cluster_id, level in (
            RoleQualification.objects.filter(
                role__cluster_links__cluster__in=clusters,
                **params.within(),
                qualification__level__isnull=False,
            )
            .values_list("role__cluster_links__cluster_id", "qualification__level")
            .distinct()
        ):
            levels[cluster_id].add(level)
        for pk, name in clusters.order_by("name").values_list("pk", "name"):
            present = sorted(levels[pk])
            missing = (
                [n for n in range(present[0], present[-1] + 1) if n not in levels[pk]] if present else []
            )
            rows.append(
                (name, ";".join(level_code(n) for n in present), ";".join(level_code(n) for n in missing))
            )
    main = Table(
        "level-gaps",
        "Levels with qualifications, and the missing levels between",
        ["cluster", "levels_with_qualifications", "missing_levels"],
        rows,
        headings=["Cluster", "Levels with qualifications", "Missing levels"],
    )
    return Result(main)
