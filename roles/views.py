"""Public pages: cluster schemes, clusters, roles and role moves.

Views read through :mod:`roles.selectors` (and :mod:`commoncore.coverage` for areas) and
build every figure a template shows; each page runs a fixed number of queries. An
unknown slug in the path is a 404; a bad query-string value is answered 400 with the
page's form and an error summary saying what was wrong.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from commoncore import coverage
from commoncore.models import Framework
from qualifications.models import Region
from roles import selectors
from roles.models import Cluster, ClusterScheme, Role


def _index_crumb() -> tuple[str, str]:
    return ("Clusters", reverse("roles:scheme-index"))


def _move_url(**params: str) -> str:
    return f"{reverse('roles:role-move')}?{urlencode(params)}"


@require_GET
def scheme_index(request: HttpRequest) -> HttpResponse:
    """The ways of grouping roles, the default first, and the default scheme's clusters."""
    schemes = selectors.schemes_with_counts()
    default = next((s for s in schemes if s.is_default), schemes[0] if schemes else None)
    return render(request, "roles/scheme_index.html", {
        "schemes": schemes,
        "default": default,
        "clusters": selectors.clusters_with_counts(default) if default else [],
        "crumbs": [("Clusters", None)],
    })


@require_GET
def scheme_detail(request: HttpRequest, scheme: str) -> HttpResponse:
    """A scheme's clusters with their role, qualification and key-qualification counts."""
    chosen = get_object_or_404(ClusterScheme, slug=scheme)
    return render(request, "roles/scheme_detail.html", {
        "scheme": chosen,
        "clusters": selectors.clusters_with_counts(chosen),
        "others": list(ClusterScheme.objects.exclude(pk=chosen.pk).order_by("-is_default", "name")),
        "crumbs": [_index_crumb(), (chosen.name, None)],
    })


@require_GET
def cluster_detail(request: HttpRequest, scheme: str, cluster: str) -> HttpResponse:
    """A cluster's current roles by level, and where the same roles sit in other schemes."""
    try:
        chosen = Cluster.objects.select_related("scheme").get(scheme__slug=scheme, slug=cluster)
    except Cluster.DoesNotExist:
        raise Http404("No cluster has this name in this scheme.") from None
    roles = selectors.roles_with_counts(chosen)
    return render(request, "roles/cluster_detail.html", {
        "cluster": chosen,
        "scheme": chosen.scheme,
        "groups": selectors.group_by_level(roles),
        "n_roles": len(roles),
        "switch": selectors.scheme_switch(chosen.scheme, [r.pk for r in roles]),
        "crumbs": [_index_crumb(),
                   (chosen.scheme.name, reverse("roles:scheme-detail", args=[chosen.scheme.slug])),
                   (chosen.name, None)],
    })


@require_GET
def role_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A role's pathway ladder, the Common Core coverage of its key qualifications and its
    gaps, nearby roles, and providers of its key qualifications (by region)."""
    role = get_object_or_404(Role, slug=slug)
    regions = list(Region.objects.all())
    region_slug = request.GET.get("region", "")
    region = next((r for r in regions if r.slug == region_slug), None)
    region_error = ""
    if region_slug and region is None:
        region_error = f"There is no region “{region_slug}”: choose one from the list"
    errors = [(region_error, "region")] if region_error else []

    framework = Framework.objects.default()
    areas = coverage.areas_of(framework)
    qualifications = selectors.role_qualifications(role, framework)
    mapped = [q.pk for q in qualifications if q.mapped]
    covered = coverage.qualification_areas(mapped, framework, areas) if mapped else {}
    key = [q for q in qualifications if q.is_key]
    matrix, gap = selectors.coverage_matrix(key, covered, areas)
    clusters = selectors.role_clusters(role)
    crumbs = [_index_crumb()]
    if clusters:
        first = clusters[0]
        crumbs.append((first.name, reverse("roles:cluster-detail",
                                           args=[first.scheme.slug, first.slug])))
    crumbs.append((role.title, None))
    context = {
        "role": role,
        "level_label": selectors.level_label(role.level),
        "archived": role.status == Role.Status.ARCHIVED,
        "framework": framework,
        "areas": areas,
        "n_qualifications": len(qualifications),
        "n_key": len(key),
        "ladder": selectors.ladder(qualifications, covered),
        "matrix": matrix,
        "gap": gap,
        "levelled": any(q.level is not None for q in qualifications),
        "level_gaps": [selectors.level_label(level)
                       for level in selectors.level_gaps(q.level for q in qualifications)],
        "clusters": clusters,
        "neighbours": selectors.neighbours(role, clusters),
        "regions": regions,
        "region": region,
        "region_slug": region_slug,
        "offerings": [] if errors else selectors.key_offerings([q.pk for q in key], region),
        "errors": errors,
        "region_error": region_error,
        "move_from": _move_url(**{"from": role.slug}),
        "move_to": _move_url(to=role.slug),
        "crumbs": crumbs,
    }
    return render(request, "roles/role_detail.html", context, status=400 if errors else 200)


def _role_choice(raw: str | None, roles: dict[str, Role], what: str, anchor: str,
                 errors: list[tuple[str, str]]) -> Role | None:
    """The role a ``from``/``to`` parameter names; absent is None (no error), empty or
    unknown adds an error."""
    if raw is None:
        return None
    if raw == "":
        errors.append((f"Choose the {what}", anchor))
        return None
    role = roles.get(raw)
    if role is None:
        errors.append((f"There is no role “{raw}”: choose the {what} from the list", anchor))
    return role


@require_GET
def role_move(request: HttpRequest) -> HttpResponse:
    """Pick a current and a target role; with both, what the move needs (DESIGN.md §4)."""
    roles = list(Role.objects.order_by("title"))
    by_slug = {r.slug: r for r in roles}
    errors: list[tuple[str, str]] = []
    current = _role_choice(request.GET.get("from"), by_slug, "current role", "current-role", errors)
    target = _role_choice(request.GET.get("to"), by_slug, "target role", "target-role", errors)
    if current is not None and current == target:
        errors.append((f"Choose two different roles: both are {current.title}", "target-role"))
    move = None
    if current is not None and target is not None and not errors:
        framework = Framework.objects.default()
        move = selectors.role_move(current, target, framework, coverage.areas_of(framework))
    return render(request, "roles/role_move.html", {
        "roles": [(r, selectors.level_label(r.level)) for r in roles],
        "current": current,
        "target": target,
        "from_slug": request.GET.get("from", ""),
        "to_slug": request.GET.get("to", ""),
        "errors": errors,
        "current_error": next((m for m, anchor in errors if anchor == "current-role"), ""),
        "target_error": next((m for m, anchor in errors if anchor == "target-role"), ""),
        "move": move,
        "crumbs": [("Role moves", None)],
    }, status=400 if errors else 200)
