"""Whether a qualification is key for some role, kept on the qualification as a flag
(``Qualification.key_for_a_role``): every write path keeps it equal to what the role
links say, ``refresh`` repairs it, and the finder's key facet reads it when no role or
cluster is chosen.

Expected flags are computed here in plain Python from the role link rows
(:func:`expected_keys`), never by the code under test."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bundles.services import bundle_import
from bundles.sheets import BundleError
from bundles.sheets.qualifications import QualificationResource
from qualifications.models import Qualification
from roles import keys
from roles.models import RoleQualification
from tests.support.admin import admin_url, client_for
from tests.support.bundles import write_bundle
from tests.support.factories import QualificationFactory, RoleFactory, RoleQualificationFactory
from tests.support.pages import form_data
from tests.support.qualification_pages import checkbox_counts, finder, result_titles
from tests.support.sessions import generate_counting_rewrites, two_sessions, while_another_session_writes

pytestmark = pytest.mark.django_db

# -- the oracle ------------------------------------------------------------------------


def expected_keys() -> dict[int, bool]:
    """Each qualification: has a link that is key for its role, read row by row."""
    flags = {pk: False for pk in Qualification.objects.values_list("pk", flat=True)}
    for link in RoleQualification.objects.all():
        flags[link.qualification_id] = flags[link.qualification_id] or link.is_key
    return flags


def stored_keys() -> dict[int, bool]:
    return dict(Qualification.objects.values_list("pk", "key_for_a_role"))


def stored_key(qualification) -> bool:
    return Qualification.objects.values_list("key_for_a_role", flat=True).get(pk=qualification.pk)


# -- single rows written through the ORM -------------------------------------------------


def test_a_key_link_makes_its_qualification_key_and_a_plain_one_does_not():
    key, plain, unlinked = QualificationFactory.create_batch(3)
    RoleQualificationFactory(qualification=key, is_key=True)
    RoleQualificationFactory(qualification=plain, is_key=False)

    assert (stored_key(key), stored_key(plain), stored_key(unlinked)) == (True, False, False)
    assert stored_keys() == expected_keys()


def test_unticking_the_last_key_link_clears_the_flag_and_ticking_it_sets_it_again():
    qualification = QualificationFactory()
    link = RoleQualificationFactory(qualification=qualification, is_key=True)

    link.is_key = False
    link.save()
    assert stored_key(qualification) is False

    link.is_key = True
    link.save()
    assert stored_key(qualification) is True
    assert stored_keys() == expected_keys()


def test_deleting_a_key_link_keeps_the_flag_while_another_role_holds_it_key():
    qualification = QualificationFactory()
    first = RoleQualificationFactory(qualification=qualification, is_key=True)
    second = RoleQualificationFactory(qualification=qualification, is_key=True)

    first.delete()
    assert stored_key(qualification) is True

    second.delete()
    assert stored_key(qualification) is False
    assert stored_keys() == expected_keys()


def test_a_key_link_moved_to_another_qualification_takes_the_flag_with_it():
    left, joined = QualificationFactory.create_batch(2)
    link = RoleQualificationFactory(qualification=left, is_key=True)

    link.qualification = joined
    link.save()

    assert (stored_key(left), stored_key(joined)) == (False, True)
    assert stored_keys() == expected_keys()


def test_saving_a_qualification_read_before_a_key_link_was_added_keeps_the_flag():
    qualification = QualificationFactory(title="Old title")
    stale = Qualification.objects.get(pk=qualification.pk)  # not key, as read
    RoleQualificationFactory(qualification=qualification, is_key=True)

    stale.title = "New title"
    stale.save()

    assert Qualification.objects.get(pk=qualification.pk).title == "New title"
    assert stored_key(qualification) is True


def test_saving_a_qualification_leaves_its_derived_columns_to_their_refreshes():
    qualification = QualificationFactory(title="Old title")
    RoleQualificationFactory(qualification=qualification, is_key=True)
    read = Qualification.objects.get(pk=qualification.pk)
    read.title = "New title"

    with CaptureQueriesContext(connection) as queries:
        read.save()

    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(writes) == 1 and "title" in writes[0]
    assert "key_for_a_role" not in writes[0] and "offered_regions" not in writes[0]
    assert not any("FOR UPDATE" in q["sql"] for q in queries)  # no refresh to lock for
    assert Qualification.objects.get(pk=qualification.pk).title == "New title"
    assert stored_keys() == expected_keys()


def test_a_save_that_names_the_flag_is_refreshed_after():
    qualification = QualificationFactory()
    RoleQualificationFactory(qualification=qualification, is_key=True)
    wrong = Qualification.objects.get(pk=qualification.pk)
    wrong.key_for_a_role = False

    wrong.save(update_fields=["key_for_a_role"])

    assert stored_key(qualification) is True


def test_a_qualification_read_with_deferred_fields_saves_what_was_read():
    qualification = QualificationFactory(title="Old title", notes="Kept")
    RoleQualificationFactory(qualification=qualification, is_key=True)
    partial = Qualification.objects.only("title", "awarding_body").get(pk=qualification.pk)
    partial.title = "New title"

    partial.save()

    saved = Qualification.objects.get(pk=qualification.pk)
    assert (saved.title, saved.notes) == ("New title", "Kept")
    assert stored_key(qualification) is True


def test_a_version_from_history_saved_back_keeps_the_flag():
    # the flag is left out of history: an old version, as reverting restores it, has none
    qualification = QualificationFactory(title="First title")
    first = qualification.history.get()
    RoleQualificationFactory(qualification=qualification, is_key=True)

    first.instance.save()

    assert Qualification.objects.get(pk=qualification.pk).title == "First title"
    assert stored_key(qualification) is True


def test_deleting_a_role_clears_the_flag_its_links_alone_set():
    only_here, also_elsewhere = QualificationFactory.create_batch(2)
    role = RoleFactory()
    RoleQualificationFactory(role=role, qualification=only_here, is_key=True)
    RoleQualificationFactory(role=role, qualification=also_elsewhere, is_key=True)
    RoleQualificationFactory(qualification=also_elsewhere, is_key=True)

    role.delete()

    assert (stored_key(only_here), stored_key(also_elsewhere)) == (False, True)
    assert stored_keys() == expected_keys()


# -- two sessions at once (PostgreSQL) --------------------------------------------------


@two_sessions
def test_a_key_link_added_while_another_session_removes_the_other_keeps_the_flag():
    qualification = QualificationFactory()
    leaving = RoleQualificationFactory(qualification=qualification, is_key=True)
    joining = RoleFactory()

    while_another_session_writes(
        lambda: RoleQualification.objects.create(role=joining, qualification=qualification, is_key=True),
        leaving.delete,
    )

    assert stored_key(qualification) is True
    assert stored_keys() == expected_keys()


# -- the admin ---------------------------------------------------------------------------


def test_ticking_key_on_the_role_page_makes_the_qualification_key(clerk):
    qualification = QualificationFactory()
    link = RoleQualificationFactory(qualification=qualification, is_key=False)
    client = client_for(clerk)
    url = admin_url("roles.role", "change", link.role.pk)
    data = form_data(client.get(url))
    # the inline's row for the link: the one whose id field holds it
    row = next(
        name.removesuffix("-id")
        for name, value in data.items()
        if name.endswith("-id") and value == str(link.pk)
    )
    data[f"{row}-is_key"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302
    assert RoleQualification.objects.get(pk=link.pk).is_key
    assert stored_key(qualification) is True
    assert stored_keys() == expected_keys()


def test_removing_the_key_link_on_the_qualification_page_clears_the_flag(clerk):
    qualification = QualificationFactory()
    RoleQualificationFactory(qualification=qualification, is_key=True)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))
    assert data["role_links-TOTAL_FORMS"] == "1"
    data["role_links-0-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302
    assert not qualification.role_links.exists()
    assert stored_key(qualification) is False
    assert stored_keys() == expected_keys()


# -- bundle import -----------------------------------------------------------------------


def test_a_bundle_of_role_links_sets_and_clears_the_flags(tmp_path):
    existing, dropped = QualificationFactory(ref="Q-OLD"), QualificationFactory(ref="Q-DROP")
    untouched = QualificationFactory()
    RoleQualificationFactory(qualification=untouched, is_key=True)
    role = RoleFactory(title="Nursery nurse")
    RoleQualificationFactory(role=role, qualification=dropped, is_key=True)

    bundle_import(
        path=write_bundle(
            tmp_path / "b",
            {
                "qualifications": [["ref", "title"], ["Q-NEW", "Award in Play"]],
                "role_qualifications": [
                    ["role", "qualification_ref", "key"],
                    ["Nursery nurse", "Q-NEW", "yes"],
                    ["Nursery nurse", "Q-OLD", "yes"],
                    ["Nursery nurse", "Q-DROP", "no"],
                ],
            },
        )
    )

    assert stored_key(Qualification.objects.get(ref="Q-NEW")) is True
    assert (stored_key(existing), stored_key(dropped), stored_key(untouched)) == (True, False, True)
    assert stored_keys() == expected_keys()


def test_a_refused_bundle_leaves_every_flag_as_it_was(tmp_path):
    QualificationFactory(ref="Q1")
    RoleFactory(title="Nursery nurse")
    before = stored_keys()
    # the links are written, then a later sheet's bad row refuses the whole bundle
    path = write_bundle(
        tmp_path / "b",
        {
            "role_qualifications": [["role", "qualification_ref", "key"], ["Nursery nurse", "Q1", "yes"]],
            "attributes": [["framework", "area", "qualification_ref", "module_ref"], ["", "7", "Q1", ""]],
        },
    )

    with pytest.raises(BundleError):
        bundle_import(path=path)

    assert stored_keys() == before == expected_keys()


def test_a_bundle_updating_a_qualification_keeps_a_key_link_added_while_it_ran(tmp_path, monkeypatch):
    qualification = QualificationFactory(ref="Q1", title="Old title")
    read_row = QualificationResource.read_row

    def read_row_while_a_clerk_adds_a_key_link(self, instance, reader, new):
        # another session's link, written after the sheet read its qualifications
        RoleQualificationFactory(qualification=qualification, is_key=True)
        read_row(self, instance, reader, new)

    monkeypatch.setattr(QualificationResource, "read_row", read_row_while_a_clerk_adds_a_key_link)

    bundle_import(
        path=write_bundle(
            tmp_path / "b",
            {
                "qualifications": [["ref", "title"], ["Q1", "New title"]],
            },
        )
    )

    assert Qualification.objects.get(pk=qualification.pk).title == "New title"
    assert stored_key(qualification) is True


# -- repair and the generator ------------------------------------------------------------


def test_refresh_repairs_every_wrong_flag_and_says_how_many_it_changed():
    key, plain, unlinked = QualificationFactory.create_batch(3)
    RoleQualificationFactory(qualification=key, is_key=True)
    RoleQualificationFactory(qualification=plain, is_key=False)
    Qualification.objects.filter(pk=key.pk).update(key_for_a_role=False)
    Qualification.objects.filter(pk=unlinked.pk).update(key_for_a_role=True)

    assert keys.refresh([plain.pk, unlinked.pk]) == 1
    assert stored_key(key) is False  # not named, not repaired
    assert keys.refresh() == 1

    assert stored_keys() == expected_keys()
    assert keys.refresh() == 0


def test_refresh_coverage_command_repairs_the_flags():
    for _ in range(2):
        RoleQualificationFactory(is_key=True)
    Qualification.objects.update(key_for_a_role=False)
    out = StringIO()

    call_command("refresh_coverage", stdout=out)

    assert stored_keys() == expected_keys()
    assert "Key flags rebuilt: 2 qualifications corrected" in out.getvalue()


def test_the_generator_writes_each_qualification_once_with_its_flag():
    assert generate_counting_rewrites() == 0

    stored = stored_keys()
    assert stored == expected_keys()
    assert set(stored.values()) == {True, False}


# -- the finder --------------------------------------------------------------------------


@pytest.fixture
def linked():
    """Two qualifications key for some role, one linked but key for none, one unlinked."""
    key_here, key_there, plain, unlinked = (
        QualificationFactory(title=title)
        for title in ("Award in Play", "Certificate in Care", "Diploma in Support", "Extended Diploma")
    )
    RoleQualificationFactory(qualification=key_here, is_key=True)
    RoleQualificationFactory(qualification=key_here, is_key=False)
    RoleQualificationFactory(qualification=key_there, is_key=True)
    RoleQualificationFactory(qualification=plain, is_key=False)
    return key_here, key_there, plain, unlinked


def test_finder_key_only_lists_the_qualifications_key_for_some_role(client, linked):
    key = expected_keys()
    expected = sorted(q.title for q in Qualification.objects.all() if key[q.pk])

    response = finder(client, "key=yes")

    assert response.status_code == 200
    assert result_titles(response) == expected == ["Award in Play", "Certificate in Care"]
    assert checkbox_counts(response, "key") == {"yes": 2}


def test_finder_key_count_follows_a_link_unticked(client, linked):
    key_here, *_ = linked
    assert checkbox_counts(finder(client), "key") == {"yes": 2}

    for link in key_here.role_links.filter(is_key=True):
        link.is_key = False
        link.save()

    response = finder(client)
    assert checkbox_counts(response, "key") == {"yes": 1}
    assert result_titles(finder(client, "key=yes")) == ["Certificate in Care"]
