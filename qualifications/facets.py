"""The finder's facets: for each of its filters, the options and how many results each
would give, counted over the results of the other filters. Level, status, type and
key-ness are counted together: one grouped query over every other filter gives a small
table of counts by (level, status, type, key) from which each of those facets, and the
number of results, is summed in Python. The other facets take one grouped query each,
and the cluster facet offers only the clusters with the most results (and those chosen):
a scheme can have a thousand clusters, which the clusters pages list in full.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import BooleanField, Case, Count, F, Q, Value, When
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from commoncore import coverage
from commoncore.coverage import Mode
from commoncore.models import QualificationCoverage
from iqf.lib.levels import CODE_CHOICES, parse_level
from qualifications import regions
from qualifications.models import (
    AwardingBody,
    Qualification,
    QualificationType,
    Region,
)
from roles.models import Cluster, Role, RoleCluster, RoleQualification, current_role

if TYPE_CHECKING:
    from qualifications.filters import QualificationFilter

TOP_CLUSTERS = 10  # cluster facet: the clusters with the most results, then "browse all"
CELL_FACETS = ("level", "status", "type", "key")  # counted together, from one grouped query


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int | None
    selected: bool


@dataclass(frozen=True)
class Facet:
    """One group of the finder's filters, ready for a template to show."""

    name: str
    legend: str
    widget: str  # "checkboxes", "select" or "radios"
    options: list[Option]
    hint: str = ""
    error: str = ""
    empty_label: str = ""  # a select's "any" option
    extra: dict = field(default_factory=dict)

    @property
    def selected(self) -> list[Option]:
        return [option for option in self.options if option.selected]

    @property
    def options_html(self) -> str:
        """A select's options, escaped. A select can list hundreds (the awarding bodies
        with results), which a template loop takes several times as long to write."""
        selected = mark_safe(" selected")
        return format_html_join(
            "\n",
            '<option value="{}"{}>{}{}</option>',
            (
                (
                    option.value,
                    selected if option.selected else "",
                    option.label,
                    "" if option.count is None else f" ({intcomma(option.count)})",
                )
                for option in self.options
            ),
        )


@dataclass(frozen=True)
class FacetCell:
    """How many qualifications under every filter but level, status, type and key have
    this level, status, type and key-ness."""

    level: int | None
    status: str
    type_id: int | None
    is_key: bool
    n: int


def _with_error(facet: Facet, error: str) -> Facet:
    return Facet(
        facet.name,
        facet.legend,
        facet.widget,
        facet.options,
        facet.hint,
        error,
        facet.empty_label,
        facet.extra,
    )


class FinderFacets:
    """The facets of one finder request, counted under its filters (``finder``)."""

    def __init__(self, finder: "QualificationFilter"):
        self.finder = finder
        self.count = 0

    def facets(self) -> list[Facet]:
        """The facets with their options; with counts when the form is valid, without them
        (and with each facet's error) when it is not. The number of results is then
        :attr:`count`, summed from the same counts."""
        valid = self.finder.is_valid()
        errors = {name: " ".join(messages) for name, messages in self.finder.form.errors.items()}
        cells = self.cells() if valid else []
        facets = [
            self._key_facet(valid, cells),
            self._level_facet(valid, cells),
            self._status_facet(valid, cells),
            self._type_facet(valid, cells),
            self._awarding_body_facet(valid),
            self._cluster_facet(valid),
            self._role_facet(valid),
            self._area_facet(valid),
            self._coverage_facet(),
            self._region_facet(valid),
        ]
        self.count = self._tally(cells, "count").get("count", 0) if valid else 0
        return [f if f.name not in errors else _with_error(f, errors[f.name]) for f in facets]

    def _chosen(self, name: str) -> list[str]:
        return self.finder.data.getlist(name)

    # -- level, status, type and key: one grouped query ---------------------------

    def cells(self) -> list[FacetCell]:
        """Counts by (level, status, type, key) under every other filter (one query).

        Key for any role is the qualification's own flag; key for the chosen role or
        clusters, an uncorrelated ``IN`` over their key links (hashed once by the
        database), not a lookup per qualification. Only qualifications that fail at most
        one of the level, status, type and key choices are counted: one failing two of
        them is left out of every facet's tally (each tally sets aside one choice only),
        and leaving it out of the scan spares reading most of the table when two or more
        of those facets are chosen."""
        key = (
            F("key_for_a_role")
            if self.finder.key_for_any_role
            else Case(
                When(pk__in=self.finder.key_links(), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        rows = (
            self.finder.filtered(skip=CELL_FACETS)
            .filter(self._near_miss())
            .order_by()
            .annotate(is_key=key)
            .values_list("level", "status", "qualification_type", "is_key")
            .annotate(n=Count("pk"))
        )
        return [FacetCell(*row) for row in rows]

    def _near_miss(self) -> Q:
        """Passes every chosen level, status, type and key filter but at most one."""
        chosen = [name for name in CELL_FACETS if name != "key" and self.finder.value(name)]
        chosen += ["key"] if self.finder.key_only else []
        if len(chosen) < 2:
            return Q()
        tests = {name: self.finder._passes(name, self.finder.value(name)) for name in chosen}
        near = Q()
        for missed in chosen:
            others = Q()
            for name in chosen:
                if name != missed:
                    others &= tests[name]
            near |= others
        return near

    def _tally(self, cells: list[FacetCell], facet: str) -> Counter:
        """Sums the cells that pass the chosen level, status, type and key, except the
        facet's own choice, by that facet's value (``"count"``: every choice, one total)."""
        levels = {parse_level(code) for code in self.finder.value("level") or []}
        statuses = set(self.finder.value("status") or [])
        types = {t.pk for t in self.finder.value("type") or []}
        totals: Counter = Counter()
        for cell in cells:
            if facet != "level" and levels and cell.level not in levels:
                continue
            if facet != "status" and statuses and cell.status not in statuses:
                continue
            if facet != "type" and types and cell.type_id not in types:
                continue
            if facet != "key" and self.finder.key_only and not cell.is_key:
                continue
            value = {
                "level": cell.level,
                "status": cell.status,
                "type": cell.type_id,
                "key": cell.is_key,
                "count": "count",
            }[facet]
            totals[value] += cell.n
        return totals

    def _key_facet(self, valid: bool, cells: list[FacetCell]) -> Facet:
        count = self._tally(cells, "key").get(True, 0) if valid else None
        scope = (
            "the chosen role"
            if self._chosen("role") and self._chosen("role")[0]
            else "a role of the chosen clusters"
            if self._chosen("cluster")
            else "a role"
        )
        return Facet(
            "key",
            "Key qualifications",
            "checkboxes",
            [
                Option("yes", f"Only those key for {scope}", count, self.finder.data.get("key") == "yes"),
            ],
            hint="Key: nationally available, approved, required to practise, or mandatory training.",
        )

    def _level_facet(self, valid: bool, cells: list[FacetCell]) -> Facet:
        counts = self._tally(cells, "level")
        chosen = self._chosen("level")
        return Facet(
            "level",
            "Level",
            "checkboxes",
            [
                Option(code, label, counts.get(parse_level(code), 0) if valid else None, code in chosen)
                for code, label in CODE_CHOICES
            ],
        )

    def _status_facet(self, valid: bool, cells: list[FacetCell]) -> Facet:
        counts = self._tally(cells, "status")
        chosen = self._chosen("status")
        return Facet(
            "status",
            "Status",
            "checkboxes",
            [
                Option(value, label, counts.get(value, 0) if valid else None, value in chosen)
                for value, label in Qualification.Status.choices
            ],
            hint="Current qualifications only, unless you tick others.",
        )

    def _type_facet(self, valid: bool, cells: list[FacetCell]) -> Facet:
        counts = self._tally(cells, "type")
        chosen = self._chosen("type")
        return Facet(
            "type",
            "Type",
            "checkboxes",
            [
                Option(t.name, t.name, counts.get(t.pk, 0) if valid else None, t.name in chosen)
                for t in QualificationType.objects.order_by("name")
            ],
        )

    # -- the other facets: one grouped query each ---------------------------------

    def _awarding_body_facet(self, valid: bool) -> Facet:
        chosen = self.finder.data.get("awarding_body") or ""
        if not valid:
            return Facet(
                "awarding_body",
                "Awarding body",
                "select",
                [
                    Option(b.name, b.name, None, b.name == chosen)
                    for b in AwardingBody.objects.order_by("name")
                ],
                empty_label="Any awarding body",
            )
        # Long list: only the bodies with results (and the one chosen) are offered.
        counts = dict(
            self.finder.filtered(skip={"awarding_body"})
            .order_by()
            .filter(awarding_body__isnull=False)
            .values_list("awarding_body__name")
            .annotate(n=Count("pk"))
        )
        if self.finder.value("awarding_body") is not None:
            counts.setdefault(self.finder.value("awarding_body").name, 0)
        return Facet(
            "awarding_body",
            "Awarding body",
            "select",
            [Option(name, name, counts[name], name == chosen) for name in sorted(counts, key=str.casefold)],
            empty_label="Any awarding body",
        )

    def _cluster_facet(self, valid: bool) -> Facet:
        if self.finder.scheme is None:
            return Facet("cluster", "Cluster", "checkboxes", [], hint="No clusters have been entered.")
        others = [s for s in self.finder.schemes if s != self.finder.scheme]
        chosen = self._chosen("cluster")
        hint = f"Roles grouped as: {self.finder.scheme.name}."
        extra = {"other_schemes": others}
        if not valid:
            clusters = (
                Cluster.objects.filter(scheme=self.finder.scheme, slug__in=chosen).order_by("name")
                if "cluster" not in self.finder.form.errors
                else []
            )
            return Facet(
                "cluster",
                "Cluster",
                "checkboxes",
                [Option(c.slug, c.name, None, True) for c in clusters],
                hint=hint,
                extra=extra,
            )
        # Key-only counts key links to the cluster's roles, unless a role decides key-ness.
        key_here = self.finder.key_only and not self.finder.value("role")
        base = self.finder.filtered(skip={"cluster", "key"} if key_here else {"cluster"}).order_by()
        links = RoleQualification.objects.filter(
            qualification__in=base.values("pk"),
            role__cluster_links__cluster__scheme=self.finder.scheme,
        )
        if key_here:
            links = links.filter(is_key=True)
        chosen_clusters = list(self.finder.value("cluster") or [])
        chosen_ids = {c.pk for c in chosen_clusters}
        # Every cluster's count, grouped by its id alone (narrow enough to sort in memory
        # at any scale); then the names of those that can make the ten, ties at the cut
        # included, to break ties by name. Two queries.
        counts = dict(
            links.values_list("role__cluster_links__cluster")
            .annotate(n=Count("qualification", distinct=True))
            .order_by()
        )
        ranked = sorted((n for pk, n in counts.items() if pk not in chosen_ids), reverse=True)
        cut = ranked[TOP_CLUSTERS - 1] if len(ranked) >= TOP_CLUSTERS else 1
        contenders = Cluster.objects.filter(
            pk__in=[pk for pk, n in counts.items() if n >= cut and pk not in chosen_ids],
        ).only("slug", "name")
        best = sorted(contenders, key=lambda c: (-counts[c.pk], c.name))[:TOP_CLUSTERS]
        options = [
            Option(c.slug, c.name, counts.get(c.pk, 0), True)
            for c in sorted(chosen_clusters, key=lambda c: c.name)
        ]
        options += [Option(c.slug, c.name, counts[c.pk], False) for c in best]
        return Facet(
            "cluster",
            "Cluster",
            "checkboxes",
            options,
            hint=f"{hint} The clusters with the most results.",
            extra={**extra, "scheme": self.finder.scheme},
        )

    def _role_facet(self, valid: bool) -> Facet:
        # Values in error are not looked up: they may not even be storable (a NUL byte).
        chosen = "" if "role" in self.finder.form.errors else self.finder.data.get("role") or ""
        clusters = [] if "cluster" in self.finder.form.errors else self._chosen("cluster")
        candidates = Q(slug=chosen) if chosen else Q(pk__in=[])
        if clusters and self.finder.scheme is not None:
            in_clusters = RoleCluster.objects.filter(
                cluster__scheme=self.finder.scheme,
                cluster__slug__in=clusters,
            ).values("role_id")
            candidates |= Q(pk__in=in_clusters) & current_role()
        hint = "Choose a cluster to choose one of its roles."
        if not chosen and not clusters:
            return Facet("role", "Role", "select", [], hint=hint, empty_label="Any role")
        roles = Role.objects.filter(candidates).order_by("title")
        if valid:
            base = self.finder.filtered(skip={"role", "key"}).order_by()
            condition = Q(qualification_links__qualification__in=base.values("pk"))
            if self.finder.key_only:
                condition &= Q(qualification_links__is_key=True)
            roles = roles.annotate(n=Count("qualification_links", filter=condition))
        return Facet(
            "role",
            "Role",
            "select",
            [Option(r.slug, r.title, r.n if valid else None, r.slug == chosen) for r in roles],
            hint="" if clusters else hint,
            empty_label="Any role",
        )

    def _area_facet(self, valid: bool) -> Facet:
        counts: dict = {}
        if valid and self.finder.framework is not None:
            # Counted from the coverage summary's side, grouped by area, over the mapped
            # results only: one pass over the results' summary rows instead of a test per
            # result and area (benchmarks/plans/pages-finder.txt). Under any
            # element (the rule covers_area applies), a summary row covers its area; under
            # guaranteed coverage, when a mandatory module or the qualification judged it.
            judged = (
                Q()
                if self.finder.mode == Mode.POSSIBLE
                else Q(whole_guaranteed=True) | Q(elements_guaranteed__gt=0)
            )
            results = self.finder.qs.order_by().filter(coverage.is_mapped(self.finder.framework))
            by_area = dict(
                QualificationCoverage.objects.filter(
                    judged,
                    framework=self.finder.framework,
                    area__in=[a.id for a in self.finder.areas],
                    qualification__in=results.values("pk"),
                )
                .values_list("area")
                .annotate(n=Count("qualification"))
                .order_by()
            )
            counts = {f"area_{a.number}": by_area.get(a.id, 0) for a in self.finder.areas}
        chosen = self._chosen("area")
        name = self.finder.framework.name if self.finder.framework else "the framework"
        return Facet(
            "area",
            f"Areas covered ({name})",
            "checkboxes",
            [
                Option(
                    str(a.number),
                    f"{a.number}. {a.title}",
                    counts.get(f"area_{a.number}") if valid else None,
                    str(a.number) in chosen,
                )
                for a in self.finder.areas
            ],
            hint="Mapped qualifications covering every area you tick.",
        )

    def _coverage_facet(self) -> Facet:
        chosen = self.finder.data.get("coverage") or Mode.POSSIBLE.value
        return Facet(
            "coverage",
            "Count an area as covered when",
            "radios",
            [
                Option(
                    Mode.POSSIBLE.value,
                    "any module covers it (possible coverage)",
                    None,
                    chosen == Mode.POSSIBLE.value,
                ),
                Option(
                    Mode.GUARANTEED.value,
                    "a mandatory module covers it (guaranteed coverage)",
                    None,
                    chosen == Mode.GUARANTEED.value,
                ),
            ],
            hint="The qualification's own judgements count either way.",
        )

    def _region_facet(self, valid: bool) -> Facet:
        all_regions = list(Region.objects.order_by("order", "name"))
        counts: dict = {}
        if valid:
            # One pass over the results' regions, read with them from the facets index.
            counts = (
                self.finder.filtered(skip={"region"})
                .order_by()
                .aggregate(
                    **{f"region_{r.pk}": Count("pk", filter=regions.offered_in([r])) for r in all_regions}
                )
            )
        chosen = self._chosen("region")
        return Facet(
            "region",
            "Offered in region",
            "checkboxes",
            [
                Option(r.slug, r.name, counts.get(f"region_{r.pk}", 0) if valid else None, r.slug in chosen)
                for r in all_regions
            ],
        )
