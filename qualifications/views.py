"""Public pages: the qualification finder, qualifications, modules and providers.

Views read through :mod:`qualifications.selectors` and :mod:`qualifications.filters` and
build every figure a template shows; each page runs a fixed number of queries. A bad
query-string value is answered 400 with the page's form showing what was wrong; a page
number past the last page, or an unknown reference, is a 404.
"""

from dataclasses import dataclass
from itertools import groupby

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from commoncore import coverage
from commoncore.models import Framework
from iqf.lib.pagecache import cached_page, remembered
from iqf.lib.paging import page_links, page_number, paginate
from qualifications import selectors
from qualifications.filters import UNCOUNTED, Facet, ProviderFilter, QualificationFilter
from qualifications.models import Module, Qualification

PROVIDERS_PER_PAGE = 10  # each provider lists its whole offer: keep a page readable

# Where each finder parameter's error summary link points (the field's first input).
FINDER_FIELDS = {
    "q": ("Search", "q"),
    "key": ("Key qualifications", "key"),
    "level": ("Level", "level"),
    "status": ("Status", "status"),
    "type": ("Type", "type"),
    "awarding_body": ("Awarding body", "awarding_body"),
    "scheme": ("Cluster scheme", "cluster"),
    "cluster": ("Cluster", "cluster"),
    "role": ("Role", "role"),
    "framework": ("Framework", "area"),
    "area": ("Areas covered", "area"),
    "coverage": ("Coverage", "coverage"),
    "region": ("Region", "region"),
    "sort": ("Sort", "sort"),
}

# How a filter in force is named in the list of filters in use.
CHOSEN_PREFIXES = {"key": "", "area": "Covers area", "region": "Offered in"}


# -- the finder ------------------------------------------------------------------------


@dataclass(frozen=True)
class FinderRow:
    qualification: Qualification
    mapped: bool
    areas_covered: int


@dataclass(frozen=True)
class Chosen:
    """A filter in force, with the link that removes it."""

    label: str
    remove_url: str


def _without(query: QueryDict, name: str, value: str | None = None) -> str:
    """The query string without ``name`` (or only without that value of it), back on page 1."""
    query = query.copy()
    query.pop("page", None)
    if value is None:
        query.pop(name, None)
    else:
        query.setlist(name, [v for v in query.getlist(name) if v != value])
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _chosen(request: HttpRequest, facets: list[Facet]) -> list[Chosen]:
    chosen = []
    if request.GET.get("q"):
        chosen.append(Chosen(f"Search: “{request.GET['q']}”", _without(request.GET, "q")))
    for facet in facets:
        if facet.name == "coverage" or (facet.name == "status" and "status" not in request.GET):
            continue
        for option in facet.selected:
            prefix = CHOSEN_PREFIXES.get(facet.name, facet.legend)
            label = f"{prefix}: {option.label}" if prefix else option.label
            chosen.append(Chosen(label, _without(request.GET, facet.name, option.value)))
    return chosen


def _errors(form_errors: dict, page_error: str) -> list[tuple[str, str]]:
    """(message, anchor) pairs for the error summary."""
    errors: list[tuple[str, str]] = []
    for name, messages in form_errors.items():
        label, anchor = FINDER_FIELDS.get(name, (name, ""))
        errors.extend((f"{label}: {message}", anchor) for message in messages)
    if page_error:
        errors.append((f"Page: {page_error}", "results"))
    return errors


@require_safe
@cached_page
def finder(request: HttpRequest) -> HttpResponse:
    """Search and filter qualifications, 20 a page, with counts for every facet value."""
    filters = QualificationFilter(request.GET, queryset=Qualification.objects.all())
    page_error = ""
    try:
        number = page_number(request.GET.get("page"))
    except ValueError as error:
        page_error = str(error)
    if filters.is_valid():
        # The counts are the same on every page and in every order: counted once a change.
        facets, filters.count = remembered(
            request, "finder-facets", filters.counting_key(), lambda: (filters.facets(), filters.count)
        )
    else:
        facets = filters.facets()
    context = {
        "filters": filters,
        "facets": {f.name: f for f in facets},
        "errors": _errors(filters.form.errors, page_error),
        "search": request.GET.get("q", ""),
        "sorts": filters.filters["sort"].extra["choices"],
        "sort": request.GET.get("sort") or "title",
        "crumbs": [("Find a qualification", None)],
    }
    if context["errors"]:
        return render(request, "qualifications/finder.html", context, status=400)

    framework = filters.framework
    page = paginate(filters.qs.with_related(), number, count=filters.count)
    ids = [q.pk for q in page.object_list]
    # Mapped and covered for the page's 20 only (an annotation would test every result).
    mapped = (
        set(
            coverage.mapped_ids(framework)
            .filter(qualification_id__in=ids)
            .values_list("qualification_id", flat=True)
        )
        if framework is not None and ids
        else set()
    )
    covered = (
        coverage.qualification_areas(ids, framework, filters.areas, mode=filters.mode)
        if framework is not None and ids
        else {}
    )
    context.update(
        {
            "page": page,
            "page_links": page_links(page),
            "results": [FinderRow(q, q.pk in mapped, len(covered.get(q.pk, ()))) for q in page.object_list],
            "total_areas": len(filters.areas),
            "chosen": _chosen(request, facets),
            "hidden_by_status": sum(
                option.count or 0 for option in context["facets"]["status"].options if not option.selected
            )
            if not page.paginator.count
            else 0,
            "filtered": any(name not in UNCOUNTED for name in request.GET if request.GET.get(name)),
        }
    )
    return render(request, "qualifications/finder.html", context)


# -- a qualification, a module ---------------------------------------------------------


def _storable(ref: str) -> str:
    """The reference, or a 404 for one no database could hold (PostgreSQL refuses NUL)."""
    if "\x00" in ref:
        raise Http404("No such reference.")
    return ref


@require_safe
@cached_page
def qualification_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """Everything recorded about a qualification, its modules and their Common Core areas."""
    framework = Framework.objects.default()
    try:
        qualification = selectors.qualification_by_ref(_storable(ref), framework)
    except Qualification.DoesNotExist:
        raise Http404("No qualification has this reference.") from None
    areas = coverage.areas_of(framework)
    prerequisites = selectors.prerequisites_of(qualification)
    return render(
        request,
        "qualifications/qualification_detail.html",
        {
            "qualification": qualification,
            "also_module": getattr(qualification, "as_module", None),
            "framework": framework,
            "areas": areas,
            "modules": selectors.modules_of(qualification, framework, areas),
            "coverage": selectors.coverage_of(qualification, framework, areas),
            "required_qualifications": [
                p.required_qualification for p in prerequisites if p.required_qualification_id
            ],
            "required_modules": [p.required_module for p in prerequisites if p.required_module_id],
            "leads_to": list(selectors.leads_to(qualification)),
            "replaced": list(selectors.replaced(qualification)),
            "roles": list(selectors.roles_of(qualification)),
            "offerings": selectors.offerings_of(qualification),
            "crumbs": [
                ("Find a qualification", reverse("qualifications:finder")),
                (qualification.title, None),
            ],
        },
    )


MEMBERSHIPS_PER_PAGE = 50  # a module can be part of a thousand qualifications


@require_safe
@cached_page
def module_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """A module: the areas it covers and the qualifications that include it, 50 a page."""
    try:
        module = selectors.module_by_ref(_storable(ref))
    except Module.DoesNotExist:
        raise Http404("No module has this reference.") from None
    errors = []
    try:
        number = page_number(request.GET.get("page"))
    except ValueError as error:
        errors.append((f"Page: {error}", "qualifications"))
        number = 1
    framework = Framework.objects.default()
    areas = coverage.areas_of(framework)
    counts = selectors.membership_counts(module)
    page = (
        paginate(selectors.memberships_of(module), number, MEMBERSHIPS_PER_PAGE, count=counts["total"])
        if not errors
        else None
    )
    memberships = selectors.membership_rows(list(page.object_list), framework) if page else []
    numbers = selectors.module_areas_of(module, framework, areas)
    return render(
        request,
        "qualifications/module_detail.html",
        {
            "module": module,
            "framework": framework,
            "counts": counts,
            "page": page,
            "page_links": page_links(page) if page else [],
            "memberships": memberships,
            "errors": errors,
            "areas": [(area, area.number in numbers) for area in areas],
            "areas_covered": len(numbers),
            # A judgement is published with a grid: a module of a mapped qualification has been
            # judged, so no area ticked means it covers none.
            "judged": bool(numbers)
            or (counts["total"] > 0 and selectors.in_a_mapped_qualification(module, framework)),
            "required_for": list(selectors.required_for(module)),
            "crumbs": [("Find a qualification", reverse("qualifications:finder")), (module.title, None)],
        },
        status=400 if errors else 200,
    )


# -- providers -------------------------------------------------------------------------


@require_safe
@cached_page
def provider_directory(request: HttpRequest) -> HttpResponse:
    """Providers by region, each with the qualifications it offers."""
    filters = ProviderFilter(request.GET, queryset=selectors.providers_for_directory())
    region_error = " ".join(filters.form.errors.get("region", []))
    errors = [(f"Region: {region_error}", "region")] if region_error else []
    try:
        number = page_number(request.GET.get("page"))
    except ValueError as error:
        errors.append((f"Page: {error}", "providers"))
    context = {
        "regions": selectors.provider_counts_by_region(),
        "chosen_region": request.GET.get("region", ""),
        "errors": errors,
        "region_error": region_error,
        "crumbs": [("Providers", None)],
    }
    if errors:
        return render(request, "qualifications/provider_directory.html", context, status=400)
    page = paginate(filters.qs, number, PROVIDERS_PER_PAGE)
    providers = selectors.with_offerings(list(page.object_list))
    context.update(
        {
            "page": page,
            "page_links": page_links(page),
            "region": filters.form.cleaned_data.get("region"),
            "groups": [
                (region, list(rows)) for region, rows in groupby(providers, key=lambda row: row[0].region)
            ],
        }
    )
    return render(request, "qualifications/provider_directory.html", context)
