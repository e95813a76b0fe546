"""The clerks' admin (issue 2): every changelist, add and change page answers a superuser
in a number of queries that does not grow with rows; the duplicate warning; each working
group's rights on qualifications and on every import and export; archiving instead of
deleting, with history; the index's count of what needs attention; formula-safe exports."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bundles.models import BundleImport
from commoncore.models import ReviewStatus
from qualifications.models import Qualification
from roles.models import Role
from tests.support.admin import (
    admin_url,
    build_qualifications,
    build_reviews,
    client_for,
    measured_get,
    messages_of,
    person,
    run_action,
    someone,
)
from tests.support.factories import (
    AwardingBodyFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleFactory,
    RoleQualificationFactory,
    UserFactory,
)
from tests.support.pages import form_data, page_text

pytestmark = pytest.mark.django_db

# -- archiving instead of deleting ---------------------------------------------------


def test_withdraw_action_archives_the_selected_qualifications_and_says_how_many(clerk):
    first, second, untouched = QualificationFactory.create_batch(3)
    already = QualificationFactory(withdrawn=True)

    response = run_action(
        client_for(clerk), "qualifications.qualification", "withdraw", [first, second, already]
    )

    assert response.status_code == 200
    assert messages_of(response) == ["Withdrew 2 qualifications; 1 already withdrawn."]
    statuses = dict(Qualification.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: "withdrawn",
        second.pk: "withdrawn",
        untouched.pk: "current",
        already.pk: "withdrawn",
    }


def test_withdraw_action_records_who_archived_what_in_history(clerk):
    qualification = QualificationFactory()
    already = QualificationFactory(withdrawn=True)

    run_action(client_for(clerk), "qualifications.qualification", "withdraw", [qualification, already])

    latest, before = qualification.history.order_by("-history_id")[:2]
    assert (before.status, latest.status) == ("current", "withdrawn")
    assert latest.history_user == clerk
    assert latest.history_type == "~"
    assert already.history.count() == 1  # nothing changed, nothing recorded


def test_withdrawing_a_superseded_qualification_drops_its_successor(clerk):
    superseded = QualificationFactory(superseded=True)

    run_action(client_for(clerk), "qualifications.qualification", "withdraw", [superseded])

    superseded.refresh_from_db()
    assert (superseded.status, superseded.superseded_by) == ("withdrawn", None)


def test_reinstate_action_brings_withdrawn_qualifications_back(clerk):
    withdrawn = QualificationFactory(withdrawn=True)

    response = run_action(client_for(clerk), "qualifications.qualification", "reinstate", [withdrawn])

    withdrawn.refresh_from_db()
    assert withdrawn.status == "current"
    assert messages_of(response) == ["Reinstated 1 qualifications."]
    assert withdrawn.history.latest().history_user == clerk


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst"])
def test_readers_are_not_offered_and_cannot_run_the_withdraw_action(who):
    qualification = QualificationFactory()
    client = client_for(person(who))

    page = client.get(admin_url("qualifications.qualification", "changelist"))
    run_action(client, "qualifications.qualification", "withdraw", [qualification])

    assert page.context["action_form"] is None or "withdraw" not in dict(
        page.context["action_form"].fields["action"].choices
    )
    qualification.refresh_from_db()
    assert qualification.status == "current"
    assert qualification.history.count() == 1


def test_withdrawn_qualifications_stay_listed_marked_and_leave_the_current_filter(clerk):
    current = QualificationFactory(ref="CUR-1", title="Current diploma")
    QualificationFactory(ref="WD-1", title="Withdrawn diploma", withdrawn=True)
    client = client_for(clerk)

    everything = client.get(admin_url("qualifications.qualification", "changelist"))
    only_current = client.get(
        admin_url("qualifications.qualification", "changelist") + "?status__exact=current"
    )

    assert everything.context["cl"].result_count == 2
    assert "<strong>Withdrawn</strong>" in everything.content.decode()
    assert list(only_current.context["cl"].result_list) == [current]


ARCHIVABLE = {
    # label: (builder of one row, the archived field, its archived value)
    "qualifications.module": (ModuleFactory, "is_archived", True),
    "qualifications.awardingbody": (AwardingBodyFactory, "is_archived", True),
    "qualifications.provider": (ProviderFactory, "is_archived", True),
    "roles.role": (RoleFactory, "status", Role.Status.ARCHIVED),
}


@pytest.mark.parametrize("label", sorted(ARCHIVABLE))
def test_archive_action_archives_the_selected_rows_with_history(clerk, label):
    make, field, archived = ARCHIVABLE[label]
    chosen, untouched = make(), make()
    # a related row, so that the changelist's counting annotation is not empty
    {
        "qualifications.module": lambda: QualificationModuleFactory(module=chosen),
        "qualifications.awardingbody": lambda: QualificationFactory(awarding_body=chosen),
        "qualifications.provider": lambda: OfferingFactory(provider=chosen),
        "roles.role": lambda: RoleQualificationFactory(role=chosen),
    }[label]()

    response = run_action(client_for(clerk), label, "archive", [chosen])

    assert response.status_code == 200
    assert messages_of(response) == ["Archive: 1 changed, 0 already so."]
    chosen.refresh_from_db()
    untouched.refresh_from_db()
    assert getattr(chosen, field) == archived
    assert getattr(untouched, field) != archived
    latest = chosen.history.latest()
    assert latest.history_user == clerk
    assert getattr(latest, field) == archived


@pytest.mark.parametrize("label", sorted(ARCHIVABLE))
def test_restore_action_undoes_archiving(clerk, label):
    make, field, archived = ARCHIVABLE[label]
    row = make(**{field: archived})

    response = run_action(client_for(clerk), label, "restore", [row])

    row.refresh_from_db()
    assert getattr(row, field) != archived
    assert messages_of(response) == ["Restore: 1 changed, 0 already so."]


# -- history -------------------------------------------------------------------------


def test_history_page_shows_each_edit_with_its_author_and_change(clerk):
    qualification = QualificationFactory(title="Diploma in Playwork", learning_hours=120)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    saved = client.post(
        url, {**form_data(client.get(url)), "title": "Extended Diploma in Playwork", "learning_hours": "360"}
    )

    response = client.get(admin_url("qualifications.qualification", "history", qualification.pk))
    page = page_text(response)

    assert saved.status_code == 302
    assert response.status_code == 200
    assert "Diploma in Playwork → Extended Diploma in Playwork" in page
    assert "120 → 360" in page
    assert clerk.username in page
    assert [r.get_history_type_display() for r in response.context["page_obj"]] == ["Changed", "Created"]


def test_history_page_shows_the_archiving_by_the_action(clerk):
    qualification = QualificationFactory()
    client = client_for(clerk)
    run_action(client, "qualifications.qualification", "withdraw", [qualification])

    page = page_text(client.get(admin_url("qualifications.qualification", "history", qualification.pk)))

    assert "current → withdrawn" in page


def test_history_page_shows_inline_module_changes_on_the_module_link(clerk):
    membership = QualificationModuleFactory(mandatory=True)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", membership.qualification.pk)
    data = form_data(client.get(url))
    del data["memberships-0-mandatory"]  # the clerk unticks "mandatory"

    client.post(url, data)

    membership.refresh_from_db()
    assert membership.mandatory is False
    assert [h.mandatory for h in membership.history.order_by("history_id")] == [True, False]
    assert membership.history.latest().history_user == clerk


def retitled_qualification():
    """A qualification titled "First title", then "Second title"; and the address of its
    first version's page, from which it can be reverted."""
    qualification = QualificationFactory(title="First title")
    first = qualification.history.get()
    qualification.title = "Second title"
    qualification.save()
    return qualification, reverse(
        "admin:qualifications_qualification_simple_history", args=[qualification.pk, first.pk]
    )


def as_drawn(page) -> dict:
    """What a browser sends from an old version's page: its form, with the stale-edit
    guard's field as the page's HTML draws it (or without it, if the page leaves it out)."""
    data = {key: value for key, value in form_data(page).items() if key != "iqf_loaded_at"}
    data.update(
        re.findall(r'<input type="hidden" name="(iqf_loaded_at)" value="([^"]*)"', page.content.decode())
    )
    return data


def test_an_old_version_can_be_viewed(clerk):
    _, url = retitled_qualification()

    response = client_for(clerk).get(url)

    assert response.status_code == 200
    assert 'value="First title"' in response.content.decode()


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst"])
def test_readers_cannot_revert_or_edit_a_qualification_through_its_history(who):
    qualification, url = retitled_qualification()
    client = client_for(person(who))
    data = {**form_data(client_for(person("Data clerk")).get(url)), "title": "Third title"}

    response = client.post(url, data)

    assert response.status_code == 403
    qualification.refresh_from_db()
    assert qualification.title == "Second title"


def test_a_clerk_reverts_a_qualification_to_an_old_version(clerk):
    qualification, url = retitled_qualification()
    client = client_for(clerk)

    response = client.post(url, as_drawn(client.get(url)), follow=True)

    assert response.status_code == 200
    qualification.refresh_from_db()
    assert qualification.title == "First title"
    assert qualification.history.latest().history_user == clerk


def test_a_revert_opened_before_another_save_is_refused(clerk):
    qualification, url = retitled_qualification()
    client = client_for(clerk)
    data = as_drawn(client.get(url))
    Qualification.objects.filter(pk=qualification.pk).update(
        title="Third title", updated_at=qualification.updated_at + datetime.timedelta(seconds=5)
    )

    response = client.post(url, data)

    assert "after you opened it" in response.content.decode()
    qualification.refresh_from_db()
    assert qualification.title == "Third title"


@pytest.mark.parametrize("who", ["Moderator", "superuser"])
def test_nobody_reverts_a_grid_through_its_history(who):
    review = MappingReviewFactory(submitted=True)
    submitted = review.history.get()
    review.status, review.moderated_by = ReviewStatus.APPROVED, UserFactory()
    review.save()
    url = reverse("admin:commoncore_mappingreview_simple_history", args=[review.pk, submitted.pk])

    response = client_for(someone(who)).post(url, {})

    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED


# -- the index: what needs attention -------------------------------------------------


def index_rows(response) -> dict[str, tuple[str, str]]:
    """The index's tables: label -> (link, count)."""
    found = re.findall(
        r'<th scope="row"><a href="([^"]*)">([^<]*)</a></th><td>([^<]*)</td>', response.content.decode()
    )
    return {html.unescape(label): (html.unescape(link), count.strip()) for link, label, count in found}


UNVERIFIED = "Current qualifications not verified in the last 12 months"


@pytest.fixture
def verification_cases():
    """Qualifications verified at various ages (in days; None: never), in every status;
    returns the refs a clerk must re-verify: current ones never verified or verified
    more than a year (365 days) ago."""
    today = timezone.localdate()
    cases = [
        ("never", None, "current"),
        ("today", 0, "current"),
        ("months", 100, "current"),
        ("almost-a-year", 364, "current"),
        ("over-a-year", 366, "current"),
        ("years", 800, "current"),
        ("never-withdrawn", None, "withdrawn"),
        ("years-withdrawn", 800, "withdrawn"),
        ("years-superseded", 800, "superseded"),
    ]
    successor = QualificationFactory(ref="successor", last_verified=today)
    for ref, age, status in cases:
        QualificationFactory(
            ref=ref,
            status=status,
            last_verified=None if age is None else today - datetime.timedelta(days=age),
            superseded_by=successor if status == "superseded" else None,
        )
    return {ref for ref, age, status in cases if status == "current" and (age is None or age > 365)}


def test_index_counts_current_qualifications_not_verified_for_a_year(clerk, verification_cases):
    response = client_for(clerk).get(reverse("admin:index"))

    assert response.status_code == 200
    assert verification_cases == {"never", "over-a-year", "years"}
    assert index_rows(response)[UNVERIFIED][1] == "3"


def test_index_links_to_exactly_the_qualifications_it_counts(clerk, verification_cases):
    client = client_for(clerk)
    link = index_rows(client.get(reverse("admin:index")))[UNVERIFIED][0]

    listed = client.get(link)

    assert listed.status_code == 200
    assert {q.ref for q in listed.context["cl"].result_list} == verification_cases


def test_index_counts_records_and_grids_in_each_state(clerk):
    qualifications = QualificationFactory.create_batch(6, last_verified=timezone.localdate())
    for qualification in qualifications[:2]:
        MappingReviewFactory(qualification=qualification, submitted=True)
    MappingReviewFactory(qualification=qualifications[2], returned=True)
    MappingReviewFactory(qualification=qualifications[3], approved=True)
    MappingReviewFactory(qualification=qualifications[4])
    ModuleFactory.create_batch(4)
    RoleFactory.create_batch(3)
    ProviderFactory.create_batch(2)

    rows = index_rows(client_for(clerk).get(reverse("admin:index")))

    assert {label: count for label, (_, count) in rows.items() if count} == {
        UNVERIFIED: "0",
        "Grids awaiting moderation": "2",
        "Grids returned to their mapper": "1",
        "Qualifications": "6",
        "Modules": "4",
        "Roles": "3",
        "Providers": "2",
    }


def test_index_takes_as_many_queries_for_many_records_as_for_few(admin_client):
    build_qualifications(2)
    admin_client.get(reverse("admin:index"))
    few, few_queries = measured_get(admin_client, reverse("admin:index"))
    build_qualifications(20)
    build_reviews(10)
    many, many_queries = measured_get(admin_client, reverse("admin:index"))

    assert few.status_code == many.status_code == 200
    assert many_queries == few_queries


# -- two people editing one record ------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "make", "field"),
    [
        ("qualifications.qualification", lambda: QualificationFactory(title="Original"), "title"),
        ("qualifications.module", lambda: ModuleFactory(title="Original"), "title"),
        ("roles.role", lambda: RoleFactory(title="Original"), "title"),
    ],
)
def test_the_later_of_two_saves_from_forms_opened_together_is_refused(clerk, label, make, field):
    record = make()
    other = person("Data clerk")
    first, second = client_for(clerk), client_for(other)
    url = admin_url(label, "change", record.pk)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))

    assert first.post(url, {**first_data, field: "First edit"}).status_code == 302
    refused = second.post(url, {**second_data, field: "Second edit"})

    assert refused.status_code == 200
    page = page_text(refused)
    assert f"was changed by {clerk.username} at" in page
    assert "Nothing you entered has been saved" in page
    record.refresh_from_db()
    assert getattr(record, field) == "First edit"
    assert record.history.count() == 2  # created, the first edit; nothing from the second
    # opened again, the second person's form saves
    again = form_data(second.get(url))
    assert second.post(url, {**again, field: "Second edit"}).status_code == 302
    record.refresh_from_db()
    assert getattr(record, field) == "Second edit"


def test_a_change_form_posted_without_its_opening_time_is_refused(clerk):
    qualification = QualificationFactory(title="Original")
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))
    del data["iqf_loaded_at"]
    refused = client.post(url, {**data, "title": "Forged"})
    assert refused.status_code == 200
    assert "sent without the time it was opened" in page_text(refused)
    qualification.refresh_from_db()
    assert qualification.title == "Original"


def test_the_import_log_s_old_admin_addresses_lead_to_its_new_ones(clerk):
    log = BundleImport.objects.create(name="older.xlsx", created=1)
    client = client_for(person("Analyst"))
    old = reverse("admin:index") + f"commoncore/bundleimport/{log.pk}/change/"
    response = client.get(old, {"q": "older"})
    assert response.status_code == 301
    assert response["Location"] == admin_url("bundles.bundleimport", "change", log.pk) + "?q=older"
    assert client.get(response["Location"]).status_code == 200
    listing = client.get(reverse("admin:index") + "commoncore/bundleimport/")
    assert listing["Location"] == admin_url("bundles.bundleimport", "changelist")
