"""The public filters: the qualification finder's search and facets, the provider directory.

Query-string values are codes and slugs, never database ids: ``level=E``/``1``…``8``,
``type`` and ``awarding_body`` by name, ``cluster`` and ``scheme`` by slug, ``role`` by
slug, ``area`` by number (of ``framework``, by slug; the default framework otherwise),
``region`` by slug, ``key=yes``, ``status=current|withdrawn|superseded`` (current only
when absent), ``coverage=possible|guaranteed``, ``sort=title|level``. An unknown value is a
form error, which the views turn into a 400 page showing it.

Within a facet the values ticked are alternatives (any of them); facets combine (all of
them). Areas are the exception: a qualification must cover every area ticked, which is
what someone looking for "safeguarding and transitions" means. Each facet value shows how
many results it would give, counted over the results of the other facets. Level, status,
type and key-ness are counted together: one grouped query over every other filter gives
a small table of counts by (level, status, type, key) from which each of those facets,
and the number of results, is summed in Python. The other facets take one grouped query
each, and the cluster facet offers only the clusters with the most results (and those
chosen): a scheme can have a thousand clusters, which the clusters pages list in full.
"""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

import django_filters
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.http import QueryDict
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from commoncore import coverage
from commoncore.coverage import AreaInfo, Mode
from commoncore.models import Framework, QualificationCoverage
from iqf.lib.idset import InIds
from iqf.lib.levels import Level, level_code, parse_level
from qualifications import regions
from qualifications.models import (
    AwardingBody,
    Provider,
    Qualification,
    QualificationModule,
    QualificationType,
    Region,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification

LEVEL_CHOICES = [(level_code(value), label) for value, label in Level.choices]
DEFAULT_STATUS = Qualification.Status.CURRENT
SORTS = [("title", "Title"), ("level", "Level, lowest first")]
MAX_SEARCH_TERMS = 10
TOP_CLUSTERS = 10  # cluster facet: the clusters with the most results, then "browse all"
CELL_FACETS = ("level", "status", "type", "key")  # counted together, from one grouped query
UNCOUNTED = ("page", "sort")  # choices the facet counts do not depend on


def _invalid(what: str) -> dict[str, str]:
    """Error messages for a choice field, naming what was expected."""
    return {
        "invalid_choice": f"“%(value)s” is not {what}",
        "invalid_list": f"Choose {what}",
    }


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
        return format_html_join("\n", '<option value="{}"{}>{}{}</option>', (
            (option.value, selected if option.selected else "", option.label,
             "" if option.count is None else f" ({intcomma(option.count)})")
            for option in self.options
        ))


@dataclass(frozen=True)
class Cell:
    """How many qualifications under every filter but level, status, type and key have
    this level, status, type and key-ness."""

    level: int | None
    status: str
    type_id: int | None
    is_key: bool
    n: int


class QualificationFilter(django_filters.FilterSet):
    """Search and facets over qualifications; ``self.framework``, ``self.areas`` and
    ``self.scheme`` are the framework and cluster scheme the query string chose."""

    q = django_filters.CharFilter(
        method="filter_search", max_length=200, label="Search",
        error_messages={"max_length": "Search for at most %(limit_value)d characters"},
    )
    key = django_filters.ChoiceFilter(
        method="filter_key", choices=[("yes", "Key qualifications only"), ("no", "All")],
        error_messages=_invalid("yes or no (key qualifications only)"),
    )
    level = django_filters.MultipleChoiceFilter(
        method="filter_level", choices=LEVEL_CHOICES, error_messages=_invalid("a level: E, 1 to 8"),
    )
    status = django_filters.MultipleChoiceFilter(
        method="filter_status", choices=Qualification.Status.choices,
        error_messages=_invalid("a status: current, withdrawn or superseded"),
    )
    type = django_filters.ModelMultipleChoiceFilter(
        method="filter_type", queryset=QualificationType.objects.all(), to_field_name="name",
        error_messages=_invalid("a qualification type"),
    )
    awarding_body = django_filters.ModelChoiceFilter(
        method="filter_awarding_body", queryset=AwardingBody.objects.all(), to_field_name="name",
        error_messages={"invalid_choice": "There is no awarding body of that name"},
    )
    scheme = django_filters.ChoiceFilter(
        method="filter_nothing", error_messages=_invalid("a cluster scheme"),
    )
    cluster = django_filters.ModelMultipleChoiceFilter(
        method="filter_cluster", queryset=Cluster.objects.none(), to_field_name="slug",
        error_messages=_invalid("a cluster of the chosen scheme"),
    )
    role = django_filters.ModelChoiceFilter(
        method="filter_role", queryset=Role.objects.all(), to_field_name="slug",
        error_messages={"invalid_choice": "There is no role with that link name"},
    )
    framework = django_filters.ChoiceFilter(
        method="filter_nothing", error_messages=_invalid("a framework"),
    )
    area = django_filters.MultipleChoiceFilter(
        method="filter_area", error_messages=_invalid("an area number of the framework"),
    )
    coverage = django_filters.ChoiceFilter(
        method="filter_nothing",
        choices=[(Mode.POSSIBLE.value, "Possible"), (Mode.GUARANTEED.value, "Guaranteed")],
        error_messages=_invalid("possible or guaranteed"),
    )
    region = django_filters.ModelMultipleChoiceFilter(
        method="filter_region", queryset=Region.objects.all(), to_field_name="slug",
        error_messages=_invalid("an English region"),
    )
    sort = django_filters.ChoiceFilter(
        method="filter_nothing", choices=SORTS, error_messages=_invalid("title or level"),
    )

    class Meta:
        model = Qualification
        fields: list[str] = []

    def __init__(self, data: QueryDict | None = None, queryset: QuerySet | None = None, **kwargs):
        if data is not None and not data.getlist("status"):
            data = data.copy()
            data.setlist("status", [DEFAULT_STATUS])
        super().__init__(data, queryset, **kwargs)
        self._search_matches: dict[tuple[str, ...], InIds] = {}
        raw = self.data
        # Schemes and frameworks are a handful of rows: one query each, reused below.
        self.schemes = list(ClusterScheme.objects.order_by("-is_default", "name"))
        self.filters["scheme"].extra["choices"] = [(s.slug, s.name) for s in self.schemes]
        self.scheme = (next((s for s in self.schemes if s.slug == raw.get("scheme")), None)
                       or next((s for s in self.schemes if s.is_default), None))
        self.filters["cluster"].queryset = Cluster.objects.filter(scheme=self.scheme)
        self.frameworks = list(Framework.objects.order_by("-is_default", "name"))
        self.filters["framework"].extra["choices"] = [(f.slug, f.name) for f in self.frameworks]
        self.framework = (next((f for f in self.frameworks if f.slug == raw.get("framework")), None)
                          or next((f for f in self.frameworks if f.is_default), None))
        self.areas: list[AreaInfo] = coverage.areas_of(self.framework) if self.framework else []
        self.filters["area"].extra["choices"] = [(str(a.number), a.title) for a in self.areas]

    # -- the values chosen ---------------------------------------------------------

    def value(self, name: str):
        """The cleaned value of a filter (call only once the form is valid)."""
        return self.form.cleaned_data.get(name)

    @property
    def mode(self) -> Mode:
        return Mode(self.value("coverage") or Mode.POSSIBLE)

    @property
    def key_only(self) -> bool:
        return self.value("key") == "yes"

    # -- filtering -----------------------------------------------------------------

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return self.ordered(self.filtered(queryset))

    def filtered(self, queryset: QuerySet | None = None, *, skip: Collection[str] = ()) -> QuerySet:
        """The queryset under every filter but those named in ``skip`` (for facet counts)."""
        queryset = self.queryset.all() if queryset is None else queryset
        for name, value in self.form.cleaned_data.items():
            if name not in skip:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def ordered(self, queryset: QuerySet) -> QuerySet:
        if self.value("sort") == "level":
            return queryset.order_by(F("level").asc(nulls_last=True), "title", "ref")
        return queryset.order_by("title", "ref")

    def filter_nothing(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Parameters that shape other filters (scheme, framework, coverage) or the order.
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        terms = value.split()[:MAX_SEARCH_TERMS]
        if not terms:
            return queryset
        return queryset.filter(self.search_matches(tuple(terms)))

    def search_matches(self, terms: tuple[str, ...]) -> InIds:
        """Being one of the qualifications in which every term appears in the title, the
        reference or a module's title. Their ids are found in one query, made once for the
        results and all the facet counts, which then name the ids rather than search again
        each. Each term's matches are a union of two lookups the trigram indexes serve on
        PostgreSQL (qualifications 0008), not one condition OR-ed over every qualification."""
        found = self._search_matches.get(terms)
        if found is None:
            matches = Qualification.objects.order_by()
            for term in terms:
                named = Qualification.objects.order_by().filter(
                    Q(title__icontains=term) | Q(ref__icontains=term)).values("pk")
                in_module = QualificationModule.objects.order_by().filter(
                    module__title__icontains=term).values("qualification_id")
                matches = matches.filter(pk__in=named.union(in_module))
            found = self._search_matches[terms] = InIds("pk", matches.values_list("pk", flat=True))
        return found

    def _passes(self, facet: str, value) -> Q:
        """What the chosen ``value`` of one of CELL_FACETS asks of a qualification: its
        filter, and the test :meth:`_near_miss` combines."""
        if facet == "level":
            return Q(level__in=[parse_level(code) for code in value])
        if facet == "status":
            return Q(status__in=value)
        if facet == "type":
            return Q(qualification_type__in=value)
        if self.key_for_any_role:
            return Q(key_for_a_role=True)
        return Q(pk__in=self.key_links())

    def filter_level(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(self._passes("level", value))

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(self._passes("status", value))

    # An empty model multiple choice is an empty QuerySet, which the method wrapper passes on.

    def filter_type(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(self._passes("type", value))

    def filter_awarding_body(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(awarding_body=value)

    def filter_cluster(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # A cluster's qualifications: linked, key or not, to any role in it (DESIGN.md §4).
        if not value:
            return queryset
        links = RoleQualification.objects.filter(role__cluster_links__cluster__in=value)
        return queryset.filter(pk__in=links.values("qualification_id"))

    def filter_role(self, queryset: QuerySet, name: str, value: Role) -> QuerySet:
        links = RoleQualification.objects.filter(role=value)
        return queryset.filter(pk__in=links.values("qualification_id"))

    @property
    def key_for_any_role(self) -> bool:
        """Whether "key" means key for any role (no role or cluster chosen): then the
        qualification's own flag says it (``roles.keys``)."""
        return not self.value("role") and not self.value("cluster")

    def key_links(self) -> QuerySet:
        """The ids of the qualifications that count as key: for the chosen role; else for
        a role of the chosen clusters; else for any role."""
        links = RoleQualification.objects.filter(is_key=True)
        if self.value("role"):
            links = links.filter(role=self.value("role"))
        elif self.value("cluster"):
            links = links.filter(role__cluster_links__cluster__in=self.value("cluster"))
        return links.values("qualification_id")

    def filter_key(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value != "yes":
            return queryset
        return queryset.filter(self._passes("key", value))

    def filter_area(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # Only mapped qualifications count as covering an area (DESIGN.md §4).
        by_number = {str(a.number): a for a in self.areas}
        queryset = queryset.filter(coverage.is_mapped(self.framework))
        for number in value:
            queryset = queryset.filter(coverage.covers_area(by_number[number].id, mode=self.mode))
        return queryset

    def filter_region(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Offered by a provider of the region that is not archived (regions.offered_in).
        if not value:
            return queryset
        return queryset.filter(regions.offered_in(value))

    # -- facets --------------------------------------------------------------------

    def facets(self) -> list[Facet]:
        """The facets with their options; with counts when the form is valid, without them
        (and with each facet's error) when it is not. The number of results is then
        :attr:`count`, summed from the same counts."""
        valid = self.is_valid()
        errors = {name: " ".join(messages) for name, messages in self.form.errors.items()}
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

    def counting_key(self) -> tuple:
        """What the facet counts depend on: every choice but the page and the order."""
        return tuple(sorted((name, tuple(values)) for name, values in self.data.lists()
                            if name not in UNCOUNTED))

    def _chosen(self, name: str) -> list[str]:
        return self.data.getlist(name)

    # -- level, status, type and key: one grouped query ---------------------------

    def cells(self) -> list[Cell]:
        """Counts by (level, status, type, key) under every other filter (one query).

        Key for any role is the qualification's own flag; key for the chosen role or
        clusters, an uncorrelated ``IN`` over their key links (hashed once by the
        database), not a lookup per qualification. Only qualifications that fail at most
        one of the level, status, type and key choices are counted: one failing two of
        them is left out of every facet's tally (each tally sets aside one choice only),
        and leaving it out of the scan spares reading most of the table when two or more
        of those facets are chosen."""
        key = (F("key_for_a_role") if self.key_for_any_role
               else Case(When(pk__in=self.key_links(), then=Value(True)), default=Value(False),
                         output_field=BooleanField()))
        rows = (
            self.filtered(skip=CELL_FACETS).filter(self._near_miss())
            .order_by()
            .annotate(is_key=key)
            .values_list("level", "status", "qualification_type", "is_key")
            .annotate(n=Count("pk"))
        )
        return [Cell(*row) for row in rows]

    def _near_miss(self) -> Q:
        """Passes every chosen level, status, type and key filter but at most one."""
        chosen = [name for name in CELL_FACETS if name != "key" and self.value(name)]
        chosen += ["key"] if self.key_only else []
        if len(chosen) < 2:
            return Q()
        tests = {name: self._passes(name, self.value(name)) for name in chosen}
        near = Q()
        for missed in chosen:
            others = Q()
            for name in chosen:
                if name != missed:
                    others &= tests[name]
            near |= others
        return near

    def _tally(self, cells: list[Cell], facet: str) -> Counter:
        """Sums the cells that pass the chosen level, status, type and key, except the
        facet's own choice, by that facet's value (``"count"``: every choice, one total)."""
        levels = {parse_level(code) for code in self.value("level") or []}
        statuses = set(self.value("status") or [])
        types = {t.pk for t in self.value("type") or []}
        totals: Counter = Counter()
        for cell in cells:
            if facet != "level" and levels and cell.level not in levels:
                continue
            if facet != "status" and statuses and cell.status not in statuses:
                continue
            if facet != "type" and types and cell.type_id not in types:
                continue
            if facet != "key" and self.key_only and not cell.is_key:
                continue
            value = {"level": cell.level, "status": cell.status, "type": cell.type_id,
                     "key": cell.is_key, "count": "count"}[facet]
            totals[value] += cell.n
        return totals

    def _key_facet(self, valid: bool, cells: list[Cell]) -> Facet:
        count = self._tally(cells, "key").get(True, 0) if valid else None
        scope = ("the chosen role" if self._chosen("role") and self._chosen("role")[0]
                 else "a role of the chosen clusters" if self._chosen("cluster") else "a role")
        return Facet("key", "Key qualifications", "checkboxes", [
            Option("yes", f"Only those key for {scope}", count, self.data.get("key") == "yes"),
        ], hint="Key: nationally available, approved, required to practise, or mandatory training.")

    def _level_facet(self, valid: bool, cells: list[Cell]) -> Facet:
        counts = self._tally(cells, "level")
        chosen = self._chosen("level")
        return Facet("level", "Level", "checkboxes", [
            Option(code, label, counts.get(parse_level(code), 0) if valid else None, code in chosen)
            for code, label in LEVEL_CHOICES
        ])

    def _status_facet(self, valid: bool, cells: list[Cell]) -> Facet:
        counts = self._tally(cells, "status")
        chosen = self._chosen("status")
        return Facet("status", "Status", "checkboxes", [
            Option(value, label, counts.get(value, 0) if valid else None, value in chosen)
            for value, label in Qualification.Status.choices
        ], hint="Current qualifications only, unless you tick others.")

    def _type_facet(self, valid: bool, cells: list[Cell]) -> Facet:
        counts = self._tally(cells, "type")
        chosen = self._chosen("type")
        return Facet("type", "Type", "checkboxes", [
            Option(t.name, t.name, counts.get(t.pk, 0) if valid else None, t.name in chosen)
            for t in QualificationType.objects.order_by("name")
        ])

    # -- the other facets: one grouped query each ---------------------------------

    def _awarding_body_facet(self, valid: bool) -> Facet:
        chosen = self.data.get("awarding_body") or ""
        if not valid:
            return Facet("awarding_body", "Awarding body", "select", [
                Option(b.name, b.name, None, b.name == chosen)
                for b in AwardingBody.objects.order_by("name")
            ], empty_label="Any awarding body")
        # Long list: only the bodies with results (and the one chosen) are offered.
        counts = dict(
            self.filtered(skip={"awarding_body"}).order_by()
            .filter(awarding_body__isnull=False)
            .values_list("awarding_body__name").annotate(n=Count("pk"))
        )
        if self.value("awarding_body") is not None:
            counts.setdefault(self.value("awarding_body").name, 0)
        return Facet("awarding_body", "Awarding body", "select", [
            Option(name, name, counts[name], name == chosen)
            for name in sorted(counts, key=str.casefold)
        ], empty_label="Any awarding body")

    def _cluster_facet(self, valid: bool) -> Facet:
        if self.scheme is None:
            return Facet("cluster", "Cluster", "checkboxes", [], hint="No clusters have been entered.")
        others = [s for s in self.schemes if s != self.scheme]
        chosen = self._chosen("cluster")
        hint = f"Roles grouped as: {self.scheme.name}."
        extra = {"other_schemes": others}
        if not valid:
            clusters = (Cluster.objects.filter(scheme=self.scheme, slug__in=chosen).order_by("name")
                        if "cluster" not in self.form.errors else [])
            return Facet("cluster", "Cluster", "checkboxes", [
                Option(c.slug, c.name, None, True) for c in clusters
            ], hint=hint, extra=extra)
        # Key-only counts key links to the cluster's roles, unless a role decides key-ness.
        key_here = self.key_only and not self.value("role")
        base = self.filtered(skip={"cluster", "key"} if key_here else {"cluster"}).order_by()
        links = RoleQualification.objects.filter(
            qualification__in=base.values("pk"), role__cluster_links__cluster__scheme=self.scheme,
        )
        if key_here:
            links = links.filter(is_key=True)
        chosen_clusters = list(self.value("cluster") or [])
        chosen_ids = {c.pk for c in chosen_clusters}
        # Every cluster's count, grouped by its id alone (narrow enough to sort in memory
        # at any scale); then the names of those that can make the ten, ties at the cut
        # included, to break ties by name. Two queries.
        counts = dict(links.values_list("role__cluster_links__cluster")
                      .annotate(n=Count("qualification", distinct=True)).order_by())
        ranked = sorted((n for pk, n in counts.items() if pk not in chosen_ids), reverse=True)
        cut = ranked[TOP_CLUSTERS - 1] if len(ranked) >= TOP_CLUSTERS else 1
        contenders = Cluster.objects.filter(
            pk__in=[pk for pk, n in counts.items() if n >= cut and pk not in chosen_ids],
        ).only("slug", "name")
        best = sorted(contenders, key=lambda c: (-counts[c.pk], c.name))[:TOP_CLUSTERS]
        options = [Option(c.slug, c.name, counts.get(c.pk, 0), True)
                   for c in sorted(chosen_clusters, key=lambda c: c.name)]
        options += [Option(c.slug, c.name, counts[c.pk], False) for c in best]
        return Facet("cluster", "Cluster", "checkboxes", options,
                     hint=f"{hint} The clusters with the most results.",
                     extra={**extra, "scheme": self.scheme})

    def _role_facet(self, valid: bool) -> Facet:
        # Values in error are not looked up: they may not even be storable (a NUL byte).
        chosen = "" if "role" in self.form.errors else self.data.get("role") or ""
        clusters = [] if "cluster" in self.form.errors else self._chosen("cluster")
        candidates = Q(slug=chosen) if chosen else Q(pk__in=[])
        if clusters and self.scheme is not None:
            in_clusters = RoleCluster.objects.filter(
                cluster__scheme=self.scheme, cluster__slug__in=clusters,
            ).values("role_id")
            candidates |= Q(pk__in=in_clusters, status=Role.Status.CURRENT)
        hint = "Choose a cluster to choose one of its roles."
        if not chosen and not clusters:
            return Facet("role", "Role", "select", [], hint=hint, empty_label="Any role")
        roles = Role.objects.filter(candidates).order_by("title")
        if valid:
            base = self.filtered(skip={"role", "key"}).order_by()
            condition = Q(qualification_links__qualification__in=base.values("pk"))
            if self.key_only:
                condition &= Q(qualification_links__is_key=True)
            roles = roles.annotate(n=Count("qualification_links", filter=condition))
        return Facet("role", "Role", "select", [
            Option(r.slug, r.title, r.n if valid else None, r.slug == chosen) for r in roles
        ], hint="" if clusters else hint, empty_label="Any role")

    def _area_facet(self, valid: bool) -> Facet:
        counts: dict = {}
        if valid and self.framework is not None:
            # Counted from the coverage summary's side, grouped by area, over the mapped
            # results only: one pass over the results' summary rows instead of a test per
            # result and area (benchmarks/plans/pages-finder.txt). Under any
            # element (the rule covers_area applies), a summary row covers its area; under
            # guaranteed coverage, when a mandatory module or the qualification judged it.
            judged = (Q() if self.mode == Mode.POSSIBLE
                      else Q(whole_guaranteed=True) | Q(elements_guaranteed__gt=0))
            results = self.qs.order_by().filter(coverage.is_mapped(self.framework))
            by_area = dict(
                QualificationCoverage.objects.filter(
                    judged, framework=self.framework, area__in=[a.id for a in self.areas],
                    qualification__in=results.values("pk"),
                ).values_list("area").annotate(n=Count("qualification")).order_by()
            )
            counts = {f"area_{a.number}": by_area.get(a.id, 0) for a in self.areas}
        chosen = self._chosen("area")
        name = self.framework.name if self.framework else "the framework"
        return Facet("area", f"Areas covered ({name})", "checkboxes", [
            Option(str(a.number), f"{a.number}. {a.title}",
                   counts.get(f"area_{a.number}") if valid else None, str(a.number) in chosen)
            for a in self.areas
        ], hint="Mapped qualifications covering every area you tick.")

    def _coverage_facet(self) -> Facet:
        chosen = self.data.get("coverage") or Mode.POSSIBLE.value
        return Facet("coverage", "Count an area as covered when", "radios", [
            Option(Mode.POSSIBLE.value, "any module covers it (possible coverage)", None,
                   chosen == Mode.POSSIBLE.value),
            Option(Mode.GUARANTEED.value, "a mandatory module covers it (guaranteed coverage)", None,
                   chosen == Mode.GUARANTEED.value),
        ], hint="The qualification's own judgements count either way.")

    def _region_facet(self, valid: bool) -> Facet:
        all_regions = list(Region.objects.order_by("order", "name"))
        counts: dict = {}
        if valid:
            # One pass over the results' regions, read with them from the facets index.
            counts = self.filtered(skip={"region"}).order_by().aggregate(**{
                f"region_{r.pk}": Count("pk", filter=regions.offered_in([r])) for r in all_regions
            })
        chosen = self._chosen("region")
        return Facet("region", "Offered in region", "checkboxes", [
            Option(r.slug, r.name, counts.get(f"region_{r.pk}", 0) if valid else None, r.slug in chosen)
            for r in all_regions
        ])


def _with_error(facet: Facet, error: str) -> Facet:
    return Facet(facet.name, facet.legend, facet.widget, facet.options, facet.hint, error,
                 facet.empty_label, facet.extra)


class ProviderFilter(django_filters.FilterSet):
    """The provider directory's region (by slug; empty: every region)."""

    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(), to_field_name="slug", empty_label="All regions",
        error_messages={"invalid_choice": "Choose one of the English regions"},
    )

    class Meta:
        model = Provider
        fields: list[str] = []
