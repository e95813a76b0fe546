"""The mapping workflow's rules (DESIGN §3, issue 3), tested against commoncore.services:
four-eyes, transitions from the right state only, versions, drafts, publication at
approval, sampling, agreement rates, events, the bundle's four-eyes rule, and two
moderators deciding the same grid at once on PostgreSQL."""

import csv
import math
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook

from bundles.services import bundle_import
from bundles.sheets import BundleError
from commoncore import services
from commoncore.grid import build_grid
from commoncore.models import (
    Area,
    Attribute,
    EventKind,
    Framework,
    GridMark,
    MappingReview,
    ModerationPolicy,
    PolicyMode,
    ReviewEvent,
    ReviewStatus,
)
from commoncore.services import Judgement, MappingError
from tests.conftest import load_migrated_data
from tests.factories import (
    MappingReviewFactory,
    QualificationFactory,
    QualificationModuleFactory,
    UserFactory,
    default_framework,
)

pytestmark = pytest.mark.django_db


# -- helpers -------------------------------------------------------------------------


def person(*groups: str, **kwargs):
    """A staff user in the named working groups (from migrations 0003 and 0005)."""
    user = UserFactory(**kwargs)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


def area(number: int, framework: Framework | None = None) -> Area:
    return Area.objects.get(framework=framework or default_framework(), number=number)


def qualification_with(n_modules: int, **kwargs):
    """A qualification with ``n_modules`` modules, alternately mandatory and optional."""
    qualification = QualificationFactory(**kwargs)
    modules = [
        QualificationModuleFactory(qualification=qualification, order=i, mandatory=i % 2 == 0).module
        for i in range(n_modules)
    ]
    return qualification, modules


def ticks(*cells, basis: str = "", note: str = "") -> dict:
    """The marks a mapper sends: each cell is (module, or None for the whole
    qualification; area number)."""
    return {
        (module.pk if module else None, area(number).pk, None): Judgement(basis=basis, note=note)
        for module, number in cells
    }


def save(qualification, user, marks, framework=None):
    """Save a draft the way the grid page does, with the version the page showed."""
    framework = framework or default_framework()
    open_review = services.open_review(qualification, framework)
    return services.review_save_draft(
        qualification=qualification, framework=framework, user=user, marks=marks,
        version=open_review.version if open_review else None,
    )


def submit(qualification, user, marks, framework=None) -> MappingReview:
    review = save(qualification, user, marks, framework)
    return services.review_submit(review=review, user=user, version=review.version)


def approve(review: MappingReview, moderator) -> MappingReview:
    review = MappingReview.objects.get(pk=review.pk)
    return services.review_approve(review=review, moderator=moderator, version=review.version)


def send_back(review: MappingReview, moderator, reason="Area 3 needs evidence.") -> MappingReview:
    review = MappingReview.objects.get(pk=review.pk)
    return services.review_return(review=review, moderator=moderator, version=review.version,
                                  reason=reason)


def public_cells(qualification, modules) -> set[tuple[int | None, int]]:
    """(module id or None, area number) of every published judgement of these rows."""
    return set(
        Attribute.objects.filter(Q(qualification=qualification) | Q(module__in=modules))
        .values_list("module_id", "area__number")
    )


def cells_of(marks) -> set[tuple[int | None, int]]:
    numbers = dict(Area.objects.values_list("pk", "number"))
    return {(module_id, numbers[area_id]) for module_id, area_id, _ in marks}


def database_state() -> dict:
    """Everything the workflow writes, to show that a refused action wrote nothing."""
    return {
        "reviews": list(MappingReview.objects.order_by("pk").values()),
        "marks": list(GridMark.objects.order_by("pk").values()),
        "attributes": list(Attribute.objects.order_by("pk").values()),
        "events": list(ReviewEvent.objects.order_by("pk").values()),
        "policies": list(ModerationPolicy.objects.order_by("pk").values()),
        "review history": MappingReview.history.count(),
        "mark history": GridMark.history.count(),
        "attribute history": Attribute.history.count(),
    }


def sample_policy(mapper, moderator, rate: int) -> ModerationPolicy:
    return services.policy_set(mapper=mapper, moderator=moderator, mode=PolicyMode.SAMPLE,
                               sample_rate=rate)


def seed_that(review: MappingReview, rate: int, *, drawn: bool) -> str:
    """A seed under which ``review``'s draw falls below the rate (drawn) or not."""
    for n in range(10_000):
        seed = f"test-seed-{n}"
        if (services.draw_value(seed, review) < rate / 100) == drawn:
            return seed
    raise AssertionError("no such seed")  # pragma: no cover


def force_seed(mapper, seed: str) -> None:
    ModerationPolicy.objects.filter(mapper=mapper).update(seed=seed)


@pytest.fixture
def mapper(db):
    return person("Mapper", username="mia.mapper")


@pytest.fixture
def second_mapper(db):
    return person("Mapper", username="max.mapper")


@pytest.fixture
def moderator(db):
    return person("Moderator", username="mo.moderator")


@pytest.fixture
def second_moderator(db):
    return person("Moderator", username="meg.moderator")


@pytest.fixture
def mapper_moderator(db):
    """Someone with both rights: may map, and moderate other people's grids."""
    return person("Mapper", "Moderator", username="both.hats")


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
        services.review_return(review=review, moderator=mapper_moderator, version=review.version,
                               reason="Not convinced by my own work.")

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
        ReviewStatus.APPROVED, mapper, mapper_moderator)


def test_the_database_refuses_an_approval_by_the_mapper_written_around_the_service(mapper):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))

    with pytest.raises(IntegrityError), transaction.atomic():
        MappingReview.objects.filter(pk=review.pk).update(
            status=ReviewStatus.APPROVED, moderated_by=mapper)

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
    services.review_approve(review=review, moderator=world["second_moderator"],
                            version=review.version)


def _return(world, review, reason="Please look again."):
    services.review_return(review=review, moderator=world["second_moderator"],
                           version=review.version, reason=reason)


def _submit(world, review):
    services.review_submit(review=review, user=world["mapper"], version=review.version)


def _save(world, review):
    services.review_save_draft(
        qualification=review.qualification, framework=review.framework, user=world["mapper"],
        marks=ticks((None, 2)), version=review.version)


REFUSED_TRANSITIONS = {
    "approve a draft": (_draft, _approve, "not waiting for moderation: its mapper has not"),
    "return a draft": (_draft, _return, "not waiting for moderation: its mapper has not"),
    "approve an approved grid": (_approved, _approve,
                                 "no longer waiting for moderation: it was approved by mo.moderator"),
    "return an approved grid": (_approved, _return,
                                "no longer waiting for moderation: it was approved by mo.moderator"),
    "approve a returned grid": (_returned, _approve, "no longer waiting for moderation: it was "
                                "returned to mapper by mo.moderator"),
    "approve an accepted grid": (_accepted, _approve,
                                 "no longer waiting for moderation: it was accepted without"),
    "submit a submitted grid": (_submitted, _submit, "submitted and is waiting for moderation"),
    "save a submitted grid": (_submitted, _save, "submitted and is waiting for moderation"),
    "submit an approved grid": (_approved, _submit, "This grid was approved and is public"),
    "submit an accepted grid": (_accepted, _submit,
                                "This grid was accepted without moderation and is public"),
    "return without a reason": (_submitted, lambda w, r: _return(w, r, reason=""),
                                "Give the mapper a reason for returning the grid."),
    "return with only spaces": (_submitted, lambda w, r: _return(w, r, reason="  \n "),
                                "Give the mapper a reason for returning the grid."),
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


def test_only_a_moderator_sets_a_policy_and_never_their_own(mapper, second_mapper,
                                                             mapper_moderator):
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
        services.review_save_draft(qualification=qualification, framework=default_framework(),
                                   user=mapper, marks=ticks((modules[0], 3)),
                                   version=opened_version)

    assert str(refused.value) == ("This grid was changed in another window since you opened "
                                  "it. Reload the page to see the latest version.")
    assert database_state() == before


def test_submitting_from_a_stale_page_is_refused(mapper):
    qualification, modules = qualification_with(1)
    stale = save(qualification, mapper, ticks((modules[0], 1)))
    save(qualification, mapper, ticks((modules[0], 2)))
    before = database_state()

    with pytest.raises(MappingError) as refused:
        services.review_submit(review=stale, user=mapper, version=stale.version)

    assert str(refused.value) == ("The grid changed while you were submitting it. Reload and "
                                  "try again.")
    assert database_state() == before


def test_saving_a_grid_decided_while_the_mapper_was_editing_is_refused(mapper, moderator):
    qualification, modules = qualification_with(1)
    review = submit(qualification, mapper, ticks((modules[0], 1)))
    approve(review, moderator)
    before = database_state()

    with pytest.raises(MappingError, match="This grid was decided while you were editing it"):
        services.review_save_draft(qualification=qualification, framework=default_framework(),
                                   user=mapper, marks=ticks((modules[0], 2)),
                                   version=review.version)
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

    assert str(refused.value) == ("This grid changed since you opened it. Reload the page and "
                                  "review it again.")
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
        services.review_return(review=opened, moderator=moderator, version=opened.version,
                               reason="Too generous.")

    assert str(refused.value) == ("This grid is no longer waiting for moderation: it was "
                                  "approved by meg.moderator in the meantime.")
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

    review = save(qualification, mapper, ticks((module, 2), (module, 5), basis="outcomes",
                                               note="checked the handbook"))

    assert set(review.marks.values_list("area__number", "basis", "note")) == {
        (2, "outcomes", "checked the handbook"), (5, "outcomes", "checked the handbook")}
    assert Counter(GridMark.history.values_list("history_type", flat=True)) == {
        "+": 3, "-": 1, "~": 1}
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


def test_a_module_judged_through_another_qualification_shows_its_judgement(
    mapper, second_mapper, moderator
):
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
    changes = {c.column.area.number: c.change for r in grid.rows if r.key == f"m{shared.pk}"
               for c in r.cells if c.change}
    assert changes == {1: "removed", 5: "added"}
    # The first qualification, with no grid in progress, still shows the public state.
    first_grid = build_grid(first_qualification, default_framework())
    assert [c.column.area.number for c in first_grid.rows[0].cells if c.ticked] == [1, 2]

    approve(review, moderator)

    assert public_cells(first_qualification, [shared]) == {(shared.pk, 2), (shared.pk, 5)}
    first_grid = build_grid(first_qualification, default_framework())
    assert [c.column.area.number for c in first_grid.rows[0].cells if c.ticked] == [2, 5]


# -- sampling --------------------------------------------------------------------------


def test_the_draw_is_the_same_for_the_same_seed_and_grid(mapper):
    qualification, (module,) = qualification_with(1)
    review = save(qualification, mapper, ticks((module, 1)))
    copy = MappingReview.objects.get(pk=review.pk)

    draw = services.draw_value("3f9a1c", review)

    assert 0 <= draw < 1
    assert services.draw_value("3f9a1c", review) == draw
    assert services.draw_value("3f9a1c", copy) == draw
    assert services.draw_value("another seed", review) != draw


def test_the_draw_differs_between_grids_and_rounds():
    framework = default_framework()
    draws = {
        services.draw_value("seed", MappingReview(qualification_id=q, framework_id=framework.pk,
                                                  round=r))
        for q in range(1, 51) for r in (1, 2)
    }
    assert len(draws) == 100


@pytest.mark.parametrize("rate", [5, 20, 50, 85])
@pytest.mark.parametrize("seed", ["a1b2c3d4e5f60718", "0000000000000000", "ffeeddccbbaa9988"])
def test_over_two_thousand_grids_the_drawn_share_is_close_to_the_rate(rate, seed):
    framework = default_framework()
    n = 2000
    drawn = sum(
        services.draw_value(seed, MappingReview(qualification_id=q, framework_id=framework.pk,
                                                round=1)) < rate / 100
        for q in range(1, n + 1)
    )
    # Binomial(n, p): 4.5 standard deviations either side fail a fair draw about
    # once in 150,000 runs.
    p = rate / 100
    slack = 4.5 * math.sqrt(n * p * (1 - p))
    assert n * p - slack <= drawn <= n * p + slack


def test_a_submitted_grid_records_its_draw_so_it_can_be_repeated(mapper, moderator):
    policy = sample_policy(mapper, moderator, 50)
    qualification, (module,) = qualification_with(1)

    review = submit(qualification, mapper, ticks((module, 1)))

    policy.refresh_from_db()
    assert review.sample_rate == 50
    assert review.sample_draw == services.draw_value(policy.seed, review)
    assert review.sampled == (review.sample_draw < 0.5)
    event = ReviewEvent.objects.get(review=review, kind=EventKind.SUBMIT)
    assert f"seed {policy.seed}" in event.note
    assert f"draw {review.sample_draw:.4f} against a 50 % sample" in event.note


def test_a_grid_not_drawn_is_accepted_at_once_and_its_judgements_are_public(mapper, moderator):
    sample_policy(mapper, moderator, 30)
    qualification, (first, second) = qualification_with(2)
    marks = ticks((first, 1), (second, 4), (None, 2), basis="titles")
    draft = save(qualification, mapper, marks)
    force_seed(mapper, seed_that(draft, 30, drawn=False))

    review = services.review_submit(review=draft, user=mapper, version=draft.version)

    assert review.status == ReviewStatus.ACCEPTED
    assert (review.sampled, review.sample_rate, review.moderated_by) == (False, 30, None)
    assert review.published_at is not None
    assert review.moderation_note == "not drawn in a 30 % sample"
    public = services.published_judgements(qualification, default_framework(),
                                           [first.pk, second.pk])
    assert set(public) == set(marks)
    assert public_cells(qualification, [first, second]) == cells_of(marks)
    accepted = ReviewEvent.objects.get(review=review, kind=EventKind.ACCEPT_UNSAMPLED)
    assert accepted.actor is None
    assert accepted.note == ("Not drawn in the sample, so accepted without moderation. "
                             f"Published: {len(marks)} judgements added, 0 withdrawn, "
                             "0 with a new basis or note.")
    assert services.open_review(qualification, default_framework()) is None


def test_a_drawn_grid_waits_for_a_moderator_and_publishes_nothing(mapper, moderator):
    sample_policy(mapper, moderator, 30)
    qualification, (module,) = qualification_with(1)
    draft = save(qualification, mapper, ticks((module, 1)))
    force_seed(mapper, seed_that(draft, 30, drawn=True))

    review = services.review_submit(review=draft, user=mapper, version=draft.version)

    assert (review.status, review.sampled) == (ReviewStatus.SUBMITTED, True)
    assert not Attribute.objects.exists()
    assert not ReviewEvent.objects.filter(kind=EventKind.ACCEPT_UNSAMPLED).exists()
    assert "drawn for moderation" in ReviewEvent.objects.get(kind=EventKind.SUBMIT).note


def test_under_sampling_each_grid_is_accepted_exactly_when_its_draw_is_not_below_the_rate(
    mapper, moderator
):
    sample_policy(mapper, moderator, 40)
    seed = ModerationPolicy.objects.get(mapper=mapper).seed
    outcomes = []
    for _ in range(40):
        qualification, _ = qualification_with(0)
        review = submit(qualification, mapper, ticks((None, 1)))
        outcomes.append((services.draw_value(seed, review) < 0.4, review.status))

    for drawn, status in outcomes:
        assert status == (ReviewStatus.SUBMITTED if drawn else ReviewStatus.ACCEPTED)
    assert MappingReview.objects.filter(status=ReviewStatus.ACCEPTED).count() == sum(
        not drawn for drawn, _ in outcomes)


def test_a_returned_grid_reopens_for_its_mapper_with_the_reason(mapper, moderator):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, mapper, ticks((module, 1)))

    send_back(review, moderator, reason="Module 1 says nothing about transitions.")

    reopened = services.open_review(qualification, default_framework())
    assert reopened.pk == review.pk
    assert reopened.status == ReviewStatus.RETURNED
    assert reopened.return_reason == "Module 1 says nothing about transitions."
    assert build_grid(qualification, default_framework()).review.pk == review.pk
    changed = save(qualification, mapper, ticks((module, 2)))
    assert changed.pk == review.pk and changed.status == ReviewStatus.RETURNED
    resubmitted = services.review_submit(review=changed, user=mapper, version=changed.version)
    assert resubmitted.status == ReviewStatus.SUBMITTED
    assert resubmitted.times_returned == 1


def test_a_drawn_grid_cannot_be_withdrawn_by_its_mapper(mapper, moderator):
    sample_policy(mapper, moderator, 50)
    qualification, (module,) = qualification_with(1)
    draft = save(qualification, mapper, ticks((module, 1)))
    force_seed(mapper, seed_that(draft, 50, drawn=True))
    review = services.review_submit(review=draft, user=mapper, version=draft.version)
    before = database_state()

    for attempt in (
        lambda: save(qualification, mapper, ticks((module, 2))),
        lambda: services.review_submit(review=review, user=mapper, version=review.version),
    ):
        with pytest.raises(MappingError, match="waiting for moderation"):
            attempt()
    assert database_state() == before


def test_a_resubmitted_grid_is_always_moderated_even_if_a_new_draw_would_pass_it(
    mapper, moderator
):
    sample_policy(mapper, moderator, 50)
    qualification, (module,) = qualification_with(1)
    draft = save(qualification, mapper, ticks((module, 1)))
    force_seed(mapper, seed_that(draft, 50, drawn=True))
    review = services.review_submit(review=draft, user=mapper, version=draft.version)
    first_draw = review.sample_draw
    send_back(review, moderator)
    # A moderator puts the mapper back on sampling with a seed that would pass this grid.
    sample_policy(mapper, moderator, 50)
    force_seed(mapper, seed_that(review, 50, drawn=False))

    resubmitted = submit(qualification, mapper, ticks((module, 2)))

    assert resubmitted.pk == review.pk
    assert resubmitted.status == ReviewStatus.SUBMITTED
    assert (resubmitted.sample_draw, resubmitted.sampled) == (first_draw, True)
    assert not Attribute.objects.exists()
    last_submit = ReviewEvent.objects.filter(review=review, kind=EventKind.SUBMIT).first()
    assert last_submit.note == "round 1: returned before, so moderated"


def test_returning_a_sampled_mappers_grid_puts_them_back_on_full_moderation(mapper, moderator):
    sample_policy(mapper, moderator, 30)
    qualification, (module,) = qualification_with(1)
    draft = save(qualification, mapper, ticks((module, 1)))
    force_seed(mapper, seed_that(draft, 30, drawn=True))
    review = services.review_submit(review=draft, user=mapper, version=draft.version)
    started = timezone.now()

    send_back(review, moderator, reason="Area 1 is overstated.")

    policy = ModerationPolicy.objects.get(mapper=mapper)
    assert (policy.mode, policy.sample_rate, policy.set_by) == (PolicyMode.EVERY, None, moderator)
    change = ReviewEvent.objects.filter(kind=EventKind.POLICY_CHANGE).first()
    assert (change.mapper, change.actor, change.review) == (mapper, moderator, None)
    assert change.at >= started
    assert change.note == ("sample at 30 % → every grid moderated. A grid was returned, so "
                           "every grid is moderated again.")
    # The mapper's next grid is moderated, with no draw.
    other, _ = qualification_with(0)
    next_review = submit(other, mapper, ticks((None, 1)))
    assert (next_review.status, next_review.sample_rate, next_review.sampled) == (
        ReviewStatus.SUBMITTED, None, None)


def test_returning_a_grid_of_a_mapper_moderated_in_full_leaves_their_policy(mapper, moderator):
    qualification, (module,) = qualification_with(1)
    send_back(submit(qualification, mapper, ticks((module, 1))), moderator)

    assert not ModerationPolicy.objects.exists()
    assert not ReviewEvent.objects.filter(kind=EventKind.POLICY_CHANGE).exists()


# -- agreement rates -------------------------------------------------------------------

# What happened to each grid of a mapper, in the order the grids were decided:
#   agree        submitted and approved
#   refuse       submitted and returned (still with the mapper)
#   refuse-agree returned, resubmitted, then approved (moderated with a change)
#   refuse-wait  returned, resubmitted, waiting again
#   wait         submitted, not yet decided (not moderated)
#   unsampled    accepted without moderation (not moderated)
FIRST_MAPPER_HISTORY = (
    ["refuse", "refuse-agree", "agree", "refuse", "wait", "unsampled", "refuse", "agree"]
    + ["agree", "agree", "refuse-agree", "agree", "unsampled", "agree", "agree", "refuse-wait"]
    + ["agree"] * 6 + ["refuse", "agree", "agree", "unsampled", "agree", "agree", "wait"]
)
SECOND_MAPPER_HISTORY = ["agree", "refuse", "refuse-agree", "unsampled", "agree"]
MODERATED = {"agree", "refuse", "refuse-agree", "refuse-wait"}


def expected_agreement(history: list[str], recent: int = 20) -> tuple[int, int, int, int]:
    moderated = [outcome for outcome in history if outcome in MODERATED]
    last = moderated[-recent:]
    return (len(moderated), moderated.count("agree"), len(last), last.count("agree"))


def play(history: list[str], mapper, moderator) -> None:
    for outcome in history:
        if outcome == "unsampled":
            MappingReviewFactory(accepted=True, mapped_by=mapper, sample_rate=10,
                                 sample_draw=0.5, sampled=False)
            continue
        qualification, _ = qualification_with(0)
        review = submit(qualification, mapper, ticks((None, 1)))
        if outcome == "agree":
            approve(review, moderator)
        elif outcome.startswith("refuse"):
            send_back(review, moderator)
            if outcome != "refuse":
                review = submit(qualification, mapper, ticks((None, 2)))
            if outcome == "refuse-agree":
                approve(review, moderator)


def test_agreement_rates_over_all_time_and_the_last_twenty(
    mapper, second_mapper, moderator
):
    play(FIRST_MAPPER_HISTORY, mapper, moderator)
    play(SECOND_MAPPER_HISTORY, second_mapper, moderator)
    idle = person("Mapper", username="ida.idle")
    qualification, _ = qualification_with(0)
    submit(qualification, idle, ticks((None, 1)))

    rates = services.agreement_rates([mapper.pk, second_mapper.pk, idle.pk])

    for who, history in ((mapper, FIRST_MAPPER_HISTORY), (second_mapper, SECOND_MAPPER_HISTORY)):
        moderated, agreed, recent_moderated, recent_agreed = expected_agreement(history)
        got = rates[who.pk]
        assert (got.moderated, got.agreed, got.recent_moderated, got.recent_agreed) == (
            moderated, agreed, recent_moderated, recent_agreed), who
        assert got.rate == pytest.approx(agreed / moderated)
        assert got.recent_rate == pytest.approx(recent_agreed / recent_moderated)
    # The history is built so the last twenty differ from all time.
    assert expected_agreement(FIRST_MAPPER_HISTORY)[:2] != expected_agreement(
        FIRST_MAPPER_HISTORY)[2:]
    assert idle.pk not in rates


def test_agreement_rates_of_nobody_are_empty():
    assert services.agreement_rates([]) == {}


# -- events ------------------------------------------------------------------------------


def test_every_transition_is_an_event_with_actor_time_and_note(mapper, moderator):
    started = timezone.now()
    sample_policy(mapper, moderator, 40)
    qualification, (module,) = qualification_with(1)
    draft = save(qualification, mapper, ticks((module, 1)))
    force_seed(mapper, seed_that(draft, 40, drawn=True))
    review = services.review_submit(review=draft, user=mapper, version=draft.version)
    send_back(review, moderator, reason="Where is area 2?")
    submit(qualification, mapper, ticks((module, 1), (module, 2)))
    approve(review, moderator)
    sample_policy(mapper, moderator, 40)
    other, (other_module,) = qualification_with(1)
    other_draft = save(other, mapper, ticks((other_module, 3)))
    force_seed(mapper, seed_that(other_draft, 40, drawn=False))
    accepted = services.review_submit(review=other_draft, user=mapper, version=other_draft.version)
    finished = timezone.now()

    events = list(ReviewEvent.objects.order_by("at", "id"))

    assert [(e.kind, e.review_id, e.actor, e.mapper) for e in events] == [
        (EventKind.POLICY_CHANGE, None, moderator, mapper),
        (EventKind.SUBMIT, review.pk, mapper, mapper),
        (EventKind.RETURN, review.pk, moderator, mapper),
        (EventKind.POLICY_CHANGE, None, moderator, mapper),
        (EventKind.SUBMIT, review.pk, mapper, mapper),
        (EventKind.APPROVE, review.pk, moderator, mapper),
        (EventKind.POLICY_CHANGE, None, moderator, mapper),
        (EventKind.SUBMIT, accepted.pk, mapper, mapper),
        (EventKind.ACCEPT_UNSAMPLED, accepted.pk, None, mapper),
    ]
    assert all(started <= e.at <= finished for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    notes = [e.note for e in events]
    assert notes[0].startswith("every grid moderated → sample at 40 % (seed ")
    assert notes[1].startswith("round 1: drawn for moderation; draw ")
    assert notes[2] == "Where is area 2?"
    assert notes[3].startswith("sample at 40 % → every grid moderated.")
    assert notes[4] == "round 1: returned before, so moderated"
    assert notes[5] == "Published: 2 judgements added, 0 withdrawn, 0 with a new basis or note."
    assert notes[7].startswith("round 1: not drawn; draw ")
    assert notes[8].startswith("Not drawn in the sample, so accepted without moderation.")


def test_every_status_change_keeps_history_with_who_and_why(mapper, moderator):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, mapper, ticks((module, 1)))
    send_back(review, moderator)
    approve(submit(qualification, mapper, ticks((module, 2))), moderator)

    history = list(MappingReview.history.filter(id=review.pk).order_by("history_date", "history_id")
                   .values_list("status", "history_user__username", "history_change_reason"))

    assert [h for h in history if h[2] != "Grid saved"] == [
        ("draft", "mia.mapper", "Grid started"),
        ("submitted", "mia.mapper", "Submitted"),
        ("returned", "mo.moderator", "Returned to mapper"),
        ("submitted", "mia.mapper", "Submitted"),
        ("approved", "mo.moderator", "Approved"),
    ]
    published = Attribute.history.filter(module=module).order_by("history_id")
    assert list(published.values_list("area__number", "history_type", "history_user")) == [
        (2, "+", moderator.pk)]


# -- bundle import: four eyes ------------------------------------------------------------


def _write_csv_bundle(folder: Path, rows: list[list[str]]) -> Path:
    folder.mkdir()
    with open(folder / "mapping_reviews.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["qualification_ref", "framework", "status", "mapped_by", "moderated_by"], *rows])
    return folder


def _write_xlsx_bundle(path: Path, rows: list[list[str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "mapping_reviews"
    sheet.append(["qualification_ref", "framework", "status", "mapped_by", "moderated_by"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize("write", [_write_csv_bundle, _write_xlsx_bundle], ids=["csv", "xlsx"])
def test_import_refuses_to_approve_a_grid_moderated_by_its_own_mapper(write, tmp_path, mapper):
    qualification, (module,) = qualification_with(1, ref="QB-77")
    review = submit(qualification, mapper, ticks((module, 1)))
    name = "bundle.xlsx" if write is _write_xlsx_bundle else "bundle"
    path = write(tmp_path / name, [["QB-77", "", "approved", "mia.mapper", "mia.mapper"]])
    before = database_state()

    with pytest.raises(BundleError) as refused:
        bundle_import(path=path)

    message = "\n".join(refused.value.messages)
    assert "sheet mapping_reviews: row 2, column moderated_by:" in message
    assert "nobody may moderate a grid they mapped" in message
    assert database_state() == before
    assert MappingReview.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED


def test_import_records_an_approval_by_someone_other_than_the_mapper(tmp_path, mapper, moderator):
    QualificationFactory(ref="QB-78")
    path = _write_csv_bundle(tmp_path / "bundle",
                             [["QB-78", "", "approved", "mia.mapper", "mo.moderator"]])

    bundle_import(path=path)

    review = MappingReview.objects.select_related("mapped_by", "moderated_by").get()
    assert (review.status, review.mapped_by, review.moderated_by) == (
        ReviewStatus.APPROVED, mapper, moderator)


# -- two moderators at once (PostgreSQL) ---------------------------------------------------


def _decide_in_thread(decision: str, review_id: int, moderator, barrier, outcomes, index):
    """One moderator, on its own database connection: read the grid as the moderation page
    does, wait for the other moderator, then decide."""
    try:
        review = MappingReview.objects.get(pk=review_id)
        barrier.wait(timeout=20)
        if decision == "approve":
            services.review_approve(review=review, moderator=moderator, version=review.version)
        else:
            services.review_return(review=review, moderator=moderator, version=review.version,
                                   reason="Area 2 is not evidenced.")
        outcomes[index] = decision
    except MappingError as error:
        outcomes[index] = error
    except BaseException as error:  # anything else fails the test, with its cause
        outcomes[index] = ("crash", repr(error))
    finally:
        connection.close()


TRIALS = 20


@pytest.fixture
def from_migrated_data(migrated_data, transactional_db):
    """Start from exactly the state after migrate, whatever an earlier transactional test
    (the browser test, or the previous run of this one) left behind."""
    load_migrated_data(migrated_data)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="two connections deciding at once need PostgreSQL; CI runs it there")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decisions", [("approve", "approve"), ("approve", "return")],
                         ids=["both-approve", "approve-and-return"])
def test_two_moderators_deciding_the_same_grid_at_once_one_wins(decisions, from_migrated_data):
    mapper = person("Mapper", username="race.mapper")
    moderators = [person("Moderator", username=f"race.moderator{i}") for i in (1, 2)]
    wins = Counter()
    for trial in range(TRIALS):
        qualification, modules = qualification_with(3, ref=f"RACE{trial:03d}")
        marks = ticks((modules[0], 1), (modules[0], 2), (modules[2], 5), (None, 3), basis="titles")
        review = submit(qualification, mapper, marks)
        barrier = threading.Barrier(2)
        outcomes: list = [None, None]
        threads = [
            threading.Thread(target=_decide_in_thread,
                             args=(decision, review.pk, moderators[i], barrier, outcomes, i))
            for i, decision in enumerate(decisions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

        errors = [o for o in outcomes if isinstance(o, MappingError)]
        succeeded = [o for o in outcomes if isinstance(o, str)]
        assert len(succeeded) == 1 and len(errors) == 1, (trial, outcomes)
        winner = moderators[outcomes.index(succeeded[0])]
        assert str(errors[0]).startswith("This grid is no longer waiting for moderation: it was ")
        assert f"by {winner.username} in the meantime." in str(errors[0])

        review.refresh_from_db()
        assert review.moderated_by == winner
        decided = ReviewEvent.objects.filter(review=review,
                                             kind__in=[EventKind.APPROVE, EventKind.RETURN])
        assert decided.count() == 1
        published = list(Attribute.objects.filter(
            Q(qualification=qualification) | Q(module__in=modules)
        ).values_list("module_id", "area_id", "element_id"))
        if succeeded[0] == "approve":
            assert review.status == ReviewStatus.APPROVED
            assert decided.get().kind == EventKind.APPROVE
            assert Counter(published) == Counter(set(marks))  # each judgement exactly once
        else:
            assert review.status == ReviewStatus.RETURNED
            assert published == []
        wins[succeeded[0]] += 1
    assert sum(wins.values()) == TRIALS
