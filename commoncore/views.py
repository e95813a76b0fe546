"""Public pages of the frameworks modules are mapped against."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from commoncore import coverage
from commoncore.models import Area, Element, Framework
from iqf.lib.pagecache import cached_page


@require_safe
@cached_page
def framework(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """A framework's areas (and elements), with how many mapped qualifications cover each."""
    frameworks = list(Framework.objects.order_by("-is_default", "name"))
    chosen = (
        get_object_or_404(Framework, slug=slug)
        if slug
        else next((f for f in frameworks if f.is_default), None)
    )
    if chosen is None:
        return render(request, "commoncore/framework.html", {"frameworks": frameworks})
    areas = list(
        Area.objects.filter(framework=chosen)
        .order_by("number")
        .prefetch_related(Prefetch("elements", queryset=Element.objects.order_by("kind", "order")))
    )
    infos = coverage.areas_of(chosen)
    mapped, by_area = coverage.mapped_counts_by_area(chosen, infos)
    rows = [{"area": area, "count": by_area[area.number]} for area in areas]
    return render(
        request,
        "commoncore/framework.html",
        {
            "frameworks": frameworks,
            "framework": chosen,
            "rows": rows,
            "mapped": mapped,
            "crumbs": [(chosen.name, None)],
        },
    )
