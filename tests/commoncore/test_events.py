"""The mapping workflow's rules (DESIGN §3, issue 3), tested against commoncore.services:
four-eyes, transitions from the right state only, versions, drafts, publication at
approval, sampling, agreement rates, events, the bundle's four-eyes rule, and two
moderators deciding the same grid at once on PostgreSQL."""

import csv
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook

from bundles.services import bundle_import
from bundles.sheets import BundleError
from commoncore import services
from commoncore.models import (
    Attribute,
    EventKind,
    MappingReview,
    ReviewEvent,
    ReviewStatus,
)
from commoncore.services import MappingError
from tests.conftest import load_migrated_data
from tests.support.factories import (
    QualificationFactory,
)
from tests.support.mapping import (
    approve,
    database_state,
    force_seed,
    person,
    qualification_with,
    sample_policy,
    save,
    seed_that,
    send_back,
    submit,
    ticks,
)

pytestmark = pytest.mark.django_db


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

    history = list(
        MappingReview.history.filter(id=review.pk)
        .order_by("history_date", "history_id")
        .values_list("status", "history_user__username", "history_change_reason")
    )

    assert [h for h in history if h[2] != "Grid saved"] == [
        ("draft", "mia.mapper", "Grid started"),
        ("submitted", "mia.mapper", "Submitted"),
        ("returned", "mo.moderator", "Returned to mapper"),
        ("submitted", "mia.mapper", "Submitted"),
        ("approved", "mo.moderator", "Approved"),
    ]
    published = Attribute.history.filter(module=module).order_by("history_id")
    assert list(published.values_list("area__number", "history_type", "history_user")) == [
        (2, "+", moderator.pk)
    ]


# -- bundle import: four eyes ------------------------------------------------------------


def _write_csv_bundle(folder: Path, rows: list[list[str]]) -> Path:
    folder.mkdir()
    with open(folder / "mapping_reviews.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["qualification_ref", "framework", "status", "mapped_by", "moderated_by"], *rows]
        )
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
    path = _write_csv_bundle(tmp_path / "bundle", [["QB-78", "", "approved", "mia.mapper", "mo.moderator"]])

    bundle_import(path=path)

    review = MappingReview.objects.select_related("mapped_by", "moderated_by").get()
    assert (review.status, review.mapped_by, review.moderated_by) == (
        ReviewStatus.APPROVED,
        mapper,
        moderator,
    )


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
            services.review_return(
                review=review, moderator=moderator, version=review.version, reason="Area 2 is not evidenced."
            )
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
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two connections deciding at once need PostgreSQL; CI runs it there",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "decisions", [("approve", "approve"), ("approve", "return")], ids=["both-approve", "approve-and-return"]
)
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
            threading.Thread(
                target=_decide_in_thread, args=(decision, review.pk, moderators[i], barrier, outcomes, i)
            )
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
        decided = ReviewEvent.objects.filter(review=review, kind__in=[EventKind.APPROVE, EventKind.RETURN])
        assert decided.count() == 1
        published = list(
            Attribute.objects.filter(Q(qualification=qualification) | Q(module__in=modules)).values_list(
                "module_id", "area_id", "element_id"
            )
        )
        if succeeded[0] == "approve":
            assert review.status == ReviewStatus.APPROVED
            assert decided.get().kind == EventKind.APPROVE
            assert Counter(published) == Counter(set(marks))  # each judgement exactly once
        else:
            assert review.status == ReviewStatus.RETURNED
            assert published == []
        wins[succeeded[0]] += 1
    assert sum(wins.values()) == TRIALS
