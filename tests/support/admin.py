"""Helpers for tests of the admin: people in working groups, their clients, admin addresses,
uploads and actions, and a builder of rows for every registered admin."""

import datetime
import io

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bundles.models import BundleImport
from commoncore.models import Element, EventKind
from qualifications.models import Qualification, Region
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


def person(*groups: str, **kwargs):
    """A staff user in the named working groups (migrations 0003, 0005 and 0007)."""
    user = UserFactory(**kwargs)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


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
    preview = client.post(
        admin_url(label, "import"), {"format": choice, "resource": "0", "import_file": upload}
    )
    assert preview.context["confirm_form"] is not None, "the preview refused the file"
    return client.post(
        admin_url(label, "process_import"), preview.context["confirm_form"].initial, follow=True
    )


def measured_get(client: Client, url: str):
    """The response to GET ``url`` and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def build_users(n: int) -> None:
    clerks = Group.objects.get(name="Data clerk")
    for _ in range(n):
        UserFactory().groups.add(clerks)


def build_groups(n: int) -> None:
    permissions = list(Permission.objects.order_by("pk")[:3])
    for i in range(n):
        Group.objects.create(name=f"Test group {i} {Group.objects.count()}").permissions.add(*permissions)


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
        ReviewEventFactory(
            review=review, kind=EventKind.APPROVE if i % 2 else EventKind.SUBMIT, actor=review.moderated_by
        )


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
            AttributeFactory(
                qualification=None,
                module=membership.module,
                review=review,
                area=element.area,
                element=element,
            )


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


def run_action(client: Client, label: str, action: str, objs):
    return client.post(
        admin_url(label, "changelist"),
        {
            "action": action,
            "_selected_action": [obj.pk for obj in objs],
            "index": "0",
        },
        follow=True,
    )


def qualification_with_inlines(n: int):
    qualification = QualificationFactory(
        qualification_type=QualificationTypeFactory(),
        awarding_body=AwardingBodyFactory(),
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
