"""The clerks' admin (issue 2): every changelist, add and change page answers a superuser
in a number of queries that does not grow with rows; the duplicate warning; each working
group's rights on qualifications and on every import and export; archiving instead of
deleting, with history; the index's count of what needs attention; formula-safe exports."""

import io

import pytest
from django.test import Client
from django.urls import reverse

from qualifications.models import Module, Qualification
from tests.support.admin import (
    admin_url,
    client_for,
    cluster_with_inlines,
    messages_of,
    person,
    qualification_url,
    qualification_with_inlines,
    run_action,
    someone,
)
from tests.support.factories import (
    AwardingBodyFactory,
    ModuleFactory,
    QualificationFactory,
    RoleFactory,
)
from tests.support.pages import form_data, page_text

pytestmark = pytest.mark.django_db

# -- the duplicate warning -----------------------------------------------------------


def add_qualification(client: Client, **fields):
    """POST the add form as a clerk fills it in: the form as shown, with ``fields``."""
    url = admin_url("qualifications.qualification", "add")
    data = {**form_data(client.get(url)), **{k: str(v) for k, v in fields.items()}}
    return client.post(url, data)


def test_a_title_matching_an_existing_one_is_warned_about_and_not_saved(clerk):
    existing = QualificationFactory(ref="501/0001/1", title="CACHE Level 3 Diploma in Child Care & Education")
    client = client_for(clerk)

    response = add_qualification(
        client, ref="501/0002/2", title="cache level three diploma in child care and education"
    )

    assert response.status_code == 200
    page = page_text(response)
    assert "This looks like a duplicate of" in page
    assert str(existing) in page
    assert admin_url("qualifications.qualification", "change", existing.pk) in response.content.decode()
    assert "Save anyway: this is not a duplicate" in page
    assert not Qualification.objects.filter(ref="501/0002/2").exists()


@pytest.mark.parametrize(
    ("existing_title", "body", "new_title"),
    [
        ("Diploma in Playwork", "CACHE", "CACHE Diploma in Playwork"),
        ("Certificate in Youth Work L2", "", "Certificate in Youth Work, Level 2"),
        ("Award in Caring for Children and Young People", "", "AWARD IN CARING FOR CHILDREN & YOUNG PEOPLE"),
    ],
)
def test_titles_differing_only_in_presentation_are_warned_about(clerk, existing_title, body, new_title):
    awarding_body = AwardingBodyFactory(name=body) if body else None
    QualificationFactory(title=existing_title, awarding_body=awarding_body)
    fields = {"ref": "NEW-1", "title": new_title}
    if awarding_body:
        fields["awarding_body"] = awarding_body.pk

    response = add_qualification(client_for(clerk), **fields)

    assert response.status_code == 200
    assert "This looks like a duplicate of" in page_text(response)
    assert not Qualification.objects.filter(ref="NEW-1").exists()


def test_ticking_save_anyway_saves_the_likely_duplicate(clerk):
    QualificationFactory(ref="501/0001/1", title="Diploma in Playwork")

    response = add_qualification(
        client_for(clerk), ref="501/0002/2", title="Diploma in playwork", confirm_duplicate="on"
    )

    assert response.status_code == 302
    saved = Qualification.objects.get(ref="501/0002/2")
    assert saved.title == "Diploma in playwork"
    assert saved.history.get().history_user == clerk
    assert Qualification.objects.filter(title__iexact="diploma in playwork").count() == 2


def test_a_title_at_another_level_saves_without_a_warning(clerk):
    QualificationFactory(title="Certificate in Playwork Level 2")

    response = add_qualification(client_for(clerk), ref="NEW-3", title="Certificate in Playwork Level 3")

    assert response.status_code == 302
    assert Qualification.objects.filter(ref="NEW-3").exists()


def test_saving_a_qualification_unchanged_does_not_warn_about_itself(clerk):
    qualification = qualification_with_inlines(2)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)

    response = client.post(url, form_data(client.get(url)))

    assert response.status_code == 302
    assert qualification.memberships.count() == 2


def test_a_loop_of_successors_is_refused_with_the_loop_named(clerk):
    newer = QualificationFactory(ref="L-NEW")
    older = QualificationFactory(ref="L-OLD", status=Qualification.Status.SUPERSEDED, superseded_by=newer)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", newer.pk)
    data = {**form_data(client.get(url)), "status": "superseded", "superseded_by": str(older.pk)}

    response = client.post(url, data)

    assert response.status_code == 200
    assert "This would make a loop of successors: L-NEW → L-OLD → L-NEW" in page_text(response)
    newer.refresh_from_db()
    assert (newer.status, newer.superseded_by) == (Qualification.Status.CURRENT, None)


def test_a_module_title_matching_an_existing_one_is_warned_about(clerk):
    ModuleFactory(title="Safeguarding & protecting children")
    client = client_for(clerk)
    url = admin_url("qualifications.module", "add")
    data = {**form_data(client.get(url)), "ref": "U-NEW", "title": "Safeguarding and Protecting Children"}

    warned = client.post(url, data)
    saved = client.post(url, {**data, "confirm_duplicate": "on"})

    assert warned.status_code == 200
    assert "This looks like a duplicate of" in page_text(warned)
    assert saved.status_code == 302
    assert Module.objects.filter(ref="U-NEW").count() == 1


# -- each group's rights on qualifications -------------------------------------------
# From migrations 0003/0005: every group views everything; clerks add, change, import,
# export and archive content; analysts export; mappers and moderators only read
# qualifications. Nobody deletes through the admin, not even a superuser: records are
# archived instead (IQFModelAdmin.has_delete_permission).

VIEWS = ["changelist", "add", "change", "history", "delete", "import", "export"]
QUALIFICATION_RIGHTS = {
    "Data clerk": [200, 200, 200, 200, 403, 200, 200],
    "Mapper": [200, 403, 200, 200, 403, 403, 403],
    "Moderator": [200, 403, 200, 200, 403, 403, 403],
    "Analyst": [200, 403, 200, 200, 403, 403, 200],
    "no group": [403, 403, 403, 403, 403, 403, 403],
    "superuser": [200, 200, 200, 200, 403, 200, 200],
}


@pytest.mark.parametrize("who", list(QUALIFICATION_RIGHTS))
@pytest.mark.parametrize("view", VIEWS)
def test_group_reaches_qualification_pages_as_its_permissions_say(who, view):
    qualification = QualificationFactory()
    expected = QUALIFICATION_RIGHTS[who][VIEWS.index(view)]

    response = client_for(someone(who)).get(qualification_url(view, qualification))

    assert response.status_code == expected


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_visitor_is_sent_to_the_login_page(view):
    url = qualification_url(view, QualificationFactory())

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst"])
def test_readers_see_the_qualification_form_read_only(who):
    qualification = QualificationFactory()

    response = client_for(person(who)).get(qualification_url("change", qualification))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst", "no group"])
def test_readers_cannot_change_a_qualification_by_posting(who):
    qualification = QualificationFactory(title="Original title")
    clerk_client = client_for(person("Data clerk"))
    data = form_data(clerk_client.get(qualification_url("change", qualification)))

    response = client_for(someone(who)).post(
        qualification_url("change", qualification), {**data, "title": "Changed title"}
    )

    assert response.status_code == 403
    qualification.refresh_from_db()
    assert qualification.title == "Original title"
    assert qualification.history.count() == 1


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst", "no group"])
def test_readers_cannot_add_a_qualification_by_posting(who):
    data = form_data(client_for(person("Data clerk")).get(qualification_url("add", None)))

    response = client_for(someone(who)).post(
        qualification_url("add", None), {**data, "ref": "SNEAKY", "title": "Sneaky"}
    )

    assert response.status_code == 403
    assert not Qualification.objects.filter(ref="SNEAKY").exists()


@pytest.mark.parametrize("who", ["Data clerk", "superuser"])
def test_nobody_deletes_a_qualification_even_by_posting(who):
    qualification = QualificationFactory()

    response = client_for(someone(who)).post(qualification_url("delete", qualification), {"post": "yes"})

    assert response.status_code == 403
    assert Qualification.objects.filter(pk=qualification.pk).exists()


def test_the_delete_action_is_not_offered_and_deletes_nothing(admin_client):
    qualification = QualificationFactory()
    url = qualification_url("changelist", None)

    offered = admin_client.get(url).context["action_form"].fields["action"].choices
    response = run_action(admin_client, "qualifications.qualification", "delete_selected", [qualification])

    assert "delete_selected" not in [name for name, _ in offered]
    assert response.redirect_chain == [(url, 302)]
    assert "No action selected." in messages_of(response)
    assert Qualification.objects.filter(pk=qualification.pk).exists()


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst", "no group"])
def test_users_without_the_import_right_cannot_post_an_import(who):
    upload = io.BytesIO(b"ref,title\r\nSNEAKY,Sneaky\r\n")
    upload.name = "qualifications.csv"
    client = client_for(someone(who))

    first = client.post(
        admin_url("qualifications.qualification", "import"),
        {"format": "0", "resource": "0", "import_file": upload},
    )
    confirm = client.post(
        admin_url("qualifications.qualification", "process_import"),
        {"format": "0", "resource": "0", "import_file_name": "x", "original_file_name": "qualifications.csv"},
    )

    assert first.status_code == 403
    assert confirm.status_code == 403
    assert not Qualification.objects.filter(ref="SNEAKY").exists()


# -- links are edited on the pages of what they link ---------------------------------


def test_clerk_adds_a_role_to_a_cluster_on_the_cluster_page(clerk):
    cluster = cluster_with_inlines(1)
    already = cluster.role_links.get().role
    role = RoleFactory(title="Youth worker")
    client = client_for(clerk)
    url = admin_url("roles.cluster", "change", cluster.pk)
    data = form_data(client.get(url))
    data.update({"role_links-TOTAL_FORMS": "2", "role_links-1-role": str(role.pk)})

    response = client.post(url, data)

    assert response.status_code == 302
    assert set(cluster.role_links.values_list("role", flat=True)) == {already.pk, role.pk}
    assert cluster.role_links.get(role=role).history.get().history_user == clerk


def test_clerk_removes_a_module_from_a_qualification_and_history_keeps_it(clerk):
    qualification = qualification_with_inlines(2)
    kept, removed = qualification.memberships.order_by("order")
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))
    assert data["memberships-1-id"] == str(removed.pk)
    data["memberships-1-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302
    assert list(qualification.memberships.all()) == [kept]
    assert Module.objects.filter(pk=removed.module_id).exists()
    gone = removed.history.latest()
    assert (gone.history_type, gone.history_user) == ("-", clerk)


def test_a_change_form_with_its_module_rows_refreshes_the_coverage_summary_once(clerk):
    from commoncore.models import QualificationCoverage
    from iqf.lib import derived
    from tests.support.factories import AttributeFactory

    qualification = qualification_with_inlines(3)
    memberships = list(qualification.memberships.order_by("order"))
    for membership in memberships:
        AttributeFactory(qualification=None, module=membership.module)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))
    for i in range(3):  # every module row made optional
        data.pop(f"memberships-{i}-mandatory", None)
    summary = derived.REGISTRY["coverage summary"]
    original, calls = summary.refresh, []
    object.__setattr__(summary, "refresh", lambda ids: calls.append(ids) or original(ids))
    try:
        response = client.post(url, data)
    finally:
        object.__setattr__(summary, "refresh", original)

    assert response.status_code == 302
    assert not qualification.memberships.filter(mandatory=True).exists()
    assert calls == [{qualification.pk}]
    # the qualification covers area 1 only possibly now: through optional modules
    assert list(
        QualificationCoverage.objects.filter(qualification=qualification).values_list(
            "whole_possible", "whole_guaranteed"
        )
    ) == [(True, False)]
