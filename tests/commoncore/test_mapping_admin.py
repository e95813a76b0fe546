"""The mapping workflow through the admin, with the test client: the grid page's form
(one post, forged cells refused), four-eyes on the moderation page, what each working
group may see and do, bounded queries, and the formula-safe export of events."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commoncore import services
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
from tests.support.factories import (
    AreaFactory,
    QualificationModuleFactory,
    UserFactory,
    default_framework,
)
from tests.support.mapping import (
    approve,
    area,
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
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db

GROUPS = {"clerk": "Data clerk", "analyst": "Analyst", "mapper": "Mapper", "moderator": "Moderator"}


# -- helpers -------------------------------------------------------------------------


def grid_url(qualification) -> str:
    return reverse("admin:commoncore_grid", args=[qualification.pk, default_framework().slug])


def moderate_url(review) -> str:
    return reverse("admin:commoncore_moderate", args=[review.pk])


def cell(module, number: int) -> str:
    row = f"m{module.pk}" if module else "q"
    return f"cell-{row}-a{area(number).pk}"


def grid_post(*cells: str, version="", button="_save", **extra) -> dict:
    data = {name: "on" for name in cells}
    data.update({"version": str(version), button: "1"}, **extra)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def staff(db):
    """One user per working group, plus one with both the mapper's and the moderator's rights."""
    people = {key: person(group, username=f"{key}.user") for key, group in GROUPS.items()}
    people["both"] = person("Mapper", "Moderator", username="both.user")
    return people


# -- the grid form ---------------------------------------------------------------------


def test_one_post_saves_the_whole_grid_of_sixty_modules(client, staff):
    qualification, modules = qualification_with(60)
    ticked = [cell(m, 1 + i % 6) for i, m in enumerate(modules)] + [cell(None, 3)]
    bases = {f"basis-m{m.pk}": "outcomes" for m in modules[:30]}
    notes = {f"note-m{modules[0].pk}": "  LO1.2 covers listening  "}
    client.force_login(staff["mapper"])

    response = client.post(grid_url(qualification), grid_post(*ticked, **bases, **notes))

    assert response.status_code == 302
    assert response.url == grid_url(qualification)
    assert messages_of(response) == [
        "Draft saved. Nothing is public until the grid is submitted and approved."
    ]
    review = MappingReview.objects.get()
    assert (review.status, review.mapped_by) == (ReviewStatus.DRAFT, staff["mapper"])
    stored = {
        (m.module_id, m.area.number): (m.basis, m.note) for m in GridMark.objects.select_related("area")
    }
    expected = {(m.pk, 1 + i % 6): ("outcomes" if i < 30 else "", "") for i, m in enumerate(modules)}
    expected[(modules[0].pk, 1)] = ("outcomes", "LO1.2 covers listening")
    expected[(None, 3)] = ("", "")
    assert stored == expected
    assert not Attribute.objects.exists()


def test_the_grid_page_shows_the_saved_ticks_and_totals(client, staff):
    qualification, (first, second) = qualification_with(2)
    client.force_login(staff["mapper"])
    client.post(grid_url(qualification), grid_post(cell(first, 1), cell(first, 4), cell(None, 2)))

    response = client.get(grid_url(qualification))

    assert response.status_code == 200
    grid = response.context["grid"]
    assert [row.total for row in grid.rows] == [2, 0, 1]
    assert grid.column_totals == [1, 1, 0, 1, 0, 0]
    page = response.content.decode()
    assert f'name="{cell(first, 4)}" id="{cell(first, 4)}" checked' in page
    assert f'name="{cell(second, 4)}" id="{cell(second, 4)}" ' in page
    assert f'name="{cell(second, 4)}" id="{cell(second, 4)}" checked' not in page


def test_submitting_a_grid_with_empty_rows_asks_for_confirmation_first(client, staff):
    qualification, (first, second) = qualification_with(2)
    client.force_login(staff["mapper"])

    response = client.post(grid_url(qualification), grid_post(cell(first, 1), button="_submit"))

    assert response.status_code == 200
    review = MappingReview.objects.get()
    assert review.status == ReviewStatus.DRAFT
    page = response.content.decode()
    assert "2 rows have no tick" in page
    assert second.title in page and "The qualification as a whole" in page
    assert 'name="confirm_incomplete"' in page

    response = client.post(
        grid_url(qualification),
        grid_post(cell(first, 1), version=review.version, button="_submit", confirm_incomplete="1"),
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert messages_of(response) == [
        "Submitted for moderation. A moderator other than you will approve or return it."
    ]


def test_a_complete_grid_is_submitted_without_asking(client, staff):
    qualification, (module,) = qualification_with(1)
    client.force_login(staff["mapper"])

    response = client.post(
        grid_url(qualification), grid_post(cell(module, 2), cell(None, 5), button="_submit")
    )

    assert response.status_code == 302
    assert MappingReview.objects.get().status == ReviewStatus.SUBMITTED


def test_a_grid_not_drawn_in_the_sample_says_it_was_accepted(client, staff):
    qualification, (module,) = qualification_with(1)
    sample_policy(staff["mapper"], staff["moderator"], 25)
    draft = save(qualification, staff["mapper"], ticks((module, 1)))
    force_seed(staff["mapper"], seed_that(draft, 25, drawn=False))
    client.force_login(staff["mapper"])

    response = client.post(
        grid_url(qualification),
        grid_post(cell(module, 1), cell(None, 1), version=draft.version, button="_submit"),
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "The grid was not drawn in your 25 % sample, so it was accepted without moderation and is now public."
    ) in page
    # The grid page now shows the public state: the accepted ticks.
    assert [row.total for row in response.context["grid"].rows] == [1, 1]
    grids = client.get(reverse("admin:commoncore_grids", args=[qualification.pk]))
    assert "round 1: accepted without moderation (not drawn in a 25 % sample)" in (grids.content.decode())
    assert MappingReview.objects.get().status == ReviewStatus.ACCEPTED


def test_a_stale_grid_page_gets_a_message_and_changes_nothing(client, staff):
    qualification, (module,) = qualification_with(1)
    client.force_login(staff["mapper"])
    client.post(grid_url(qualification), grid_post(cell(module, 1)))
    opened = MappingReview.objects.get().version
    client.post(grid_url(qualification), grid_post(cell(module, 2), version=opened))
    before = database_state()

    response = client.post(grid_url(qualification), grid_post(cell(module, 3), version=opened), follow=True)

    assert response.status_code == 200
    assert "This grid was changed in another window since you opened it." in (response.content.decode())
    assert database_state() == before


def forged_posts(module, other_module, other_area):
    """Posts naming what the grid does not have, or a value it cannot take, by name."""
    return {
        "unknown module": grid_post(cell(module, 1), "cell-m99999999-a1"),
        "module of another qualification": grid_post(cell(other_module, 1)),
        "area of another framework": grid_post(f"cell-m{module.pk}-a{other_area.pk}"),
        "made-up column": grid_post(f"cell-m{module.pk}-x1"),
        "made-up row": grid_post(f"cell-z{module.pk}-a{area(1).pk}"),
        "basis of an unknown row": grid_post(cell(module, 1), **{"basis-m99999999": "titles"}),
        "note of an unknown row": grid_post(cell(module, 1), **{"note-zz": "hello"}),
        "unknown basis": grid_post(cell(module, 1), **{f"basis-m{module.pk}": "a hunch"}),
        "note too long": grid_post(cell(module, 1), **{"note-q": "x" * 2001}),
        "version not a number": grid_post(cell(module, 1), version="2; DROP TABLE"),
        "version a superscript digit": grid_post(cell(module, 1), version="²"),
    }


FORGERIES = [
    "unknown module",
    "module of another qualification",
    "area of another framework",
    "made-up column",
    "made-up row",
    "basis of an unknown row",
    "note of an unknown row",
    "unknown basis",
    "note too long",
    "version not a number",
    "version a superscript digit",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_grid_post_is_a_400_and_changes_nothing(client, staff, forgery):
    qualification, (module,) = qualification_with(1)
    _, (other_module,) = qualification_with(1)
    other_area = AreaFactory()
    client.force_login(staff["mapper"])
    client.post(grid_url(qualification), grid_post(cell(module, 2)))  # a draft exists
    review = MappingReview.objects.get()
    data = forged_posts(module, other_module, other_area)[forgery]
    if data["version"] == "":
        data["version"] = str(review.version)
    before = database_state()

    response = client.post(grid_url(qualification), data)

    assert response.status_code == 400
    assert response.content.decode()  # says why
    assert database_state() == before


def test_a_forged_version_on_the_moderation_page_is_a_400(client, staff):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, staff["mapper"], ticks((module, 1)))
    client.force_login(staff["moderator"])
    before = database_state()

    for version in ("", "v2", "²", "-1"):
        response = client.post(moderate_url(review), {"version": version, "_approve": "1"})
        assert response.status_code == 400, version
    response = client.post(moderate_url(review), {"version": str(review.version)})
    assert response.status_code == 400  # neither approve nor return
    assert database_state() == before


def test_an_absurd_version_is_refused_with_a_message(client, staff):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, staff["mapper"], ticks((module, 1)))
    client.force_login(staff["moderator"])
    before = database_state()

    response = client.post(moderate_url(review), {"version": "9" * 30, "_approve": "1"})

    assert response.status_code == 302
    assert messages_of(response) == [
        "This grid changed since you opened it. Reload the page and review it again."
    ]
    assert database_state() == before


# -- four eyes through the admin -------------------------------------------------------


@pytest.mark.parametrize(
    "decision", [{"_approve": "1"}, {"_return": "1", "reason": "Hmm."}], ids=["approve", "return"]
)
def test_the_moderation_page_refuses_a_decision_on_ones_own_grid(client, staff, decision):
    qualification, (module,) = qualification_with(1)
    client.force_login(staff["both"])
    client.post(grid_url(qualification), grid_post(cell(module, 1), cell(None, 1), button="_submit"))
    review = MappingReview.objects.get()
    assert review.status == ReviewStatus.SUBMITTED
    page = client.get(moderate_url(review)).content.decode()
    assert "You mapped this grid, so another moderator must approve or return it." in page
    assert 'name="_approve"' not in page
    before = database_state()

    response = client.post(moderate_url(review), {"version": review.version, **decision})

    assert response.status_code == 302
    assert response.url == moderate_url(review)
    assert messages_of(response) == ["You mapped this grid, so another moderator must review it."]
    assert database_state() == before
    assert not Attribute.objects.exists()


def test_a_superuser_cannot_approve_their_own_grid_through_the_admin(client, staff):
    root = UserFactory(username="root", is_superuser=True)
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, root, ticks((module, 1), (None, 1)))
    client.force_login(root)
    before = database_state()

    response = client.post(moderate_url(review), {"version": review.version, "_approve": "1"})

    assert response.status_code == 302
    assert messages_of(response) == ["You mapped this grid, so another moderator must review it."]
    assert database_state() == before


def test_a_moderator_approves_through_the_admin_and_the_judgements_go_public(client, staff):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, staff["mapper"], ticks((module, 1), (module, 6), (None, 2)))
    client.force_login(staff["moderator"])
    page = client.get(moderate_url(review))
    assert page.status_code == 200
    assert page.context["grid"].changes == 3
    assert 'name="_approve"' in page.content.decode()

    response = client.post(moderate_url(review), {"version": review.version, "_approve": "1"})

    assert response.status_code == 302
    assert response.url == reverse("admin:commoncore_queue")
    review.refresh_from_db()
    assert (review.status, review.moderated_by) == (ReviewStatus.APPROVED, staff["moderator"])
    assert set(Attribute.objects.values_list("module_id", "area__number")) == {
        (module.pk, 1),
        (module.pk, 6),
        (None, 2),
    }


def test_returning_without_a_reason_through_the_admin_changes_nothing(client, staff):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, staff["mapper"], ticks((module, 1)))
    client.force_login(staff["moderator"])
    before = database_state()

    response = client.post(moderate_url(review), {"version": review.version, "_return": "1", "reason": "   "})

    assert response.status_code == 302
    assert messages_of(response) == ["Give the mapper a reason for returning the grid."]
    assert database_state() == before


def test_a_returned_grid_shows_its_reason_and_history_to_the_mapper(client, staff):
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, staff["mapper"], ticks((module, 1)))
    client.force_login(staff["moderator"])
    client.post(
        moderate_url(review),
        {"version": review.version, "_return": "1", "reason": "Unit 1 is about play, not safeguarding."},
    )
    client.force_login(staff["mapper"])

    response = client.get(grid_url(qualification))

    assert response.status_code == 200
    assert response.context["editable"] is True
    page = response.content.decode()
    assert "Returned by moderator.user" in page
    assert "Unit 1 is about play, not safeguarding." in page
    assert [(e.kind, e.actor) for e in response.context["events"]] == [
        (EventKind.RETURN, staff["moderator"]),
        (EventKind.SUBMIT, staff["mapper"]),
    ]
    queue = client.get(reverse("admin:commoncore_queue")).content.decode()
    assert "Your grids in progress" in queue and "Returned to mapper" in queue


def test_the_queue_lists_submitted_grids_oldest_first_without_accepted_ones(client, staff):
    older, (a,) = qualification_with(1, ref="QOLD")
    newer, (b,) = qualification_with(1, ref="QNEW")
    accepted_one, (c,) = qualification_with(1, ref="QACC")
    submit(older, staff["mapper"], ticks((a, 1)))
    submit(newer, staff["both"], ticks((b, 1)))
    sample_policy(staff["mapper"], staff["moderator"], 20)
    draft = save(accepted_one, staff["mapper"], ticks((c, 1)))
    force_seed(staff["mapper"], seed_that(draft, 20, drawn=False))
    services.review_submit(review=draft, user=staff["mapper"], version=draft.version)
    client.force_login(staff["moderator"])

    response = client.get(reverse("admin:commoncore_queue"))

    assert response.status_code == 200
    assert [r.qualification.ref for r in response.context["waiting"]] == ["QOLD", "QNEW"]
    assert "QACC" not in response.content.decode()


# -- who may do what -------------------------------------------------------------------


@pytest.fixture
def scene(staff):
    """A qualification with a submitted grid (mapped by the mapper), one with no grid yet,
    and the URLs of every mapping page."""
    mapped, (module,) = qualification_with(1)
    review = submit(mapped, staff["mapper"], ticks((module, 1)))
    fresh, (fresh_module,) = qualification_with(1)
    return {
        "review": review,
        "fresh": fresh,
        "fresh_module": fresh_module,
        "urls": {
            "queue": reverse("admin:commoncore_queue"),
            "mappers": reverse("admin:commoncore_mappers"),
            "grids": reverse("admin:commoncore_grids", args=[mapped.pk]),
            "grid": grid_url(mapped),
            "moderate": moderate_url(review),
            "events": reverse("admin:commoncore_reviewevent_changelist"),
        },
    }


@pytest.mark.parametrize("who", ["clerk", "analyst", "mapper", "moderator"])
@pytest.mark.parametrize("page", ["queue", "mappers", "grids", "grid", "moderate", "events"])
def test_every_working_group_can_see_the_mapping_pages(client, staff, scene, who, page):
    client.force_login(staff[who])

    response = client.get(scene["urls"][page])

    assert response.status_code == 200


@pytest.mark.parametrize("page", ["queue", "mappers", "grids", "grid", "moderate", "events"])
def test_a_staff_member_outside_the_groups_cannot_see_the_mapping_pages(client, scene, page):
    client.force_login(UserFactory(username="visitor"))

    assert client.get(scene["urls"][page]).status_code == 403


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", ["queue", "mappers", "grids", "grid", "moderate"])
def test_anonymous_people_are_sent_to_log_in(client, scene, page, method):
    url = scene["urls"][page]
    before = database_state()

    response = getattr(client, method)(url, {"_approve": "1", "version": "3"} if method == "post" else None)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"
    assert database_state() == before


def save_grid(client, scene):
    return client.post(grid_url(scene["fresh"]), grid_post(cell(scene["fresh_module"], 1)))


def submit_grid(client, scene):
    return client.post(
        grid_url(scene["fresh"]), grid_post(cell(scene["fresh_module"], 1), cell(None, 1), button="_submit")
    )


def approve_grid(client, scene):
    return client.post(scene["urls"]["moderate"], {"version": scene["review"].version, "_approve": "1"})


def return_grid(client, scene):
    return client.post(
        scene["urls"]["moderate"], {"version": scene["review"].version, "_return": "1", "reason": "No."}
    )


def set_policy(client, scene):
    mapper = MappingReview.objects.get(pk=scene["review"].pk).mapped_by
    return client.post(scene["urls"]["mappers"], {"mapper": mapper.pk, "mode": "sample", "sample_rate": "20"})


ACTIONS = {
    "save": save_grid,
    "submit": submit_grid,
    "approve": approve_grid,
    "return": return_grid,
    "set policy": set_policy,
}
REFUSED = [
    ("clerk", "save"),
    ("clerk", "submit"),
    ("clerk", "approve"),
    ("clerk", "return"),
    ("clerk", "set policy"),
    ("analyst", "save"),
    ("analyst", "submit"),
    ("analyst", "approve"),
    ("analyst", "return"),
    ("analyst", "set policy"),
    ("mapper", "approve"),
    ("mapper", "return"),
    ("mapper", "set policy"),
    ("moderator", "save"),
    ("moderator", "submit"),
]


@pytest.mark.parametrize(("who", "action"), REFUSED)
def test_a_group_without_the_right_gets_403_and_nothing_changes(client, staff, scene, who, action):
    client.force_login(staff[who])
    before = database_state()

    response = ACTIONS[action](client, scene)

    assert response.status_code == 403
    assert database_state() == before


def test_a_mapper_saves_and_submits(client, staff, scene):
    client.force_login(staff["mapper"])

    assert save_grid(client, scene).status_code == 302
    assert submit_grid(client, scene).status_code == 302

    review = MappingReview.objects.get(qualification=scene["fresh"])
    assert (review.status, review.mapped_by) == (ReviewStatus.SUBMITTED, staff["mapper"])


@pytest.mark.parametrize("action", ["approve", "return"])
def test_a_moderator_decides_another_persons_grid(client, staff, scene, action):
    client.force_login(staff["moderator"])

    response = ACTIONS[action](client, scene)

    assert response.status_code == 302
    review = MappingReview.objects.get(pk=scene["review"].pk)
    assert review.status == {"approve": ReviewStatus.APPROVED, "return": ReviewStatus.RETURNED}[action]
    assert review.moderated_by == staff["moderator"]


def test_a_moderator_sets_a_mappers_policy(client, staff, scene):
    client.force_login(staff["moderator"])

    response = set_policy(client, scene)

    assert response.status_code == 302
    assert messages_of(response) == ["Policy for mapper.user set."]
    policy = ModerationPolicy.objects.get(mapper=staff["mapper"])
    assert (policy.mode, policy.sample_rate, policy.set_by) == (PolicyMode.SAMPLE, 20, staff["moderator"])
    assert (
        ReviewEvent.objects.filter(
            kind=EventKind.POLICY_CHANGE, actor=staff["moderator"], mapper=staff["mapper"]
        ).count()
        == 1
    )


def test_a_moderator_who_also_maps_may_map(client, staff, scene):
    client.force_login(staff["both"])

    assert submit_grid(client, scene).status_code == 302
    assert MappingReview.objects.get(qualification=scene["fresh"]).mapped_by == staff["both"]


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("²", "'²' is not a whole percentage."),
        ("ten", "'ten' is not a whole percentage."),
        ("150", "A sample needs a rate between 1 and 99 %."),
        ("", "A sample needs a rate between 1 and 99 %."),
    ],
)
def test_a_bad_sample_rate_is_refused_with_a_message(client, staff, scene, rate, message):
    client.force_login(staff["moderator"])
    before = database_state()

    response = client.post(
        scene["urls"]["mappers"], {"mapper": staff["mapper"].pk, "mode": "sample", "sample_rate": rate}
    )

    assert response.status_code == 302
    assert messages_of(response) == [message]
    assert database_state() == before


def test_a_policy_for_someone_who_is_not_a_mapper_is_a_400(client, staff, scene):
    client.force_login(staff["moderator"])

    response = client.post(scene["urls"]["mappers"], {"mapper": staff["analyst"].pk, "mode": "every"})

    assert response.status_code == 400
    assert not ModerationPolicy.objects.exists()


def test_the_mappers_page_shows_each_policy_beside_the_agreement_rates(client, staff):
    for outcome in ["agree", "agree", "refuse", "agree"]:
        qualification, _ = qualification_with(0)
        review = submit(qualification, staff["mapper"], ticks((None, 1)))
        if outcome == "agree":
            approve(review, staff["moderator"])
        else:
            send_back(review, staff["moderator"])
    sample_policy(staff["mapper"], staff["moderator"], 35)
    client.force_login(staff["moderator"])

    response = client.get(reverse("admin:commoncore_mappers"))

    assert response.status_code == 200
    rows = {person.username: (policy, rate) for person, policy, rate in response.context["rows"]}
    policy, rate = rows["mapper.user"]
    assert policy.describe() == "sample at 35 %"
    page = response.content.decode()
    assert "75 % (3 of 4)" in page  # all time and last 20 alike: 3 approved of 4 moderated
    assert "no moderated grid yet" in page  # the other mapper, both.user


# -- bounded queries -------------------------------------------------------------------


def grid_in_progress(n_modules: int, staff) -> MappingReview:
    """A qualification of ``n_modules`` modules, each shared with another qualification
    whose grid was approved; its own grid was returned once and is being mapped again,
    with a tick in every row."""
    qualification, modules = qualification_with(n_modules)
    other, _ = qualification_with(0)
    for i, module in enumerate(modules):
        QualificationModuleFactory(qualification=other, module=module, order=i)
    approve(submit(other, staff["both"], ticks(*((m, 1) for m in modules))), staff["moderator"])
    review = submit(qualification, staff["mapper"], ticks((None, 1)))
    send_back(review, staff["moderator"])
    return save(
        qualification,
        staff["mapper"],
        ticks(*((m, 1 + i % 6) for i, m in enumerate(modules)), (None, 2), basis="titles"),
    )


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_grid_page_runs_the_same_few_queries_for_6_and_60_modules(
    client, staff, django_assert_max_num_queries
):
    small, large = grid_in_progress(6, staff), grid_in_progress(60, staff)
    client.force_login(staff["mapper"])
    assert len(client.get(grid_url(large.qualification)).context["grid"].rows) == 61

    urls = [grid_url(r.qualification) for r in (small, large)]
    counts = [queries_for(client, url) for url in urls]

    assert counts[0] == counts[1]
    # session, user, the user's and their groups' permissions, qualification, framework,
    # the open grid, areas, elements, modules, public judgements, the grid's marks,
    # modules shared with other qualifications, events, the published round
    url = grid_url(large.qualification)
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_the_moderation_page_runs_the_same_few_queries_for_6_and_60_modules(
    client, staff, django_assert_max_num_queries
):
    reviews = []
    for n in (6, 60):
        review = grid_in_progress(n, staff)
        reviews.append(services.review_submit(review=review, user=staff["mapper"], version=review.version))
    client.force_login(staff["moderator"])

    counts = [queries_for(client, moderate_url(r)) for r in reviews]

    assert counts[0] == counts[1]
    # session, user, permissions (2), the grid with its qualification, framework and
    # people, areas, elements, modules, public judgements, marks, shared modules, events,
    # the published round
    with django_assert_max_num_queries(13):
        assert client.get(moderate_url(reviews[1])).status_code == 200


def test_the_queue_runs_the_same_few_queries_for_3_and_30_grids(client, staff, django_assert_max_num_queries):
    def add_grids(n):
        for _ in range(n):
            qualification, modules = qualification_with(2)
            submit(qualification, staff["mapper"], ticks((modules[0], 1)))

    client.force_login(staff["moderator"])
    url = reverse("admin:commoncore_queue")
    add_grids(3)
    few = queries_for(client, url)
    add_grids(27)
    many = queries_for(client, url)

    assert few == many
    # session, user, permissions (2), waiting grids (joined, modules counted), the
    # user's own grids in progress
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert len(response.context["waiting"]) == 30


def test_the_mappers_page_runs_the_same_few_queries_for_2_and_20_mappers(
    client, staff, django_assert_max_num_queries
):
    def add_mappers(n):
        for _ in range(n):
            someone = person("Mapper")
            qualification, _ = qualification_with(0)
            approve(submit(qualification, someone, ticks((None, 1))), staff["moderator"])
            sample_policy(someone, staff["moderator"], 10)

    client.force_login(staff["moderator"])
    url = reverse("admin:commoncore_mappers")
    few = queries_for(client, url)
    add_mappers(18)
    many = queries_for(client, url)

    assert few == many
    # session, user, permissions (2), mappers, policies, agreement over all time and over
    # the last 20, recent policy changes
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert len(response.context["rows"]) == 20


# -- events export -------------------------------------------------------------------


def export_events(client) -> tuple[int, list[list[str]]]:
    url = reverse("admin:commoncore_reviewevent_export")
    form = client.get(url).context["form"]
    csv_choice = next(value for value, label in form.fields["format"].choices if str(label).lower() == "csv")
    fields = {name: "on" for name in form.fields if name.startswith("revieweventresource_")}
    response = client.post(url, {"format": csv_choice, "resource": "0", **fields})
    if response.status_code != 200:
        return response.status_code, []
    return 200, list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("who", ["moderator", "analyst"])
def test_events_export_as_csv_with_formula_like_cells_neutralised(client, staff, who):
    hostile = UserFactory(username="@mapper")
    hostile.groups.add(*staff["mapper"].groups.all())
    qualification, (module,) = qualification_with(1, ref="QX-1")
    review = submit(qualification, hostile, ticks((module, 1)))
    send_back(review, staff["moderator"], reason='=HYPERLINK("http://evil.example","click")')
    client.force_login(staff[who])

    status, rows = export_events(client)

    assert status == 200
    header, *data = rows
    assert header == [
        "at",
        "kind",
        "review__qualification__ref",
        "review__framework__name",
        "review__round",
        "mapper__username",
        "actor__username",
        "note",
    ]
    by_kind = {row[1]: row for row in data}
    assert set(by_kind) == {"submit", "return"}
    returned = by_kind["return"]
    assert returned[2] == "QX-1"
    assert returned[5] == "'@mapper"
    assert returned[6] == "moderator.user"
    assert returned[7] == '\'=HYPERLINK("http://evil.example","click")'
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("who", ["clerk", "mapper"])
def test_events_cannot_be_exported_without_the_right(client, staff, who):
    client.force_login(staff[who])

    response = client.get(reverse("admin:commoncore_reviewevent_export"))

    assert response.status_code == 403


def test_a_published_grid_page_shows_its_public_round_and_past_events(client, staff):
    mapper, moderator = staff["mapper"], staff["moderator"]
    qualification, (module,) = qualification_with(1)
    review = submit(qualification, mapper, ticks((module, 1)))
    approve(review, moderator)
    client.force_login(mapper)

    response = client.get(grid_url(qualification))

    assert response.status_code == 200
    page = page_text(response)
    assert (f"Public state round 1, mapped by {mapper.username}, approved by {moderator.username}") in page
    assert "Published: 1 judgement added, 0 withdrawn" in page
    assert "Nothing yet." not in page
