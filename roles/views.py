"""Public pages: cluster schemes, clusters, roles and role moves.

Views read through :mod:`roles.selectors` (and :mod:`commoncore.coverage` for areas) and
build every figure a template shows; each page runs a fixed number of queries. An
unknown slug in the path is a 404; a bad query-string value is answered 400 with the
page's form and an error summary saying what was wrong.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from commoncore import coverage
from commoncore.models import Framework
from iqf.lib.pagecache import cached_page
from iqf.lib.paging import page_links, page_number, paginate
from qualifications.models import Region
from roles import moves, selectors
from roles.models import Cluster, ClusterScheme, Role


def _index_crumb() -> tuple[str, str]:
    return ("Clusters", reverse("roles:scheme-index"))


def _move_url(**params: str) -> str:
    return f"{reverse('roles:role-move')}?{urlencode(params)}"


CLUSTERS_PER_PAGE = 50


def _cluster_page(request: HttpRequest, scheme: ClusterScheme, errors: list[tuple[str, str]]) -> dict:
    """A page of the scheme's clusters, searched by name (``q``), with their counts (three
    queries: the count, the page, the page's figures). A bad page number adds an error;
    a page past the last is a 404."""
    search = request.GET.get("q", "").strip()
    context: dict = {"search": search, "clusters": [], "page": None}
    if "\x00" in search:
        errors.append(("Search: type letters and words only", "q"))
        return context
    try:
        number = page_number(request.GET.get("page"))
    except ValueError as error:
        errors.append((f"Page: {error}", "clusters"))
        return context
    page = paginate(selectors.find_clusters(scheme, search), number, CLUSTERS_PER_PAGE)
    ids = [c.pk for c in page.object_list]
    context.update(
        {
            "page": page,
            "page_links": page_links(page),
            "clusters": selectors.clusters_with_counts(scheme, ids) if ids else [],
        }
    )
    return context


@require_safe
@cached_page
def scheme_index(request: HttpRequest) -> HttpResponse:
    """The ways of grouping roles, the default first, and the default scheme's clusters,
    a page at a time, searchable by name."""
    schemes = selectors.schemes_with_counts()
    default = next((s for s in schemes if s.is_default), schemes[0] if schemes else None)
    errors: list[tuple[str, str]] = []
    context = {
        "schemes": schemes,
        "default": default,
        "scheme": default,
        "errors": errors,
        "crumbs": [("Clusters", None)],
    }
    if default is not None:
        context.update(_cluster_page(request, default, errors))
    return render(request, "roles/scheme_index.html", context, status=400 if errors else 200)


@require_safe
@cached_page
def scheme_detail(request: HttpRequest, scheme: str) -> HttpResponse:
    """A scheme's clusters with their role, qualification and key-qualification counts,
    a page at a time, searchable by name."""
    chosen = get_object_or_404(ClusterScheme, slug=scheme)
    errors: list[tuple[str, str]] = []
    context = {
        "scheme": chosen,
        "errors": errors,
        "others": list(ClusterScheme.objects.exclude(pk=chosen.pk).order_by("-is_default", "name")),
        "crumbs": [_index_crumb(), (chosen.name, None)],
        **_cluster_page(request, chosen, errors),
    }
    return render(request, "roles/scheme_detail.html", context, status=400 if errors else 200)


@require_safe
@cached_page
def cluster_detail(request: HttpRequest, scheme: str, cluster: str) -> HttpResponse:
    """A cluster's current roles by level, and where the same roles sit in other schemes."""
    try:
        chosen = Cluster.objects.select_related("scheme").get(scheme__slug=scheme, slug=cluster)
    except Cluster.DoesNotExist:
        raise Http404("No cluster has this name in this scheme.") from None
    roles = selectors.roles_with_counts(chosen)
    return render(
        request,
        "roles/cluster_detail.html",
        {
            "cluster": chosen,
            "scheme": chosen.scheme,
            "groups": selectors.group_by_level(roles),
            "n_roles": len(roles),
            "switch": selectors.scheme_switch(chosen.scheme, [r.pk for r in roles]),
            "crumbs": [
                _index_crumb(),
                (chosen.scheme.name, reverse("roles:scheme-detail", args=[chosen.scheme.slug])),
                (chosen.name, None),
            ],
        },
    )


@require_safe
@cached_page
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
    mapped = [q.pk for q in qualifications if q.mapped]  # type: ignore[attr-defined]  # annotated by the query above
    covered = coverage.qualification_areas(mapped, framework, areas) if mapped else {}
    key = [q for q in qualifications if q.is_key]  # type: ignore[attr-defined]  # annotated by the query above
    matrix, gap = selectors.coverage_matrix(key, covered, areas)
    clusters = selectors.role_clusters(role)
    crumbs: list[tuple[str, str | None]] = [_index_crumb()]
    if clusters:
        first = clusters[0]
        crumbs.append((first.name, reverse("roles:cluster-detail", args=[first.scheme.slug, first.slug])))
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
        "level_gaps": [
            selectors.level_label(level) for level in selectors.level_gaps(q.level for q in qualifications)
        ],
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


MATCHES_SHOWN = 20  # a role search step lists at most this many roles


@dataclass(frozen=True)
class RoleChoice:
    """One side of a role move: the role chosen, or the roles a search matched."""

    text: str  # what the reader typed (or the chosen role's title)
    role: Role | None = None
    matches: list[tuple[Role, str, str]] = field(default_factory=list)  # role, level, link
    more: bool = False  # more roles match than are listed


def _role_choice(
    request: HttpRequest, name: str, what: str, anchor: str, errors: list[tuple[str, str]]
) -> RoleChoice:
    """The role a ``from``/``to`` parameter names: a role's link name or its exact title
    (ignoring case) chooses it; other words search titles and list the roles containing
    them all, to choose one from, each a link that keeps the other side's choice. Absent is
    no choice (no error); empty, or words no role title contains, add an error (one query,
    two when searching)."""
    raw = request.GET.get(name)
    if raw is None:
        return RoleChoice("")
    text = raw.strip()
    if text == "":
        errors.append((f"Choose the {what}", anchor))
        return RoleChoice("")
    # Lower(title) is what the unique index on titles holds, so this is an index look-up.
    role = (
        Role.objects.annotate(title_lower=Lower("title"))
        .filter(Q(slug=text) | Q(title_lower=text.lower()))
        .order_by("pk")
        .first()
    )
    if role is not None:
        return RoleChoice(role.title, role=role)
    found = Role.objects.all()
    for word in text.split()[:10]:
        found = found.filter(title__icontains=word)
    matches = list(found.order_by("title")[: MATCHES_SHOWN + 1])
    if not matches:
        errors.append(
            (f"No role title contains “{text}”: check the spelling or type fewer words of the {what}", anchor)
        )
        return RoleChoice(text)

    def choose(role: Role) -> str:
        query = request.GET.copy()
        query[name] = role.slug
        return f"?{query.urlencode()}"

    return RoleChoice(
        text,
        matches=[(r, selectors.level_label(r.level), choose(r)) for r in matches[:MATCHES_SHOWN]],
        more=len(matches) > MATCHES_SHOWN,
    )


@require_safe
@cached_page
def role_move(request: HttpRequest) -> HttpResponse:
    """Choose a current and a target role, by typing their titles (a search step lists
    the roles that match, to choose one: there are too many roles for a drop-down list);
    with both chosen, what the move needs (DESIGN.md §4)."""
    errors: list[tuple[str, str]] = []
    current = _role_choice(request, "from", "current role", "current-role", errors)
    target = _role_choice(request, "to", "target role", "target-role", errors)
    if current.role is not None and current.role == target.role:
        errors.append((f"Choose two different roles: both are {current.role.title}", "target-role"))
    move = None
    if current.role is not None and target.role is not None and not errors:
        framework = Framework.objects.default()
        move = moves.role_move(current.role, target.role, framework, coverage.areas_of(framework))
    return render(
        request,
        "roles/role_move.html",
        {
            "from_choice": current,
            "to_choice": target,
            "current": current.role,
            "target": target.role,
            "errors": errors,
            "current_error": next((m for m, anchor in errors if anchor == "current-role"), ""),
            "target_error": next((m for m, anchor in errors if anchor == "target-role"), ""),
            "move": move,
            "crumbs": [("Role moves", None)],
        },
        status=400 if errors else 200,
    )
