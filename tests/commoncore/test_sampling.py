"""The mapping workflow's rules (DESIGN §3, issue 3), tested against commoncore.services:
four-eyes, transitions from the right state only, versions, drafts, publication at
approval, sampling, agreement rates, events, the bundle's four-eyes rule, and two
moderators deciding the same grid at once on PostgreSQL."""

import math

import pytest
from django.utils import timezone

from commoncore import services
from commoncore.grid import build_grid
from commoncore.models import (
    Attribute,
    EventKind,
    MappingReview,
    ModerationPolicy,
    PolicyMode,
    ReviewEvent,
    ReviewStatus,
)
from commoncore.services import MappingError
from tests.support.factories import (
    MappingReviewFactory,
    default_framework,
)
from tests.support.mapping import (
    approve,
    cells_of,
    database_state,
    force_seed,
    person,
    public_cells,
    qualification_with,
    sample_policy,
    save,
    seed_that,
    send_back,
    submit,
    ticks,
)

pytestmark = pytest.mark.django_db


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
        services.draw_value("seed", MappingReview(qualification_id=q, framework_id=framework.pk, round=r))
        for q in range(1, 51)
        for r in (1, 2)
    }
    assert len(draws) == 100


@pytest.mark.parametrize("rate", [5, 20, 50, 85])
@pytest.mark.parametrize("seed", ["a1b2c3d4e5f60718", "0000000000000000", "ffeeddccbbaa9988"])
def test_over_two_thousand_grids_the_drawn_share_is_close_to_the_rate(rate, seed):
    framework = default_framework()
    n = 2000
    drawn = sum(
        services.draw_value(seed, MappingReview(qualification_id=q, framework_id=framework.pk, round=1))
        < rate / 100
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
    public = services.published_attributes(qualification, default_framework(), [first.pk, second.pk])
    assert set(public) == set(marks)
    assert public_cells(qualification, [first, second]) == cells_of(marks)
    accepted = ReviewEvent.objects.get(review=review, kind=EventKind.ACCEPT_UNSAMPLED)
    assert accepted.actor is None
    assert accepted.note == (
        "Not drawn in the sample, so accepted without moderation. "
        f"Published: {len(marks)} judgements added, 0 withdrawn, "
        "0 with a new basis or note."
    )
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


def test_under_sampling_each_grid_is_accepted_exactly_when_its_draw_is_not_below_the_rate(mapper, moderator):
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
        not drawn for drawn, _ in outcomes
    )


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


def test_a_resubmitted_grid_is_always_moderated_even_if_a_new_draw_would_pass_it(mapper, moderator):
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
    assert change.note == (
        "sample at 30 % → every grid moderated. A grid was returned, so every grid is moderated again."
    )
    # The mapper's next grid is moderated, with no draw.
    other, _ = qualification_with(0)
    next_review = submit(other, mapper, ticks((None, 1)))
    assert (next_review.status, next_review.sample_rate, next_review.sampled) == (
        ReviewStatus.SUBMITTED,
        None,
        None,
    )


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
    + ["agree"] * 6
    + ["refuse", "agree", "agree", "unsampled", "agree", "agree", "wait"]
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
            MappingReviewFactory(
                accepted=True, mapped_by=mapper, sample_rate=10, sample_draw=0.5, sampled=False
            )
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


def test_agreement_rates_over_all_time_and_the_last_twenty(mapper, second_mapper, moderator):
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
            moderated,
            agreed,
            recent_moderated,
            recent_agreed,
        ), who
        assert got.rate == pytest.approx(agreed / moderated)
        assert got.recent_rate == pytest.approx(recent_agreed / recent_moderated)
    # The history is built so the last twenty differ from all time.
    assert expected_agreement(FIRST_MAPPER_HISTORY)[:2] != expected_agreement(FIRST_MAPPER_HISTORY)[2:]
    assert idle.pk not in rates


def test_agreement_rates_of_nobody_are_empty():
    assert services.agreement_rates([]) == {}
