"""Site-wide pages: the home page."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commoncore import coverage
from commoncore.models import Framework
from roles import selectors
from roles.models import ClusterScheme

HOME_CLUSTERS = 10  # the home page shows the largest clusters; the clusters pages list all


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Search, the default scheme's largest clusters (a scheme can have a thousand: the
    full, searchable list is a link away), and the Common Core at a glance."""
    scheme = (ClusterScheme.objects.filter(is_default=True)
              .annotate(n_clusters=Count("clusters")).first())
    clusters = selectors.largest_clusters(scheme, HOME_CLUSTERS) if scheme is not None else []
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
