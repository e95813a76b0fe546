"""The mapping workflow's admin pages: a qualification's grids, the grid itself, the
moderation queue, a grid under moderation, and mappers' policies. Every change goes
through ``commoncore.services``; these views only read forms and show results."""

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from commoncore import services
from commoncore.grid import GridInputError, build_grid
from commoncore.models import (
    Basis,
    EventKind,
    Framework,
    MappingReview,
    ModerationPolicy,
    PolicyMode,
    ReviewEvent,
    ReviewStatus,
)
from qualifications.models import Qualification


def _can_view(request: HttpRequest) -> bool:
    return request.user.has_perm("commoncore.view_mappingreview")


def _context(site: AdminSite, request: HttpRequest, title: str, **extra) -> dict:
    return {**site.each_context(request), "title": title, "opts": MappingReview._meta, **extra}


def _version(request: HttpRequest) -> int | None:
    text = request.POST.get("version", "")
    if text == "":
        return None
    # ASCII digits only: isdigit() also accepts "²", which int() refuses (a 500).
    if not (text.isascii() and text.isdecimal()):
        raise GridInputError("The form's version is not a number; reload the page.")
    return int(text)


def _events(qualification_id: int, framework_id: int):
    """The latest events of every round of this qualification's grid for the framework."""
    return list(
        ReviewEvent.objects.filter(Q(review__qualification=qualification_id, review__framework=framework_id))
        .select_related("actor", "review")
        .order_by("-at", "-id")[:50]
    )


def _published(qualification: Qualification, framework: Framework) -> MappingReview | None:
    """The round whose judgements are public now, if any."""
    return (
        MappingReview.objects.published()
        .filter(qualification=qualification, framework=framework)
        .select_related("mapped_by", "moderated_by")
        .order_by("-round")
        .first()
    )


def grids_of_qualification(site: AdminSite, request: HttpRequest, qualification_id: int):
    """The frameworks a qualification can be mapped against, with each grid's state."""
    if not _can_view(request):
        raise PermissionDenied
    qualification = get_object_or_404(Qualification, pk=qualification_id)
    frameworks = list(Framework.objects.all())
    reviews = {}
    for review in (
        MappingReview.objects.filter(qualification=qualification)
        .select_related("mapped_by", "moderated_by")
        .order_by("round")
    ):
        reviews[review.framework_id] = review  # the latest round wins
    rows = [(framework, reviews.get(framework.pk)) for framework in frameworks]
    return TemplateResponse(
        request,
        "admin/commoncore/grids.html",
        _context(
            site,
            request,
            f"Common Core mapping of {qualification.ref}",
            qualification=qualification,
            rows=rows,
        ),
    )


def grid(site: AdminSite, request: HttpRequest, qualification_id: int, framework_slug: str):
    """A mapper's grid: shows the grid in progress (or the public state when none is),
    saves drafts and submits."""
    if not _can_view(request):
        raise PermissionDenied
    qualification = get_object_or_404(Qualification, pk=qualification_id)
    framework = get_object_or_404(Framework, slug=framework_slug)
    the_grid = build_grid(qualification, framework)
    review = the_grid.review
    user = request.user
    editable = services.can_map(user) and (
        review is None or (review.mapped_by_id in (None, user.pk) and review.status in services.EDITABLE)
    )
    confirm_needed = False
    if request.method == "POST":
        if not services.can_map(user):
            raise PermissionDenied
        try:
            marks = the_grid.marks_from_post(request.POST)
            version = _version(request)
        except GridInputError as error:
            return HttpResponseBadRequest(str(error))
        submitting = "_submit" in request.POST
        try:
            review = services.review_save_draft(
                qualification=qualification, framework=framework, user=user, marks=marks, version=version
            )
            the_grid = build_grid(qualification, framework, review)
            if submitting and the_grid.empty_rows and not request.POST.get("confirm_incomplete"):
                confirm_needed = True
                messages.warning(
                    request,
                    "The draft is saved but not submitted: confirm below "
                    "that the rows without a tick cover no area.",
                )
            elif submitting:
                review = services.review_submit(review=review, user=user, version=review.version)
                messages.success(request, _submitted_message(review))
                return redirect(request.path)
            else:
                messages.success(
                    request, "Draft saved. Nothing is public until the grid is submitted and approved."
                )
                return redirect(request.path)
        except services.MappingError as error:
            messages.error(request, str(error))
            return redirect(request.path)
    return TemplateResponse(
        request,
        "admin/commoncore/grid.html",
        _context(
            site,
            request,
            f"{qualification.ref}: {framework}",
            grid=the_grid,
            review=review,
            editable=editable,
            confirm_needed=confirm_needed,
            bases=Basis.choices,
            events=_events(qualification.pk, framework.pk),
            published=_published(qualification, framework),
            qualification=qualification,
            framework=framework,
            moderating=False,
            can_moderate=review is not None
            and review.status == ReviewStatus.SUBMITTED
            and services.can_moderate(user)
            and review.mapped_by_id != user.pk,
        ),
    )


def _submitted_message(review: MappingReview) -> str:
    if review.status == ReviewStatus.ACCEPTED:
        return (
            f"Submitted. The grid was not drawn in your {review.sample_rate} % sample, so "
            "it was accepted without moderation and is now public."
        )
    return "Submitted for moderation. A moderator other than you will approve or return it."


def moderate(site: AdminSite, request: HttpRequest, review_id: int):
    """A grid under moderation: what changed against the public state, and the decision."""
    if not _can_view(request):
        raise PermissionDenied
    review = get_object_or_404(
        MappingReview.objects.select_related("qualification", "framework", "mapped_by", "moderated_by"),
        pk=review_id,
    )
    user = request.user
    if request.method == "POST":
        if not services.can_moderate(user):
            raise PermissionDenied
        try:
            version = _version(request)
        except GridInputError as error:
            return HttpResponseBadRequest(str(error))
        if version is None:
            return HttpResponseBadRequest("The form has no version; reload the page.")
        try:
            if "_approve" in request.POST:
                services.review_approve(review=review, moderator=user, version=version)
                messages.success(request, f"Approved {review}: its judgements are now public.")
            elif "_return" in request.POST:
                services.review_return(
                    review=review, moderator=user, version=version, reason=request.POST.get("reason", "")
                )
                messages.success(request, f"Returned {review} to {review.mapped_by}.")
            else:
                return HttpResponseBadRequest("Choose approve or return.")
        except services.MappingError as error:
            messages.error(request, str(error))
            return redirect(request.path)
        return redirect(reverse("admin:commoncore_queue"))
    the_grid = build_grid(review.qualification, review.framework, review)
    return TemplateResponse(
        request,
        "admin/commoncore/grid.html",
        _context(
            site,
            request,
            f"Moderate {review.qualification.ref}: {review.framework}",
            grid=the_grid,
            review=review,
            editable=False,
            confirm_needed=False,
            bases=Basis.choices,
            events=_events(review.qualification_id, review.framework_id),
            published=_published(review.qualification, review.framework),
            qualification=review.qualification,
            framework=review.framework,
            moderating=True,
            can_moderate=review.status == ReviewStatus.SUBMITTED
            and services.can_moderate(user)
            and review.mapped_by_id != user.pk,
            own_grid=review.mapped_by_id == user.pk,
        ),
    )


def queue(site: AdminSite, request: HttpRequest):
    """Submitted grids, oldest first; and the grids in progress of the person looking."""
    if not _can_view(request):
        raise PermissionDenied
    waiting = list(
        MappingReview.objects.filter(status=ReviewStatus.SUBMITTED)
        .select_related("qualification", "framework", "mapped_by")
        .annotate(modules=Count("qualification__memberships"))
        .order_by("submitted_at", "id")[:500]
    )
    mine = list(
        MappingReview.objects.filter(mapped_by=request.user.pk, status__in=services.EDITABLE)
        .select_related("qualification", "framework")
        .order_by("-updated_at")[:200]
    )
    now = timezone.now()
    return TemplateResponse(
        request,
        "admin/commoncore/queue.html",
        _context(
            site,
            request,
            "Moderation queue",
            waiting=waiting,
            mine=mine,
            now=now,
            can_moderate=services.can_moderate(request.user),
        ),
    )


def mappers(site: AdminSite, request: HttpRequest):
    """Each mapper's moderation policy beside their agreement rate; moderators set policies."""
    if not request.user.has_perm("commoncore.view_moderationpolicy"):
        raise PermissionDenied
    user_model = get_user_model()
    people = list(
        user_model.objects.filter(is_active=True)
        .filter(Q(groups__permissions__codename="map_review") | Q(user_permissions__codename="map_review"))
        .distinct()
        .order_by("username")
    )
    if request.method == "POST":
        if not services.can_moderate(request.user):
            raise PermissionDenied
        mapper = next((p for p in people if str(p.pk) == request.POST.get("mapper")), None)
        if mapper is None:
            return HttpResponseBadRequest("No such mapper.")
        mode = request.POST.get("mode", "")
        rate_text = request.POST.get("sample_rate", "").strip()
        if rate_text and not (rate_text.isascii() and rate_text.isdecimal()):
            messages.error(request, f"{rate_text!r} is not a whole percentage.")
            return redirect(request.path)
        try:
            services.policy_set(
                mapper=mapper,
                moderator=request.user,
                mode=mode,
                sample_rate=int(rate_text) if rate_text else None,
                note=request.POST.get("note", "").strip(),
            )
        except services.MappingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Policy for {mapper} set.")
        return redirect(request.path)
    policies = {
        p.mapper_id: p for p in ModerationPolicy.objects.filter(mapper__in=people).select_related("set_by")
    }
    rates = services.agreement_rates([p.pk for p in people])
    rows = [(person, policies.get(person.pk), rates.get(person.pk)) for person in people]
    recent_changes = list(
        ReviewEvent.objects.filter(kind=EventKind.POLICY_CHANGE).select_related("actor", "mapper")[:20]
    )
    return TemplateResponse(
        request,
        "admin/commoncore/mappers.html",
        _context(
            site,
            request,
            "Mappers and moderation policies",
            rows=rows,
            modes=PolicyMode.choices,
            can_moderate=services.can_moderate(request.user),
            recent_changes=recent_changes,
            recent=services.RECENT_DECISIONS,
        ),
    )


def as_view(site: AdminSite, view):
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return view(site, request, *args, **kwargs)

    return site.admin_view(wrapped)
