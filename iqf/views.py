"""Site-wide pages: the home page."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commoncore import coverage
from commoncore.models import Framework
from roles.models import Cluster, ClusterScheme, Role


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    scheme = ClusterScheme.objects.filter(is_default=True).first()
    clusters = []
    if scheme is not None:
        current = Q(role_links__role__status=Role.Status.CURRENT)
        clusters = list(
            Cluster.objects.filter(scheme=scheme)
            .annotate(
                n_roles=Count("role_links__role", filter=current, distinct=True),
                n_qualifications=Count(
                    "role_links__role__qualification_links__qualification",
                    filter=current, distinct=True,
                ),
            )
            .order_by("name")
        )
    framework = Framework.objects.default()
    areas = coverage.areas_of(framework)
    mapped, by_area = coverage.mapped_counts_by_area(framework, areas)
    glance = [
        {"area": area, "count": by_area[area.number],
         "percent": round(100 * by_area[area.number] / mapped) if mapped else 0}
        for area in areas
    ]
    return render(request, "home.html", {
        "scheme": scheme, "clusters": clusters, "framework": framework, "mapped": mapped,
        "glance": glance,
    })
