"""The public filters: the qualification finder's search and filters, the provider directory.

Query-string values are codes and slugs, never database ids: ``level=E``/``1``…``8``,
``type`` and ``awarding_body`` by name, ``cluster`` and ``scheme`` by slug, ``role`` by
slug, ``area`` by number (of ``framework``, by slug; the default framework otherwise),
``region`` by slug, ``key=yes``, ``status=current|withdrawn|superseded`` (current only
when absent), ``coverage=possible|guaranteed``, ``sort=title|level``. An unknown value is a
form error, which the views turn into a 400 page showing it.

Within a facet the values ticked are alternatives (any of them); facets combine (all of
them). Areas are the exception: a qualification must cover every area ticked, which is
what someone looking for "safeguarding and transitions" means. Each facet value shows how
many results it would give, counted over the results of the other facets
(:mod:`qualifications.facets`).
"""

from collections.abc import Collection

import django_filters
from django.db.models import F, Q, QuerySet
from django.http import QueryDict

from commoncore import coverage
from commoncore.coverage import AreaInfo, Mode
from commoncore.models import Framework
from iqf.lib.idset import InIds
from iqf.lib.levels import CODE_CHOICES, parse_level
from qualifications import regions
from qualifications.facets import Facet, FacetCell, FinderFacets
from qualifications.models import (
    AwardingBody,
    Provider,
    Qualification,
    QualificationModule,
    QualificationType,
    Region,
)
from roles.models import Cluster, ClusterScheme, Role, RoleQualification

DEFAULT_STATUS = Qualification.Status.CURRENT
SORTS = [("title", "Title"), ("level", "Level, lowest first")]
MAX_SEARCH_TERMS = 10
UNCOUNTED = ("page", "sort")  # choices the facet counts do not depend on


def _invalid(what: str) -> dict[str, str]:
    """Error messages for a choice field, naming what was expected."""
    return {
        "invalid_choice": f"“%(value)s” is not {what}",
        "invalid_list": f"Choose {what}",
    }


class QualificationFilter(django_filters.FilterSet):
    """Search and facets over qualifications; ``self.framework``, ``self.areas`` and
    ``self.scheme`` are the framework and cluster scheme the query string chose."""

    q = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        label="Search",
        error_messages={"max_length": "Search for at most %(limit_value)d characters"},
    )
    key = django_filters.ChoiceFilter(
        method="filter_key",
        choices=[("yes", "Key qualifications only"), ("no", "All")],
        error_messages=_invalid("yes or no (key qualifications only)"),
    )
    level = django_filters.MultipleChoiceFilter(
        method="filter_level",
        choices=CODE_CHOICES,
        error_messages=_invalid("a level: E, 1 to 8"),
    )
    status = django_filters.MultipleChoiceFilter(
        method="filter_status",
        choices=Qualification.Status.choices,
        error_messages=_invalid("a status: current, withdrawn or superseded"),
    )
    type = django_filters.ModelMultipleChoiceFilter(
        method="filter_type",
        queryset=QualificationType.objects.all(),
        to_field_name="name",
        error_messages=_invalid("a qualification type"),
    )
    awarding_body = django_filters.ModelChoiceFilter(
        method="filter_awarding_body",
        queryset=AwardingBody.objects.all(),
        to_field_name="name",
        error_messages={"invalid_choice": "There is no awarding body of that name"},
    )
    scheme = django_filters.ChoiceFilter(
        method="filter_nothing",
        error_messages=_invalid("a cluster scheme"),
    )
    cluster = django_filters.ModelMultipleChoiceFilter(
        method="filter_cluster",
        queryset=Cluster.objects.none(),
        to_field_name="slug",
        error_messages=_invalid("a cluster of the chosen scheme"),
    )
    role = django_filters.ModelChoiceFilter(
        method="filter_role",
        queryset=Role.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": "There is no role with that link name"},
    )
    framework = django_filters.ChoiceFilter(
        method="filter_nothing",
        error_messages=_invalid("a framework"),
    )
    area = django_filters.MultipleChoiceFilter(
        method="filter_area",
        error_messages=_invalid("an area number of the framework"),
    )
    coverage = django_filters.ChoiceFilter(
        method="filter_nothing",
        choices=[(Mode.POSSIBLE.value, "Possible"), (Mode.GUARANTEED.value, "Guaranteed")],
        error_messages=_invalid("possible or guaranteed"),
    )
    region = django_filters.ModelMultipleChoiceFilter(
        method="filter_region",
        queryset=Region.objects.all(),
        to_field_name="slug",
        error_messages=_invalid("an English region"),
    )
    sort = django_filters.ChoiceFilter(
        method="filter_nothing",
        choices=SORTS,
        error_messages=_invalid("title or level"),
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
        self.scheme = next((s for s in self.schemes if s.slug == raw.get("scheme")), None) or next(
            (s for s in self.schemes if s.is_default), None
        )
        self.filters["cluster"].queryset = Cluster.objects.filter(scheme=self.scheme)
        self.frameworks = list(Framework.objects.order_by("-is_default", "name"))
        self.filters["framework"].extra["choices"] = [(f.slug, f.name) for f in self.frameworks]
        self.framework = next((f for f in self.frameworks if f.slug == raw.get("framework")), None) or next(
            (f for f in self.frameworks if f.is_default), None
        )
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
                named = (
                    Qualification.objects.order_by()
                    .filter(Q(title__icontains=term) | Q(ref__icontains=term))
                    .values("pk")
                )
                in_module = (
                    QualificationModule.objects.order_by()
                    .filter(module__title__icontains=term)
                    .values("qualification_id")
                )
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

    # -- facets (qualifications.facets) ----------------------------------------------

    def facets(self) -> list[Facet]:
        """The facets with their options and counts (:class:`FinderFacets`); the number
        of results is then :attr:`count`, summed from the same counts."""
        counted = FinderFacets(self)
        found = counted.facets()
        self.count = counted.count
        return found

    def cells(self) -> list[FacetCell]:
        return FinderFacets(self).cells()

    def counting_key(self) -> tuple:
        """What the facet counts depend on: every choice but the page and the order."""
        return tuple(
            sorted((name, tuple(values)) for name, values in self.data.lists() if name not in UNCOUNTED)
        )


class ProviderFilter(django_filters.FilterSet):
    """The provider directory's region (by slug; empty: every region)."""

    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="slug",
        empty_label="All regions",
        error_messages={"invalid_choice": "Choose one of the English regions"},
    )

    class Meta:
        model = Provider
        fields: list[str] = []
