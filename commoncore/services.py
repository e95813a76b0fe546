"""The mapping workflow: saving and submitting grids, moderating them, publishing their
judgements, and moderation policies. These functions are the only way a grid's status
or a published judgement changes; the admin calls them and adds nothing to the rules.

Every decision is a conditional UPDATE on the grid's status and version, so two people
acting on the same grid at once cannot both succeed, on SQLite or PostgreSQL.
"""

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.template.defaultfilters import pluralize
from django.utils import timezone

from commoncore.models import (
    OPEN_STATUSES,
    Area,
    Attribute,
    Element,
    EventKind,
    Framework,
    GridMark,
    MappingReview,
    ModerationPolicy,
    PolicyMode,
    ReviewEvent,
    ReviewStatus,
)
from iqf.lib import derived
from iqf.lib.history import delete_with_history, record_history, stamp
from qualifications.models import Qualification, QualificationModule

#: a cell: (module id, or None for the qualification as a whole; area id; element id or None)
CellKey = tuple[int | None, int, int | None]

EDITABLE = (ReviewStatus.DRAFT, ReviewStatus.RETURNED)
RECENT_DECISIONS = 20


class MappingError(Exception):
    """A workflow rule refused the action; the message says why, for the person acting."""


@dataclass(frozen=True)
class Mark:
    """A ticked cell of a grid: what the judgement was made from, and the mapper's note."""

    basis: str = ""
    note: str = ""


# -- reading ------------------------------------------------------------------------


def open_review(qualification: Qualification, framework: Framework) -> MappingReview | None:
    """The grid in progress (draft, submitted or returned) for this pair, if any."""
    return (
        MappingReview.objects.filter(
            qualification=qualification,
            framework=framework,
            status__in=OPEN_STATUSES,
        )
        .select_related("mapped_by", "moderated_by")
        .first()
    )


def published_attributes(
    qualification: Qualification, framework: Framework, module_ids
) -> dict[CellKey, Attribute]:
    """The published attributes (judgements) of the qualification and of the given
    modules."""
    attributes = Attribute.objects.filter(area__framework=framework).filter(
        Q(qualification=qualification) | Q(module_id__in=list(module_ids))
    )
    return {attribute_key(a): a for a in attributes}


def attribute_key(item: Attribute | GridMark) -> CellKey:
    module_id = item.module_id
    return (module_id, item.area_id, item.element_id)


def draw_value(seed: str, review: MappingReview) -> float:
    """The review's draw in [0, 1): the same seed and grid always give the same draw."""
    digest = hashlib.sha256(
        f"{seed}:{review.qualification_id}:{review.framework_id}:{review.round}".encode()
    ).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# -- permissions -------------------------------------------------------------------


def can_map(user) -> bool:
    return user.is_active and user.has_perm("commoncore.map_review")


def can_moderate(user) -> bool:
    return user.is_active and user.has_perm("commoncore.moderate_review")


# -- mapping -------------------------------------------------------------------------


@transaction.atomic
def review_save_draft(
    *,
    qualification: Qualification,
    framework: Framework,
    user,
    marks: Mapping[CellKey, Mark],
    version: int | None,
) -> MappingReview:
    """Store the grid's ticked cells as a draft. ``version`` is the grid's version the
    mapper's page showed (None when the page showed no grid in progress)."""
    if not can_map(user):
        raise MappingError("You do not have the right to map qualifications.")
    module_ids = list(
        QualificationModule.objects.filter(qualification=qualification).values_list("module_id", flat=True)
    )
    _check_cells(framework, set(module_ids), marks)
    review = open_review(qualification, framework)
    if review is None:
        if version is not None:
            raise MappingError(
                "This grid was decided while you were editing it. Reload the "
                "page to see its published state, then map it again."
            )
        review = _new_round(qualification, framework, user)
    else:
        _check_editable(review, user, version)
    _replace_marks(review, marks, user)
    updated = MappingReview.objects.filter(pk=review.pk, version=review.version, status__in=EDITABLE).update(
        grid_modules=module_ids, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise MappingError("The grid changed while you were saving it. Reload and try again.")
    review.refresh_from_db()
    record_history([review], kind="~", user=user, reason="Grid saved")
    return review


def _new_round(qualification, framework, user) -> MappingReview:
    last = MappingReview.objects.filter(qualification=qualification, framework=framework).aggregate(
        last=Max("round")
    )["last"]
    review = MappingReview(
        qualification=qualification,
        framework=framework,
        round=(last or 0) + 1,
        mapped_by=user,
        status=ReviewStatus.DRAFT,
    )
    # simple-history writes the creation row on save: one row, with its author and reason.
    stamp(review, user=user, reason="Grid started")
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise MappingError(
            "Someone else started a grid for this qualification a moment ago. Reload the page."
        ) from None
    return review


def _check_editable(review: MappingReview, user, version: int | None) -> None:
    if review.mapped_by_id not in (None, user.pk):
        raise MappingError(f"{review.mapped_by} is mapping this grid; only they can change it.")
    if review.status == ReviewStatus.SUBMITTED:
        raise MappingError(
            "This grid has been submitted and is waiting for moderation; it "
            "cannot be changed until a moderator returns it."
        )
    if review.status not in EDITABLE:
        raise MappingError(
            f"This grid was {review.get_status_display().lower()} and is "
            "public; open the qualification's grid to start a new round."
        )
    if version is not None and version != review.version:
        raise MappingError(
            "This grid was changed in another window since you opened it. "
            "Reload the page to see the latest version."
        )


def _check_cells(framework: Framework, module_ids: set[int], marks) -> None:
    areas = set(Area.objects.filter(framework=framework).values_list("id", flat=True))
    elements = dict(Element.objects.filter(area__framework=framework).values_list("id", "area_id"))
    for module_id, area_id, element_id in marks:
        if module_id is not None and module_id not in module_ids:
            raise MappingError("The grid names a module that is not part of the qualification.")
        if area_id not in areas:
            raise MappingError("The grid names an area of another framework.")
        if elements and element_id is None:
            raise MappingError(f"{framework} is mapped by its elements; tick elements.")
        if element_id is not None and elements.get(element_id) != area_id:
            raise MappingError("The grid names an element that is not in its area.")


def _replace_marks(review: MappingReview, marks: Mapping[CellKey, Mark], user) -> None:
    current = {attribute_key(m): m for m in review.marks.all()}
    removed = [m for key, m in current.items() if key not in marks]
    added, changed = [], []
    for key, ticked in marks.items():
        mark = current.get(key)
        if mark is None:
            module_id, area_id, element_id = key
            added.append(
                GridMark(
                    review=review,
                    module_id=module_id,
                    area_id=area_id,
                    element_id=element_id,
                    basis=ticked.basis,
                    note=ticked.note,
                )
            )
        elif (mark.basis, mark.note) != (ticked.basis, ticked.note):
            mark.basis, mark.note = ticked.basis, ticked.note
            changed.append(mark)
    delete_with_history(removed, user=user, reason="Unticked")
    if added:
        # Both databases return the new primary keys from a bulk insert.
        record_history(GridMark.objects.bulk_create(added), kind="+", user=user, reason="Ticked")
    if changed:
        GridMark.objects.bulk_update(changed, ["basis", "note"])
        record_history(changed, kind="~", user=user, reason="Basis or note changed")


@transaction.atomic
def review_submit(*, review: MappingReview, user, version: int) -> MappingReview:
    """Submit the grid for moderation. Under a sampling policy the grid's draw is made
    once, on its first submission, and recorded; a grid not drawn is accepted at once."""
    if not can_map(user):
        raise MappingError("You do not have the right to map qualifications.")
    _check_editable(review, user, version)
    now = timezone.now()
    updated = MappingReview.objects.filter(
        pk=review.pk, version=version, status__in=EDITABLE, mapped_by=user
    ).update(status=ReviewStatus.SUBMITTED, submitted_at=now, version=F("version") + 1, updated_at=now)
    if updated != 1:
        raise MappingError("The grid changed while you were submitting it. Reload and try again.")
    review.refresh_from_db()
    record_history([review], kind="~", user=user, reason="Submitted")
    policy = ModerationPolicy.objects.filter(mapper=user).first()
    first_submission = review.sample_rate is None and review.times_returned == 0
    if policy is not None and policy.mode == PolicyMode.SAMPLE and first_submission:
        _draw(review, policy, user)
    else:
        moderation = "returned before, so moderated" if review.times_returned else review.moderation_note
        _event(EventKind.SUBMIT, review, actor=user, note=f"round {review.round}: {moderation}")
    return review


def _draw(review: MappingReview, policy: ModerationPolicy, user) -> None:
    assert policy.sample_rate is not None, "a sampling policy has a rate"
    draw = draw_value(policy.seed, review)
    sampled = draw < policy.sample_rate / 100
    now = timezone.now()
    changes: dict[str, Any] = {
        "sample_rate": policy.sample_rate,
        "sample_draw": draw,
        "sampled": sampled,
        "version": F("version") + 1,
        "updated_at": now,
    }
    if not sampled:
        changes |= {"status": ReviewStatus.ACCEPTED, "decided_at": now, "published_at": now}
    MappingReview.objects.filter(pk=review.pk, status=ReviewStatus.SUBMITTED).update(**changes)
    review.refresh_from_db()
    record_history([review], kind="~", reason="Sample drawn")
    outcome = "drawn for moderation" if sampled else "not drawn"
    note = (
        f"round {review.round}: {outcome}; draw {draw:.4f} against a "
        f"{policy.sample_rate} % sample (seed {policy.seed})"
    )
    _event(EventKind.SUBMIT, review, actor=user, note=note)
    if not sampled:
        published = _publish(review, actor=None)
        _event(
            EventKind.ACCEPT_UNSAMPLED,
            review,
            actor=None,
            note=f"Not drawn in the sample, so accepted without moderation. {published}",
        )


# -- moderation ----------------------------------------------------------------------


@transaction.atomic
def review_approve(*, review: MappingReview, moderator, version: int) -> MappingReview:
    """Approve a submitted grid and publish its judgements, in one transaction."""
    _decide(review, moderator, version, status=ReviewStatus.APPROVED, reason="")
    published = _publish(review, actor=moderator)
    _event(EventKind.APPROVE, review, actor=moderator, note=published)
    return review


@transaction.atomic
def review_return(*, review: MappingReview, moderator, version: int, reason: str) -> MappingReview:
    """Send a submitted grid back to its mapper with a reason. A mapper under sampling
    goes back to full moderation at once."""
    reason = reason.strip()
    if not reason:
        raise MappingError("Give the mapper a reason for returning the grid.")
    _decide(review, moderator, version, status=ReviewStatus.RETURNED, reason=reason)
    _event(EventKind.RETURN, review, actor=moderator, note=reason)
    policy = ModerationPolicy.objects.filter(mapper_id=review.mapped_by_id).first()
    if policy is not None and policy.mode == PolicyMode.SAMPLE:
        _change_policy(
            policy,
            moderator,
            mode=PolicyMode.EVERY,
            sample_rate=None,
            note="A grid was returned, so every grid is moderated again.",
        )
    return review


def _decide(review: MappingReview, moderator, version: int, *, status: str, reason: str) -> None:
    if not can_moderate(moderator):
        raise MappingError("You do not have the right to moderate grids.")
    if review.mapped_by_id == moderator.pk:
        raise MappingError("You mapped this grid, so another moderator must review it.")
    now = timezone.now()
    changes = {
        "status": status,
        "moderated_by": moderator,
        "decided_at": now,
        "version": F("version") + 1,
        "updated_at": now,
    }
    if status == ReviewStatus.APPROVED:
        changes["published_at"] = now
    else:
        changes |= {"return_reason": reason, "times_returned": F("times_returned") + 1}
    updated = (
        MappingReview.objects.filter(pk=review.pk, status=ReviewStatus.SUBMITTED, version=version)
        .exclude(mapped_by=moderator)
        .update(**changes)
    )
    review.refresh_from_db()
    if updated != 1:
        if review.status == ReviewStatus.DRAFT:
            raise MappingError(
                "This grid is not waiting for moderation: its mapper has not submitted it yet."
            )
        if review.status != ReviewStatus.SUBMITTED:
            who = f" by {review.moderated_by}" if review.moderated_by else ""
            raise MappingError(
                f"This grid is no longer waiting for moderation: it was "
                f"{review.get_status_display().lower()}{who} in the meantime."
            )
        raise MappingError("This grid changed since you opened it. Reload the page and review it again.")
    record_history([review], kind="~", user=moderator, reason=review.get_status_display())


@derived.batch()
def _publish(review: MappingReview, *, actor) -> str:
    """Make the grid's judgements the public ones for its qualification and the modules
    that were its rows: ticked cells published, unticked cells withdrawn. Returns a
    summary of the change for the event's note. The coverage summary of every
    qualification the added and withdrawn judgements reach is refreshed once, at the end."""
    module_ids = set(review.grid_modules)
    current = published_attributes(review.qualification, review.framework, module_ids)
    wanted = {attribute_key(m): m for m in review.marks.all()}
    withdrawn = [a for key, a in current.items() if key not in wanted]
    delete_with_history(withdrawn, user=actor, reason=f"Unticked in {review}")
    new, changed = [], []
    for key, mark in wanted.items():
        attribute = current.get(key)
        if attribute is None:
            new.append(
                Attribute(
                    area_id=mark.area_id,
                    element_id=mark.element_id,
                    module_id=mark.module_id,
                    qualification_id=None if mark.module_id else review.qualification_id,
                    basis=mark.basis,
                    note=mark.note,
                    review=review,
                )
            )
        elif (attribute.basis, attribute.note) != (mark.basis, mark.note):
            attribute.basis, attribute.note, attribute.review = mark.basis, mark.note, review
            changed.append(attribute)
    try:
        with transaction.atomic():
            created = Attribute.objects.bulk_create(new)
            Attribute.objects.bulk_update(changed, ["basis", "note", "review"])
    except IntegrityError:
        raise MappingError(
            "Another grid sharing these modules was published at the same moment. Try again."
        ) from None
    record_history(created, kind="+", user=actor, reason=f"Published by {review}")
    record_history(changed, kind="~", user=actor, reason=f"Published by {review}")
    return (
        f"Published: {len(new)} judgement{pluralize(len(new))} added, {len(withdrawn)} "
        f"withdrawn, {len(changed)} with a new basis or note."
    )


# -- policies ------------------------------------------------------------------------


@transaction.atomic
def policy_set(*, mapper, moderator, mode: str, sample_rate: int | None, note: str = "") -> ModerationPolicy:
    """Set how a mapper's grids are chosen for moderation."""
    if not can_moderate(moderator):
        raise MappingError("Only moderators set moderation policies.")
    if mapper.pk == moderator.pk:
        raise MappingError("Nobody sets their own moderation policy.")
    if mode not in PolicyMode.values:
        raise MappingError(f"{mode!r} is not a moderation policy.")
    if mode == PolicyMode.SAMPLE and not (sample_rate and 1 <= sample_rate <= 99):
        raise MappingError("A sample needs a rate between 1 and 99 %.")
    policy = ModerationPolicy.objects.select_for_update().filter(mapper=mapper).first()
    if policy is None:
        policy = ModerationPolicy(mapper=mapper)
    _change_policy(
        policy,
        moderator,
        mode=mode,
        sample_rate=sample_rate if mode == PolicyMode.SAMPLE else None,
        note=note,
    )
    return policy


def _change_policy(policy: ModerationPolicy, actor, *, mode, sample_rate, note: str) -> None:
    before = policy.describe() if policy.pk else "every grid moderated"
    policy.mode, policy.sample_rate, policy.set_by, policy.note = mode, sample_rate, actor, note
    if mode == PolicyMode.SAMPLE:
        policy.seed = secrets.token_hex(8)
    stamp(policy, user=actor, reason="Policy changed")
    policy.save()
    seed = f" (seed {policy.seed})" if mode == PolicyMode.SAMPLE else ""
    _event(
        EventKind.POLICY_CHANGE,
        None,
        mapper=policy.mapper,
        actor=actor,
        note=f"{before} → {policy.describe()}{seed}. {note}".strip(),
    )


def _event(kind, review: MappingReview | None, *, actor, note: str = "", mapper=None) -> None:
    if mapper is None:
        assert review is not None, "an event names its mapper or its grid"
        mapper = review.mapped_by
    ReviewEvent.objects.create(
        kind=kind,
        review=review,
        mapper=mapper,
        actor=actor,
        at=timezone.now(),
        note=note,
    )


# -- agreement -----------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    moderated: int
    agreed: int
    recent_moderated: int
    recent_agreed: int

    @staticmethod
    def share(agreed: int, moderated: int) -> float | None:
        return agreed / moderated if moderated else None

    @property
    def rate(self) -> float | None:
        return self.share(self.agreed, self.moderated)

    @property
    def recent_rate(self) -> float | None:
        return self.share(self.recent_agreed, self.recent_moderated)


def agreement_rates(mapper_ids) -> dict[int, Agreement]:
    """Per mapper: of their grids a moderator decided, how many were approved without
    ever being returned, over all time and over the last 20 decided."""
    moderated = MappingReview.objects.filter(mapped_by_id__in=list(mapper_ids), moderated_by__isnull=False)
    agreed = Q(status=ReviewStatus.APPROVED, times_returned=0)
    totals = {
        row["mapped_by_id"]: row
        for row in moderated.values("mapped_by_id").annotate(n=Count("id"), ok=Count("id", filter=agreed))
    }
    recent: dict[int, list[int]] = {}
    ranked = (
        moderated.annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("mapped_by_id"),
                order_by=[F("decided_at").desc(nulls_last=True), F("id").desc()],
            )
        )
        .filter(rank__lte=RECENT_DECISIONS)
        .values_list("mapped_by_id", "status", "times_returned")
    )
    for mapper_id, status, times_returned in ranked:
        counts = recent.setdefault(mapper_id, [0, 0])
        counts[0] += 1
        counts[1] += status == ReviewStatus.APPROVED and times_returned == 0
    return {
        mapper_id: Agreement(row["n"], row["ok"], *recent.get(mapper_id, [0, 0]))
        for mapper_id, row in totals.items()
    }
