"""Site-wide pages: the home page and the health check."""

from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from commoncore import coverage
from commoncore.models import Framework
from iqf.lib.pagecache import cached_page
from roles import selectors
from roles.models import ClusterScheme

HOME_CLUSTERS = 10  # the home page shows the largest clusters; the clusters pages list all


@require_safe
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    """Search, the default scheme's largest clusters (a scheme can have a thousand: the
    full, searchable list is a link away), and the Common Core at a glance."""
    scheme = ClusterScheme.objects.filter(is_default=True).annotate(n_clusters=Count("clusters")).first()
    clusters = selectors.largest_clusters(scheme, HOME_CLUSTERS) if scheme is not None else []
    framework = Framework.objects.default()
    areas = coverage.areas_of(framework)
    mapped, by_area = coverage.mapped_counts_by_area(framework, areas)
    glance = [
        {
            "area": area,
            "count": by_area[area.number],
            "percent": round(100 * by_area[area.number] / mapped) if mapped else 0,
        }
        for area in areas
    ]
    return render(
        request,
        "home.html",
        {
            "scheme": scheme,
            "clusters": clusters,
            "framework": framework,
            "mapped": mapped,
            "glance": glance,
        },
    )


@never_cache
@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """For a load balancer or process monitor: 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
