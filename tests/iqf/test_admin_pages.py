"""The clerks' admin (issue 2): every changelist, add and change page answers a superuser
in a number of queries that does not grow with rows; the duplicate warning; each working
group's rights on qualifications and on every import and export; archiving instead of
deleting, with history; the index's count of what needs attention; formula-safe exports."""

import csv
import html
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from openpyxl import load_workbook

from bundles.models import BundleImport
from commoncore.models import EventKind
from iqf.lib.levels import Level
from qualifications.models import Qualification, QualificationModule, Region
from tests.support.admin import (
    BUILDERS,
    READ_ONLY,
    REGISTERED,
    admin_url,
    build_qualifications,
    client_for,
    cluster_with_inlines,
    measured_get,
    model_of,
    qualification_with_inlines,
    role_with_inlines,
    someone,
)
from tests.support.factories import (
    AreaFactory,
    AttributeFactory,
    AwardingBodyFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    ElementFactory,
    FrameworkFactory,
    MappingReviewFactory,
    ModerationPolicyFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
    RegionFactory,
    ReviewEventFactory,
    UserFactory,
)
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db

# -- rows for every registered admin -------------------------------------------------
# Each builder makes ``n`` rows of its model with the related rows the changelist could
# be tempted to fetch one row at a time (a qualification's type, body, modules, roles and
# offerings; a role's clusters and qualifications; a review's users...).


# Records that change only through a workflow or a migration: their admins list and show
# them but offer no add form.


def test_every_registered_admin_has_a_row_builder():
    assert set(REGISTERED) == set(BUILDERS)


# -- changelists ---------------------------------------------------------------------


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_takes_as_many_queries_for_25_rows_as_for_5(admin_client, label):
    build = BUILDERS[label]
    url = admin_url(label, "changelist")
    build(5)
    admin_client.get(url)  # the session and content types are cached from here on
    few, few_queries = measured_get(admin_client, url)
    build(20)
    many, many_queries = measured_get(admin_client, url)

    assert few.status_code == 200
    assert many.status_code == 200
    # Nothing is hidden by default: the list counts every row of the table.
    assert many.context["cl"].result_count == model_of(label)._default_manager.count()
    assert many.context["cl"].result_count - few.context["cl"].result_count >= 20
    assert many_queries == few_queries, (
        f"{label}: {few_queries} queries for the smaller list, {many_queries} for the larger"
    )


def test_qualification_changelist_of_30_rows_stays_within_its_query_budget(
    admin_client, django_assert_max_num_queries
):
    build_qualifications(30)
    url = admin_url("qualifications.qualification", "changelist")
    admin_client.get(url)
    # session, user; the type and awarding-body filters' choices (2); the filtered and the
    # full count (2); the page's rows with their modules counted (1): 7, whatever the number
    # of rows. Facet counts are not computed unless asked for.
    with django_assert_max_num_queries(7):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 30
    assert len(response.context["cl"].result_list) == 30
    shown = {q.ref: q.module_total for q in response.context["cl"].result_list}
    linked = {ref: 0 for ref in shown}
    for ref in QualificationModule.objects.values_list("qualification__ref", flat=True):
        linked[ref] += 1
    assert shown == linked


def test_changelist_facet_counts_come_when_asked_for(admin_client):
    build_qualifications(3)
    url = admin_url("qualifications.qualification", "changelist")
    plain = admin_client.get(url)
    assert "Show counts" in plain.content.decode()
    counted = admin_client.get(url, {"_facets": "True"})
    assert counted.status_code == 200
    levels = {q.level for q in Qualification.objects.all()}
    # each level's filter entry carries how many qualifications it has, e.g. "Level 3 (2)"
    text = counted.content.decode()
    for level in levels - {None}:
        n = Qualification.objects.filter(level=level).count()
        assert f"{Level(level).label} ({n})" in text, level


def test_qualification_changelist_takes_as_many_queries_for_a_clerk_with_25_rows_as_with_5(clerk):
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "changelist")
    build_qualifications(5)
    client.get(url)
    few, few_queries = measured_get(client, url)
    build_qualifications(20)
    many, many_queries = measured_get(client, url)

    assert few.status_code == many.status_code == 200
    assert many.context["cl"].result_count == 25
    assert many_queries == few_queries


# -- add and change forms ------------------------------------------------------------
# An object of each model with ``n`` rows in every inline its change form shows.


def scheme_with_inlines(n: int):
    scheme = ClusterSchemeFactory()
    ClusterFactory.create_batch(n, scheme=scheme)
    return scheme


def framework_with_inlines(n: int):
    framework = FrameworkFactory()
    AreaFactory.create_batch(n, framework=framework)
    return framework


def review_with_inlines(n: int):
    review = MappingReviewFactory(approved=True)
    for i in range(n):
        ReviewEventFactory(
            review=review,
            kind=EventKind.RETURN if i % 2 else EventKind.SUBMIT,
            actor=review.moderated_by if i % 2 else review.mapped_by,
        )
    return review


def module_used_by(n: int):
    module = ModuleFactory(qualification=QualificationFactory())
    QualificationModuleFactory.create_batch(n, module=module)
    return module


def body_of(n: int):
    body = AwardingBodyFactory()
    QualificationFactory.create_batch(n, awarding_body=body)
    return body


def provider_with(n: int):
    provider = ProviderFactory(region=Region.objects.first())
    OfferingFactory.create_batch(n, provider=provider)
    return provider


def type_of(n: int):
    kind = QualificationTypeFactory()
    QualificationFactory.create_batch(n, qualification_type=kind)
    return kind


def user_in(n: int):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.order_by("pk")[:n])
    return user


def group_with(n: int):
    group = Group.objects.create(name=f"Group of {n}")
    group.permissions.add(*Permission.objects.order_by("pk")[:n])
    return group


ONE_OBJECT = {
    "auth.user": user_in,
    "auth.group": group_with,
    "qualifications.qualification": qualification_with_inlines,
    "qualifications.module": module_used_by,
    "qualifications.awardingbody": body_of,
    "qualifications.qualificationtype": type_of,
    "qualifications.provider": provider_with,
    "qualifications.region": lambda n: RegionFactory(),
    "roles.clusterscheme": scheme_with_inlines,
    "roles.cluster": cluster_with_inlines,
    "roles.role": role_with_inlines,
    "commoncore.framework": framework_with_inlines,
    "commoncore.element": lambda n: ElementFactory(),
    "commoncore.mappingreview": review_with_inlines,
    "commoncore.reviewevent": lambda n: ReviewEventFactory(),
    "commoncore.moderationpolicy": lambda n: ModerationPolicyFactory(),
    "commoncore.attribute": lambda n: AttributeFactory(review=MappingReviewFactory(approved=True)),
    "bundles.bundleimport": lambda n: BundleImport.objects.create(name="b", imported_by=UserFactory()),
}


def test_every_registered_admin_has_an_object_builder():
    assert set(REGISTERED) == set(ONE_OBJECT)


@pytest.mark.parametrize("label", REGISTERED)
def test_change_form_takes_as_many_queries_with_20_inline_rows_as_with_3(admin_client, label):
    build = ONE_OBJECT[label]
    small, large = build(3), build(20)
    admin_client.get(admin_url(label, "change", small.pk))
    small_page, small_queries = measured_get(admin_client, admin_url(label, "change", small.pk))
    large_page, large_queries = measured_get(admin_client, admin_url(label, "change", large.pk))

    assert small_page.status_code == 200
    assert large_page.status_code == 200
    assert str(large) in page_text(large_page)
    assert large_queries == small_queries, (
        f"{label}: {small_queries} queries with 3 inline rows, {large_queries} with 20"
    )


@pytest.mark.parametrize("label", sorted(set(REGISTERED) - READ_ONLY))
def test_add_form_takes_as_many_queries_with_25_records_as_with_5(admin_client, label):
    url = admin_url(label, "add")
    BUILDERS[label](5)
    admin_client.get(url)
    few, few_queries = measured_get(admin_client, url)
    BUILDERS[label](20)
    many, many_queries = measured_get(admin_client, url)

    assert few.status_code == 200
    assert many.status_code == 200
    assert many.context["add"] is True
    assert many_queries == few_queries


@pytest.mark.parametrize("label", sorted(READ_ONLY))
def test_records_changed_only_by_workflow_or_migration_have_no_add_form(admin_client, label):
    assert admin_client.get(admin_url(label, "add")).status_code == 403


def test_inline_rows_show_their_chosen_modules_roles_and_providers(admin_client):
    qualification = qualification_with_inlines(4)
    response = admin_client.get(admin_url("qualifications.qualification", "change", qualification.pk))
    page = response.content.decode()

    assert response.status_code == 200
    chosen = [m.module for m in qualification.memberships.all()]
    chosen += [link.role for link in qualification.role_links.all()]
    chosen += [offering.provider for offering in qualification.offerings.all()]
    chosen += [p.required_qualification or p.required_module for p in qualification.prerequisites.all()]
    assert len(chosen) == 16
    for obj in chosen:
        assert f'<option value="{obj.pk}" selected>{html.escape(str(obj))}</option>' in page


def test_cluster_page_lists_and_adds_roles(admin_client):
    cluster = cluster_with_inlines(2)
    response = admin_client.get(admin_url("roles.cluster", "change", cluster.pk))
    formset = response.context["inline_admin_formsets"][0].formset

    assert response.status_code == 200
    assert "role" in formset.forms[0].fields
    page = response.content.decode()
    for link in cluster.role_links.all():
        assert f'<option value="{link.role.pk}" selected>{html.escape(link.role.title)}</option>' in page


# -- posting admin forms -------------------------------------------------------------


# -- import and export rights on every model -----------------------------------------

CONTENT = {
    "qualifications.qualification",
    "qualifications.module",
    "qualifications.awardingbody",
    "qualifications.qualificationtype",
    "qualifications.provider",
    "roles.clusterscheme",
    "roles.cluster",
    "roles.role",
}
MAPPING = {"commoncore.framework", "commoncore.element", "commoncore.mappingreview", "commoncore.attribute"}
IMPORTABLE = CONTENT | MAPPING | {"commoncore.moderationpolicy"}
EXPORTABLE = IMPORTABLE | {"commoncore.reviewevent"}
IMPORT_RIGHTS = {
    "Data clerk": CONTENT,
    "Mapper": set(),
    "Moderator": set(),
    "Analyst": set(),
    "no group": set(),
    # grids and judgements move through the workflow or the bundle, never a single sheet
    "superuser": IMPORTABLE
    - {"commoncore.attribute", "commoncore.moderationpolicy", "commoncore.mappingreview"},
}
EXPORT_RIGHTS = {
    "Data clerk": CONTENT,
    "Mapper": set(),
    "Moderator": {"commoncore.mappingreview", "commoncore.attribute", "commoncore.reviewevent"},
    "Analyst": CONTENT | MAPPING | {"commoncore.reviewevent", "commoncore.moderationpolicy"},
    "no group": set(),
    "superuser": EXPORTABLE,
}


def has_url(label: str, view: str) -> bool:
    try:
        admin_url(label, view)
    except Exception:
        return False
    return True


def test_import_and_export_pages_are_the_expected_ones():
    assert {label for label in REGISTERED if has_url(label, "import")} == IMPORTABLE
    assert {label for label in REGISTERED if has_url(label, "export")} == EXPORTABLE


@pytest.mark.parametrize("who", list(IMPORT_RIGHTS))
@pytest.mark.parametrize("label", sorted(IMPORTABLE))
def test_import_page_answers_only_those_with_the_import_right(who, label):
    response = client_for(someone(who)).get(admin_url(label, "import"))

    assert response.status_code == (200 if label in IMPORT_RIGHTS[who] else 403)


@pytest.mark.parametrize("who", list(EXPORT_RIGHTS))
@pytest.mark.parametrize("label", sorted(EXPORTABLE))
def test_export_page_answers_only_those_with_the_export_right(who, label):
    ONE_OBJECT[label](2)

    response = client_for(someone(who)).get(admin_url(label, "export"))

    assert response.status_code == (200 if label in EXPORT_RIGHTS[who] else 403)


# -- exports -------------------------------------------------------------------------


def export(client: Client, label: str, file_format: str = "csv", query: str = ""):
    """Download the export of ``label`` as the export page offers it, every column ticked."""
    url = admin_url(label, "export") + query
    form = client.get(url).context["form"]
    data = {
        "resource": "0",
        "format": next(value for value, title in form.fields["format"].choices if title == file_format),
    }
    data.update(
        {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    )
    return client.post(url, data)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("label", sorted(EXPORTABLE))
def test_export_download_of_every_exportable_model_gives_one_row_per_record(admin_client, label):
    ONE_OBJECT[label](2)

    response = export(admin_client, label)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(csv_rows(response)) == model_of(label)._default_manager.count()


FORMULAE = [
    '=HYPERLINK("http://evil.example","Click")',
    "+1+2",
    "-3+4",
    "@SUM(A1:A2)",
    "\tTabbed title",
    "\rReturned title",
    "'Quoted title",
]


def test_qualification_export_neutralises_every_cell_a_spreadsheet_would_run(clerk):
    for i, title in enumerate(FORMULAE):
        QualificationFactory(ref=f"F{i}", title=title, learning_hours=120 + i, notes="=1+1")
    QualificationFactory(ref="SAFE", title="Diploma in Playwork", learning_hours=None, notes="")

    response = export(client_for(clerk), "qualifications.qualification")
    rows = {row["ref"]: row for row in csv_rows(response)}

    assert response.status_code == 200
    for i, title in enumerate(FORMULAE):
        assert rows[f"F{i}"]["title"] == "'" + title
        assert rows[f"F{i}"]["notes"] == "'=1+1"
        assert rows[f"F{i}"]["learning_hours"] == str(120 + i)
    assert rows["SAFE"]["title"] == "Diploma in Playwork"
    assert rows["SAFE"]["learning_hours"] == ""
    assert rows["SAFE"]["notes"] == ""


def test_qualification_xlsx_export_holds_the_formula_as_text(clerk):
    QualificationFactory(ref="F0", title=FORMULAE[0])

    response = export(client_for(clerk), "qualifications.qualification", file_format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("title") + 1)

    assert response.status_code == 200
    assert cell.data_type == "s"
    assert cell.value == "'" + FORMULAE[0]


def test_mapping_event_export_neutralises_notes(admin_client):
    ReviewEventFactory(note="=cmd|' /C calc'!A0")

    rows = csv_rows(export(admin_client, "commoncore.reviewevent"))

    assert [row["note"] for row in rows] == ["'=cmd|' /C calc'!A0"]


def test_export_gives_what_the_filtered_changelist_shows(clerk):
    QualificationFactory(ref="C1")
    QualificationFactory(ref="W1", withdrawn=True)

    rows = csv_rows(
        export(client_for(clerk), "qualifications.qualification", query="?status__exact=withdrawn")
    )

    assert [row["ref"] for row in rows] == ["W1"]
