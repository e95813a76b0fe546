"""The clerks' admin (issue 2): every changelist, add and change page answers a superuser
in a number of queries that does not grow with rows; the duplicate warning; each working
group's rights on qualifications and on every import and export; archiving instead of
deleting, with history; the index's count of what needs attention; formula-safe exports."""

import csv
import datetime
import html
import io
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from bundles.models import BundleImport
from commoncore.models import Element, EventKind, ReviewStatus
from iqf.lib.levels import Level
from qualifications.models import Module, Qualification, QualificationModule, Region
from roles.models import Role
from tests.factories import (
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
    PrerequisiteFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
    RegionFactory,
    ReviewEventFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    UserFactory,
)
from tests.pages import form_data
from tests.pages import page_text as text

pytestmark = pytest.mark.django_db

# -- helpers -------------------------------------------------------------------------


def person(*groups: str, **kwargs):
    """A staff user in the named working groups (migrations 0003, 0005 and 0007)."""
    user = UserFactory(**kwargs)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


@pytest.fixture
def clerk():
    return person("Data clerk")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def admin_import(client: Client, label: str, rows: str):
    """Upload a CSV file on the model's admin import page and confirm the preview."""
    form = client.get(admin_url(label, "import")).context["form"]
    choice = next(value for value, title in form.fields["format"].choices if title == "csv")
    upload = io.BytesIO(rows.encode())
    upload.name = "sheet.csv"
    preview = client.post(admin_url(label, "import"),
                          {"format": choice, "resource": "0", "import_file": upload})
    assert preview.context["confirm_form"] is not None, "the preview refused the file"
    return client.post(admin_url(label, "process_import"), preview.context["confirm_form"].initial,
                       follow=True)


def measured_get(client: Client, url: str):
    """The response to GET ``url`` and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- rows for every registered admin -------------------------------------------------
# Each builder makes ``n`` rows of its model with the related rows the changelist could
# be tempted to fetch one row at a time (a qualification's type, body, modules, roles and
# offerings; a role's clusters and qualifications; a review's users...).


def build_users(n: int) -> None:
    clerks = Group.objects.get(name="Data clerk")
    for _ in range(n):
        UserFactory().groups.add(clerks)


def build_groups(n: int) -> None:
    permissions = list(Permission.objects.order_by("pk")[:3])
    for i in range(n):
        Group.objects.create(name=f"Test group {i} {Group.objects.count()}").permissions.add(
            *permissions
        )


def build_qualifications(n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        qualification = QualificationFactory(
            qualification_type=QualificationTypeFactory(),
            awarding_body=AwardingBodyFactory(),
            level=i % 9,
            learning_hours=100 + i,
            last_verified=today - datetime.timedelta(days=200 * (i % 3)),
            status=Qualification.Status.WITHDRAWN if i % 4 == 3 else Qualification.Status.CURRENT,
        )
        for order in range(2):
            QualificationModuleFactory(qualification=qualification, order=order)
        RoleQualificationFactory(qualification=qualification, is_key=i % 2 == 0)
        OfferingFactory(qualification=qualification)
        PrerequisiteFactory(qualification=qualification, of_module=True)


def build_modules(n: int) -> None:
    for i in range(n):
        module = ModuleFactory(level=i % 9, is_archived=i % 5 == 4)
        if i % 3 == 0:
            module.qualification = QualificationFactory()
            module.save()
        for _ in range(i % 3):
            QualificationModuleFactory(module=module)


def build_awarding_bodies(n: int) -> None:
    for _ in range(n):
        body = AwardingBodyFactory()
        QualificationFactory.create_batch(2, awarding_body=body)


def build_qualification_types(n: int) -> None:
    for _ in range(n):
        QualificationFactory(qualification_type=QualificationTypeFactory())


def build_providers(n: int) -> None:
    regions = list(Region.objects.all())
    for i in range(n):
        provider = ProviderFactory(region=regions[i % len(regions)])
        OfferingFactory.create_batch(2, provider=provider)


def build_regions(n: int) -> None:
    RegionFactory.create_batch(n)


def build_schemes(n: int) -> None:
    for _ in range(n):
        ClusterFactory.create_batch(2, scheme=ClusterSchemeFactory())


def build_clusters(n: int) -> None:
    for _ in range(n):
        RoleClusterFactory.create_batch(2, cluster=ClusterFactory())


def build_roles(n: int) -> None:
    for i in range(n):
        role = RoleFactory(level=i % 9)
        RoleClusterFactory(role=role)
        RoleQualificationFactory(role=role, is_key=True)
        RoleQualificationFactory(role=role, is_key=False)


def build_frameworks(n: int) -> None:
    for _ in range(n):
        AreaFactory.create_batch(2, framework=FrameworkFactory())


def build_elements(n: int) -> None:
    ElementFactory.create_batch(n)


def build_reviews(n: int) -> None:
    for i in range(n):
        review = MappingReviewFactory(approved=True) if i % 2 else MappingReviewFactory(submitted=True)
        ReviewEventFactory(review=review)


def build_events(n: int) -> None:
    for i in range(n):
        review = MappingReviewFactory(approved=True)
        ReviewEventFactory(review=review, kind=EventKind.APPROVE if i % 2 else EventKind.SUBMIT,
                           actor=review.moderated_by)


def build_policies(n: int) -> None:
    ModerationPolicyFactory.create_batch(n)


def build_attributes(n: int) -> None:
    elements = list(Element.objects.select_related("area"))
    for i in range(n):
        review = MappingReviewFactory(approved=True)
        if i % 2:
            AttributeFactory(qualification=review.qualification, review=review)
        else:
            element = elements[i % len(elements)]
            membership = QualificationModuleFactory(qualification=review.qualification)
            AttributeFactory(qualification=None, module=membership.module, review=review,
                             area=element.area, element=element)


def build_bundle_imports(n: int) -> None:
    for i in range(n):
        BundleImport.objects.create(name=f"bundle-{i}", imported_by=UserFactory(), created=i)


BUILDERS = {
    "auth.user": build_users,
    "auth.group": build_groups,
    "qualifications.qualification": build_qualifications,
    "qualifications.module": build_modules,
    "qualifications.awardingbody": build_awarding_bodies,
    "qualifications.qualificationtype": build_qualification_types,
    "qualifications.provider": build_providers,
    "qualifications.region": build_regions,
    "roles.clusterscheme": build_schemes,
    "roles.cluster": build_clusters,
    "roles.role": build_roles,
    "commoncore.framework": build_frameworks,
    "commoncore.element": build_elements,
    "commoncore.mappingreview": build_reviews,
    "commoncore.reviewevent": build_events,
    "commoncore.moderationpolicy": build_policies,
    "commoncore.attribute": build_attributes,
    "bundles.bundleimport": build_bundle_imports,
}

REGISTERED = sorted(model._meta.label_lower for model in admin.site._registry)

# Records that change only through a workflow or a migration: their admins list and show
# them but offer no add form.
READ_ONLY = {
    "qualifications.region",
    "commoncore.mappingreview",
    "commoncore.reviewevent",
    "commoncore.moderationpolicy",
    "commoncore.attribute",
    "bundles.bundleimport",
}


def model_of(label: str):
    return next(m for m in admin.site._registry if m._meta.label_lower == label)


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


def qualification_with_inlines(n: int):
    qualification = QualificationFactory(
        qualification_type=QualificationTypeFactory(), awarding_body=AwardingBodyFactory(),
        superseded=True,
    )
    for order in range(n):
        QualificationModuleFactory(qualification=qualification, order=order, mandatory=order % 2 == 0)
        PrerequisiteFactory(qualification=qualification, of_module=order % 2 == 0)
        RoleQualificationFactory(qualification=qualification, is_key=order % 2 == 0)
        OfferingFactory(qualification=qualification)
    return qualification


def role_with_inlines(n: int):
    role = RoleFactory()
    for _ in range(n):
        RoleClusterFactory(role=role)
        RoleQualificationFactory(role=role)
    return role


def cluster_with_inlines(n: int):
    cluster = ClusterFactory()
    RoleClusterFactory.create_batch(n, cluster=cluster)
    return cluster


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
        ReviewEventFactory(review=review, kind=EventKind.RETURN if i % 2 else EventKind.SUBMIT,
                           actor=review.moderated_by if i % 2 else review.mapped_by)
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
    assert str(large) in text(large_page)
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




# -- the duplicate warning -----------------------------------------------------------


def add_qualification(client: Client, **fields):
    """POST the add form as a clerk fills it in: the form as shown, with ``fields``."""
    url = admin_url("qualifications.qualification", "add")
    data = {**form_data(client.get(url)), **{k: str(v) for k, v in fields.items()}}
    return client.post(url, data)


def test_a_title_matching_an_existing_one_is_warned_about_and_not_saved(clerk):
    existing = QualificationFactory(ref="501/0001/1", title="CACHE Level 3 Diploma in Child Care & Education")
    client = client_for(clerk)

    response = add_qualification(client, ref="501/0002/2",
                                 title="cache level three diploma in child care and education")

    assert response.status_code == 200
    page = text(response)
    assert "This looks like a duplicate of" in page
    assert str(existing) in page
    assert admin_url("qualifications.qualification", "change", existing.pk) in response.content.decode()
    assert "Save anyway: this is not a duplicate" in page
    assert not Qualification.objects.filter(ref="501/0002/2").exists()


@pytest.mark.parametrize(("existing_title", "body", "new_title"), [
    ("Diploma in Playwork", "CACHE", "CACHE Diploma in Playwork"),
    ("Certificate in Youth Work L2", "", "Certificate in Youth Work, Level 2"),
    ("Award in Caring for Children and Young People", "", "AWARD IN CARING FOR CHILDREN & YOUNG PEOPLE"),
])
def test_titles_differing_only_in_presentation_are_warned_about(clerk, existing_title, body, new_title):
    awarding_body = AwardingBodyFactory(name=body) if body else None
    QualificationFactory(title=existing_title, awarding_body=awarding_body)
    fields = {"ref": "NEW-1", "title": new_title}
    if awarding_body:
        fields["awarding_body"] = awarding_body.pk

    response = add_qualification(client_for(clerk), **fields)

    assert response.status_code == 200
    assert "This looks like a duplicate of" in text(response)
    assert not Qualification.objects.filter(ref="NEW-1").exists()


def test_ticking_save_anyway_saves_the_likely_duplicate(clerk):
    QualificationFactory(ref="501/0001/1", title="Diploma in Playwork")

    response = add_qualification(client_for(clerk), ref="501/0002/2", title="Diploma in playwork",
                                 confirm_duplicate="on")

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
    older = QualificationFactory(ref="L-OLD", status=Qualification.Status.SUPERSEDED,
                                 superseded_by=newer)
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", newer.pk)
    data = {**form_data(client.get(url)), "status": "superseded", "superseded_by": str(older.pk)}

    response = client.post(url, data)

    assert response.status_code == 200
    assert "This would make a loop of successors: L-NEW → L-OLD → L-NEW" in text(response)
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
    assert "This looks like a duplicate of" in text(warned)
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


def someone(who: str):
    if who == "superuser":
        return UserFactory(is_superuser=True)
    if who == "no group":
        return UserFactory()
    return person(who)


def qualification_url(view: str, qualification) -> str:
    if view in ("change", "history", "delete"):
        return admin_url("qualifications.qualification", view, qualification.pk)
    return admin_url("qualifications.qualification", view)


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
    response = run_action(admin_client, "qualifications.qualification", "delete_selected",
                          [qualification])

    assert "delete_selected" not in [name for name, _ in offered]
    assert response.redirect_chain == [(url, 302)]
    assert "No action selected." in messages_of(response)
    assert Qualification.objects.filter(pk=qualification.pk).exists()


@pytest.mark.parametrize("who", ["Mapper", "Moderator", "Analyst", "no group"])
def test_users_without_the_import_right_cannot_post_an_import(who):
    upload = io.BytesIO(b"ref,title\r\nSNEAKY,Sneaky\r\n")
    upload.name = "qualifications.csv"
    client = client_for(someone(who))

    first = client.post(admin_url("qualifications.qualification", "import"),
                        {"format": "0", "resource": "0", "import_file": upload})
    confirm = client.post(admin_url("qualifications.qualification", "process_import"),
                          {"format": "0", "resource": "0", "import_file_name": "x",
                           "original_file_name": "qualifications.csv"})

    assert first.status_code == 403
    assert confirm.status_code == 403
    assert not Qualification.objects.filter(ref="SNEAKY").exists()


# -- import and export rights on every model -----------------------------------------

CONTENT = {
    "qualifications.qualification", "qualifications.module", "qualifications.awardingbody",
    "qualifications.qualificationtype", "qualifications.provider", "roles.clusterscheme",
    "roles.cluster", "roles.role",
}
MAPPING = {"commoncore.framework", "commoncore.element", "commoncore.mappingreview",
           "commoncore.attribute"}
IMPORTABLE = CONTENT | MAPPING | {"commoncore.moderationpolicy"}
EXPORTABLE = IMPORTABLE | {"commoncore.reviewevent"}
IMPORT_RIGHTS = {
    "Data clerk": CONTENT,
    "Mapper": set(),
    "Moderator": set(),
    "Analyst": set(),
    "no group": set(),
    # grids and judgements move through the workflow or the bundle, never a single sheet
    "superuser": IMPORTABLE - {"commoncore.attribute", "commoncore.moderationpolicy",
                               "commoncore.mappingreview"},
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
    data = {"resource": "0", "format": next(
        value for value, title in form.fields["format"].choices if title == file_format
    )}
    data.update({name: "on" for name, field in form.fields.items()
                 if getattr(field, "is_selectable_field", False)})
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

    rows = csv_rows(export(client_for(clerk), "qualifications.qualification",
                           query="?status__exact=withdrawn"))

    assert [row["ref"] for row in rows] == ["W1"]


# -- archiving instead of deleting ---------------------------------------------------


def run_action(client: Client, label: str, action: str, objs):
    return client.post(admin_url(label, "changelist"), {
        "action": action, "_selected_action": [obj.pk for obj in objs], "index": "0",
    }, follow=True)


def test_withdraw_action_archives_the_selected_qualifications_and_says_how_many(clerk):
    first, second, untouched = QualificationFactory.create_batch(3)
    already = QualificationFactory(withdrawn=True)

    response = run_action(client_for(clerk), "qualifications.qualification", "withdraw",
                          [first, second, already])

    assert response.status_code == 200
    assert messages_of(response) == ["Withdrew 2 qualifications; 1 already withdrawn."]
    statuses = dict(Qualification.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "withdrawn", second.pk: "withdrawn", untouched.pk: "current",
                        already.pk: "withdrawn"}


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
        page.context["action_form"].fields["action"].choices)
    qualification.refresh_from_db()
    assert qualification.status == "current"
    assert qualification.history.count() == 1


def test_withdrawn_qualifications_stay_listed_marked_and_leave_the_current_filter(clerk):
    current = QualificationFactory(ref="CUR-1", title="Current diploma")
    QualificationFactory(ref="WD-1", title="Withdrawn diploma", withdrawn=True)
    client = client_for(clerk)

    everything = client.get(admin_url("qualifications.qualification", "changelist"))
    only_current = client.get(admin_url("qualifications.qualification", "changelist")
                              + "?status__exact=current")

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
    {"qualifications.module": lambda: QualificationModuleFactory(module=chosen),
     "qualifications.awardingbody": lambda: QualificationFactory(awarding_body=chosen),
     "qualifications.provider": lambda: OfferingFactory(provider=chosen),
     "roles.role": lambda: RoleQualificationFactory(role=chosen)}[label]()

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
    saved = client.post(url, {**form_data(client.get(url)), "title": "Extended Diploma in Playwork",
                              "learning_hours": "360"})

    response = client.get(admin_url("qualifications.qualification", "history", qualification.pk))
    page = text(response)

    assert saved.status_code == 302
    assert response.status_code == 200
    assert "Diploma in Playwork → Extended Diploma in Playwork" in page
    assert "120 → 360" in page
    assert clerk.username in page
    assert [r.get_history_type_display() for r in response.context["page_obj"]] == [
        "Changed", "Created"
    ]


def test_history_page_shows_the_archiving_by_the_action(clerk):
    qualification = QualificationFactory()
    client = client_for(clerk)
    run_action(client, "qualifications.qualification", "withdraw", [qualification])

    page = text(client.get(admin_url("qualifications.qualification", "history", qualification.pk)))

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
    return qualification, reverse("admin:qualifications_qualification_simple_history",
                                  args=[qualification.pk, first.pk])


def as_drawn(page) -> dict:
    """What a browser sends from an old version's page: its form, with the stale-edit
    guard's field as the page's HTML draws it (or without it, if the page leaves it out)."""
    data = {key: value for key, value in form_data(page).items() if key != "iqf_loaded_at"}
    data.update(re.findall(r'<input type="hidden" name="(iqf_loaded_at)" value="([^"]*)"',
                           page.content.decode()))
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
        title="Third title", updated_at=qualification.updated_at + datetime.timedelta(seconds=5))

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
    found = re.findall(r'<th scope="row"><a href="([^"]*)">([^<]*)</a></th><td>([^<]*)</td>',
                       response.content.decode())
    return {html.unescape(label): (html.unescape(link), count.strip()) for link, label, count in found}


UNVERIFIED = "Current qualifications not verified in the last 12 months"


@pytest.fixture
def verification_cases():
    """Qualifications verified at various ages (in days; None: never), in every status;
    returns the refs a clerk must re-verify: current ones never verified or verified
    more than a year (365 days) ago."""
    today = timezone.localdate()
    cases = [
        ("never", None, "current"), ("today", 0, "current"), ("months", 100, "current"),
        ("almost-a-year", 364, "current"), ("over-a-year", 366, "current"),
        ("years", 800, "current"), ("never-withdrawn", None, "withdrawn"),
        ("years-withdrawn", 800, "withdrawn"), ("years-superseded", 800, "superseded"),
    ]
    successor = QualificationFactory(ref="successor", last_verified=today)
    for ref, age, status in cases:
        QualificationFactory(
            ref=ref, status=status,
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


# -- two people editing one record ------------------------------------------------------


@pytest.mark.parametrize(("label", "make", "field"), [
    ("qualifications.qualification", lambda: QualificationFactory(title="Original"), "title"),
    ("qualifications.module", lambda: ModuleFactory(title="Original"), "title"),
    ("roles.role", lambda: RoleFactory(title="Original"), "title"),
])
def test_the_later_of_two_saves_from_forms_opened_together_is_refused(clerk, label, make, field):
    record = make()
    other = person("Data clerk")
    first, second = client_for(clerk), client_for(other)
    url = admin_url(label, "change", record.pk)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))

    assert first.post(url, {**first_data, field: "First edit"}).status_code == 302
    refused = second.post(url, {**second_data, field: "Second edit"})

    assert refused.status_code == 200
    page = text(refused)
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
    assert "sent without the time it was opened" in text(refused)
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
