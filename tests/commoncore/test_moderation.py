"""The mapping workflow's rules (DESIGN §3, issue 3), tested against commoncore.services:
four-eyes, transitions from the right state only, versions, drafts, publication at
approval, sampling, agreement rates, events, the bundle's four-eyes rule, and two
moderators deciding the same grid at once on PostgreSQL."""

from collections import Counter

import pytest
from django.db import IntegrityError, transaction

from commoncore import services
from commoncore.grid import build_grid
from commoncore.models import (
    Attribute,
    EventKind,
    GridMark,
    MappingReview,
    ModerationPolicy,
    PolicyMode,
    ReviewEvent,
    ReviewStatus,
)
from commoncore.services import MappingError
from tests.support.factories import (
    MappingReviewFactory,
    QualificationModuleFactory,
    UserFactory,
    default_framework,
)
from tests.support.mapping import (
    approve,
    cells_of,
    database_state,
    public_cells,
    qualification_with,
    sample_policy,
    save,
    send_back,
    submit,
    ticks,
)

pytestmark = pytest.mark.django_db


# -- four eyes -----------------------------------------------------------------------


def test_a_moderator_cannot_approve_a_grid_they_mapped(mapper_moderator):
    qualification, modules = qualification_with(2)
    review = submit(qualification, mapper_moderator, ticks((modules[0], 1), (None, 2)))
    before = database_state()

    with pytest.raises(MappingError, match="You mapped this grid, so another moderator must"):
        services.review_approve(review=review, moderator=mapper_moderator, version=review.version)

    assert database_state() == before
    assert public_cells(qualification, modules) == set()


def test_a_moderator_cannot_return_a_grid_they_mapped(mapper_moderator):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper_moderator, ticks((modules[0], 1)))
    before = database_state()

    with pytest.raises(MappingError, match="You mapped this grid, so another moderator must"):
        services.review_return(
            review=review,
            moderator=mapper_moderator,
            version=review.version,
            reason="Not convinced by my own work.",
        )

    assert database_state() == before


def test_a_superuser_who_mapped_a_grid_cannot_approve_it(moderator):
    superuser = UserFactory(username="root", is_superuser=True)
    qualification, modules = qualification_with(1)
    review = submit(qualification, superuser, ticks((modules[0], 4)))
    before = database_state()

    with pytest.raises(MappingError, match="You mapped this grid"):
        services.review_approve(review=review, moderator=superuser, version=review.version)
    assert database_state() == before

    # Another moderator can.
    approve(review, moderator)
    assert MappingReview.objects.get(pk=review.pk).status == ReviewStatus.APPROVED
    assert public_cells(qualification, modules) == {(modules[0].pk, 4)}


def test_a_moderator_approves_another_persons_grid_and_is_recorded(mapper, mapper_moderator):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))

    approve(review, mapper_moderator)

    review.refresh_from_db()
    assert (review.status, review.mapped_by, review.moderated_by) == (
        ReviewStatus.APPROVED,
        mapper,
        mapper_moderator,
    )


def test_the_database_refuses_an_approval_by_the_mapper_written_around_the_service(mapper):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))

    with pytest.raises(IntegrityError), transaction.atomic():
        MappingReview.objects.filter(pk=review.pk).update(status=ReviewStatus.APPROVED, moderated_by=mapper)

    assert MappingReview.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED


# -- transitions only from the right state -------------------------------------------


def _draft(world):
    qualification, modules = qualification_with(1)
    return save(qualification, world["mapper"], ticks((modules[0], 1)))


def _submitted(world):
    qualification, modules = qualification_with(1)
    return submit(qualification, world["mapper"], ticks((modules[0], 1)))


def _approved(world):
    return approve(_submitted(world), world["moderator"])


def _returned(world):
    return send_back(_submitted(world), world["moderator"])


def _accepted(world):
    return MappingReviewFactory(accepted=True, mapped_by=world["mapper"])


def _approve(world, review):
    services.review_approve(review=review, moderator=world["second_moderator"], version=review.version)


def _return(world, review, reason="Please look again."):
    services.review_return(
        review=review, moderator=world["second_moderator"], version=review.version, reason=reason
    )


def _submit(world, review):
    services.review_submit(review=review, user=world["mapper"], version=review.version)


def _save(world, review):
    services.review_save_draft(
        qualification=review.qualification,
        framework=review.framework,
        user=world["mapper"],
        marks=ticks((None, 2)),
        version=review.version,
    )


REFUSED_TRANSITIONS = {
    "approve a draft": (_draft, _approve, "not waiting for moderation: its mapper has not"),
    "return a draft": (_draft, _return, "not waiting for moderation: its mapper has not"),
    "approve an approved grid": (
        _approved,
        _approve,
        "no longer waiting for moderation: it was approved by mo.moderator",
    ),
    "return an approved grid": (
        _approved,
        _return,
        "no longer waiting for moderation: it was approved by mo.moderator",
    ),
    "approve a returned grid": (
        _returned,
        _approve,
        "no longer waiting for moderation: it was returned to mapper by mo.moderator",
    ),
    "approve an accepted grid": (
        _accepted,
        _approve,
        "no longer waiting for moderation: it was accepted without",
    ),
    "submit a submitted grid": (_submitted, _submit, "submitted and is waiting for moderation"),
    "save a submitted grid": (_submitted, _save, "submitted and is waiting for moderation"),
    "submit an approved grid": (_approved, _submit, "This grid was approved and is public"),
    "submit an accepted grid": (
        _accepted,
        _submit,
        "This grid was accepted without moderation and is public",
    ),
    "return without a reason": (
        _submitted,
        lambda w, r: _return(w, r, reason=""),
        "Give the mapper a reason for returning the grid.",
    ),
    "return with only spaces": (
        _submitted,
        lambda w, r: _return(w, r, reason="  \n "),
        "Give the mapper a reason for returning the grid.",
    ),
}


@pytest.mark.parametrize("case", REFUSED_TRANSITIONS)
def test_a_transition_from_the_wrong_state_is_refused_and_changes_nothing(
    case, mapper, moderator, second_moderator
):
    build, act, message = REFUSED_TRANSITIONS[case]
    world = {"mapper": mapper, "moderator": moderator, "second_moderator": second_moderator}
    review = build(world)
    review = MappingReview.objects.get(pk=review.pk)
    before = database_state()

    with pytest.raises(MappingError) as refused:
        act(world, review)

    assert message in str(refused.value)
    assert database_state() == before


def test_someone_without_the_right_to_moderate_cannot_approve(mapper, second_mapper):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))
    before = database_state()

    with pytest.raises(MappingError, match="You do not have the right to moderate grids."):
        services.review_approve(review=review, moderator=second_mapper, version=review.version)
    assert database_state() == before


def test_someone_without_the_right_to_map_cannot_save_a_grid(moderator):
    qualification, modules = qualification_with(1)

    with pytest.raises(MappingError, match="You do not have the right to map qualifications."):
        save(qualification, moderator, ticks((modules[0], 1)))
    assert not MappingReview.objects.exists()


def test_a_mapper_cannot_change_or_submit_another_mappers_draft(mapper, second_mapper):
    qualification, modules = qualification_with(1)
    review = save(qualification, mapper, ticks((modules[0], 1)))
    before = database_state()

    with pytest.raises(MappingError, match="mia.mapper is mapping this grid; only they can"):
        save(qualification, second_mapper, ticks((modules[0], 2)))
    with pytest.raises(MappingError, match="mia.mapper is mapping this grid; only they can"):
        services.review_submit(review=review, user=second_mapper, version=review.version)
    assert database_state() == before


def test_a_mark_outside_the_qualification_is_refused(mapper):
    qualification, modules = qualification_with(1)
    _, elsewhere = qualification_with(1)

    with pytest.raises(MappingError, match="names a module that is not part of the qualification"):
        save(qualification, mapper, ticks((elsewhere[0], 1)))
    assert not MappingReview.objects.exists()


@pytest.mark.parametrize(
    ("mode", "rate", "message"),
    [
        (PolicyMode.SAMPLE, 0, "A sample needs a rate between 1 and 99 %."),
        (PolicyMode.SAMPLE, 100, "A sample needs a rate between 1 and 99 %."),
        (PolicyMode.SAMPLE, None, "A sample needs a rate between 1 and 99 %."),
        ("sometimes", 10, "'sometimes' is not a moderation policy."),
    ],
)
def test_a_bad_policy_is_refused(mapper, moderator, mode, rate, message):
    with pytest.raises(MappingError) as refused:
        services.policy_set(mapper=mapper, moderator=moderator, mode=mode, sample_rate=rate)
    assert str(refused.value) == message
    assert not ModerationPolicy.objects.exists()
    assert not ReviewEvent.objects.exists()


def test_only_a_moderator_sets_a_policy_and_never_their_own(mapper, second_mapper, mapper_moderator):
    with pytest.raises(MappingError, match="Only moderators set moderation policies."):
        sample_policy(mapper, second_mapper, 20)
    with pytest.raises(MappingError, match="Nobody sets their own moderation policy."):
        sample_policy(mapper_moderator, mapper_moderator, 20)
    assert not ModerationPolicy.objects.exists()


# -- versions --------------------------------------------------------------------------


def test_saving_from_a_page_opened_before_another_save_is_refused(mapper):
    qualification, modules = qualification_with(1)
    first = save(qualification, mapper, ticks((modules[0], 1)))
    opened_version = first.version
    save(qualification, mapper, ticks((modules[0], 2)))  # the other window
    before = database_state()

    with pytest.raises(MappingError) as refused:
        services.review_save_draft(
            qualification=qualification,
            framework=default_framework(),
            user=mapper,
            marks=ticks((modules[0], 3)),
            version=opened_version,
        )

    assert str(refused.value) == (
        "This grid was changed in another window since you opened "
        "it. Reload the page to see the latest version."
    )
    assert database_state() == before


def test_submitting_from_a_stale_page_is_refused(mapper):
    qualification, modules = qualification_with(1)
    stale = save(qualification, mapper, ticks((modules[0], 1)))
    save(qualification, mapper, ticks((modules[0], 2)))
    before = database_state()

    with pytest.raises(MappingError) as refused:
        services.review_submit(review=stale, user=mapper, version=stale.version)

    assert str(refused.value) == ("The grid changed while you were submitting it. Reload and try again.")
    assert database_state() == before


def test_saving_a_grid_decided_while_the_mapper_was_editing_is_refused(mapper, moderator):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))
    approve(review, moderator)
    before = database_state()

    with pytest.raises(MappingError, match="This grid was decided while you were editing it"):
        services.review_save_draft(
            qualification=qualification,
            framework=default_framework(),
            user=mapper,
            marks=ticks((modules[0], 2)),
            version=review.version,
        )
    assert database_state() == before


def test_a_moderator_deciding_from_a_page_opened_before_a_return_and_resubmission_is_refused(
    mapper, moderator, second_moderator
):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))
    opened = MappingReview.objects.get(pk=review.pk)  # moderator 1 opens the grid
    send_back(review, second_moderator)  # moderator 2 returns it
    submit(qualification, mapper, ticks((modules[0], 2)))  # and the mapper resubmits
    before = database_state()

    with pytest.raises(MappingError) as refused:
        services.review_approve(review=opened, moderator=moderator, version=opened.version)

    assert str(refused.value) == (
        "This grid changed since you opened it. Reload the page and review it again."
    )
    assert database_state() == before


def test_a_moderator_deciding_a_grid_another_moderator_decided_is_told_who(
    mapper, moderator, second_moderator
):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))
    opened = MappingReview.objects.get(pk=review.pk)
    approve(review, second_moderator)
    before = database_state()

    with pytest.raises(MappingError) as refused:
        services.review_return(
            review=opened, moderator=moderator, version=opened.version, reason="Too generous."
        )

    assert str(refused.value) == (
        "This grid is no longer waiting for moderation: it was approved by meg.moderator in the meantime."
    )
    assert database_state() == before


# -- drafts ----------------------------------------------------------------------------


def test_a_draft_records_each_ticked_cell_with_its_basis_and_note(mapper):
    qualification, (first, second) = qualification_with(2)
    marks = {
        **ticks((first, 1), (first, 3), basis="outcomes", note="LO2 and LO4"),
        **ticks((None, 6), basis="standards"),
    }

    review = save(qualification, mapper, marks)

    stored = {
        (m.module_id, m.area.number): (m.basis, m.note)
        for m in GridMark.objects.filter(review=review).select_related("area")
    }
    assert stored == {
        (first.pk, 1): ("outcomes", "LO2 and LO4"),
        (first.pk, 3): ("outcomes", "LO2 and LO4"),
        (None, 6): ("standards", ""),
    }
    assert review.status == ReviewStatus.DRAFT
    assert review.mapped_by == mapper
    assert sorted(review.grid_modules) == sorted([first.pk, second.pk])
    assert not Attribute.objects.exists()


def test_saving_again_replaces_the_marks_and_keeps_their_history(mapper):
    qualification, (module,) = qualification_with(1)
    save(qualification, mapper, ticks((module, 1), (module, 2), basis="titles"))

    review = save(
        qualification, mapper, ticks((module, 2), (module, 5), basis="outcomes", note="checked the handbook")
    )

    assert set(review.marks.values_list("area__number", "basis", "note")) == {
        (2, "outcomes", "checked the handbook"),
        (5, "outcomes", "checked the handbook"),
    }
    assert Counter(GridMark.history.values_list("history_type", flat=True)) == {"+": 3, "-": 1, "~": 1}
    assert review.version == 3  # created at 1, saved twice


# -- publication -----------------------------------------------------------------------


def test_the_public_judgements_change_only_when_the_new_grid_is_approved(mapper, moderator):
    qualification, (first, second) = qualification_with(2)
    round_one = submit(qualification, mapper, ticks((first, 1), (second, 2), (None, 6)))
    approve(round_one, moderator)
    published_first = {(first.pk, 1), (second.pk, 2), (None, 6)}
    assert public_cells(qualification, [first, second]) == published_first

    round_two_marks = ticks((first, 1), (second, 3), (None, 6), (None, 5), basis="outcomes")
    draft = save(qualification, mapper, round_two_marks)
    assert draft.round == 2
    assert public_cells(qualification, [first, second]) == published_first
    round_two = services.review_submit(review=draft, user=mapper, version=draft.version)
    assert public_cells(qualification, [first, second]) == published_first
    kept = Attribute.objects.get(module=first, area__number=1)

    approve(round_two, moderator)

    assert public_cells(qualification, [first, second]) == cells_of(round_two_marks)
    kept.refresh_from_db()  # an unchanged cell is the same row, now from round two's grid
    assert (kept.review_id, kept.basis) == (round_two.pk, "outcomes")
    assert set(Attribute.objects.values_list("review_id", flat=True)) == {round_two.pk}


def test_an_approval_that_fails_half_way_publishes_nothing(mapper, moderator, monkeypatch):
    qualification, (module,) = qualification_with(1)
    approve(submit(qualification, mapper, ticks((module, 1))), moderator)
    review = submit(qualification, mapper, ticks((module, 2), (module, 3)))
    before = database_state()
    real_event = services._event

    def event_then_crash(kind, *args, **kwargs):
        # The approval's judgements are written by now; the crash must undo them too.
        assert kind != EventKind.APPROVE or Attribute.objects.filter(area__number=2).exists()
        real_event(kind, *args, **kwargs)
        if kind == EventKind.APPROVE:
            raise RuntimeError("the server fell over")

    monkeypatch.setattr(services, "_event", event_then_crash)

    with pytest.raises(RuntimeError):
        approve(review, moderator)

    assert database_state() == before
    assert public_cells(qualification, [module]) == {(module.pk, 1)}


def test_a_module_judged_through_another_qualification_shows_its_judgement(mapper, second_mapper, moderator):
    first_qualification, (shared,) = qualification_with(1)
    second_qualification, (own,) = qualification_with(1)
    QualificationModuleFactory(qualification=second_qualification, module=shared, order=9)
    approve(submit(first_qualification, mapper, ticks((shared, 1), (shared, 2))), moderator)

    grid = build_grid(second_qualification, default_framework())

    rows = {row.key: row for row in grid.rows}
    shared_row, own_row = rows[f"m{shared.pk}"], rows[f"m{own.pk}"]
    assert shared_row.judged_elsewhere and not own_row.judged_elsewhere
    assert [c.column.area.number for c in shared_row.cells if c.ticked] == [1, 2]
    assert [c.column.area.number for c in shared_row.cells if c.published] == [1, 2]
    assert grid.review is None
    assert own_row.total == 0


def test_changing_a_shared_modules_judgement_keeps_the_published_one_until_approval(
    mapper, second_mapper, moderator
):
    first_qualification, (shared,) = qualification_with(1)
    second_qualification, (own,) = qualification_with(1)
    QualificationModuleFactory(qualification=second_qualification, module=shared, order=9)
    approve(submit(first_qualification, mapper, ticks((shared, 1), (shared, 2))), moderator)

    # The second mapper unticks area 1 and ticks area 5 for the shared module.
    review = submit(second_qualification, second_mapper, ticks((shared, 2), (shared, 5), (own, 3)))

    assert public_cells(first_qualification, [shared]) == {(shared.pk, 1), (shared.pk, 2)}
    grid = build_grid(second_qualification, default_framework())
    changes = {
        c.column.area.number: c.change
        for r in grid.rows
        if r.key == f"m{shared.pk}"
        for c in r.cells
        if c.change
    }
    assert changes == {1: "removed", 5: "added"}
    # The first qualification, with no grid in progress, still shows the public state.
    first_grid = build_grid(first_qualification, default_framework())
    assert [c.column.area.number for c in first_grid.rows[0].cells if c.ticked] == [1, 2]

    approve(review, moderator)

    assert public_cells(first_qualification, [shared]) == {(shared.pk, 2), (shared.pk, 5)}
    first_grid = build_grid(first_qualification, default_framework())
    assert [c.column.area.number for c in first_grid.rows[0].cells if c.ticked] == [2, 5]


def test_a_publication_summarises_every_qualification_it_reaches_in_one_refresh(
    mapper, second_mapper, moderator
):
    from commoncore.models import QualificationCoverage
    from iqf.lib import derived

    first_qualification, (shared,) = qualification_with(1)
    second_qualification, (own,) = qualification_with(1)
    QualificationModuleFactory(qualification=second_qualification, module=shared, order=9)
    approve(submit(first_qualification, mapper, ticks((shared, 1), (shared, 2))), moderator)
    # area 1 of the shared module withdrawn, area 5 added, area 3 of the second's own module
    review = submit(second_qualification, second_mapper, ticks((shared, 2), (shared, 5), (own, 3)))
    summary = derived.REGISTRY["coverage summary"]
    original, calls = summary.refresh, []
    object.__setattr__(summary, "refresh", lambda ids: calls.append(ids) or original(ids))
    try:
        approve(review, moderator)
    finally:
        object.__setattr__(summary, "refresh", original)

    assert calls == [{first_qualification.pk, second_qualification.pk}]
    covered = {
        (q, a) for q, a in QualificationCoverage.objects.values_list("qualification_id", "area__number")
    }
    # by hand: both qualifications hold the shared module; the second also its own module
    assert covered == {
        (first_qualification.pk, 2),
        (first_qualification.pk, 5),
        (second_qualification.pk, 2),
        (second_qualification.pk, 3),
        (second_qualification.pk, 5),
    }
