"""Who may do what: every actor against every main public page and admin screen, with the
exact status each must get, so that a change to a permission, a group or an admin shows up
as a failing cell.

The actors are an anonymous visitor; a signed-in Data clerk who is not staff; a Data clerk
whose account was deactivated while signed in (the session is then anonymous); a staff user
in no group; one staff user per working group (migrations commoncore 0003, 0005 and 0007);
and a superuser. What the groups may do, from those migrations:

* every group views every record of the content (qualifications, modules, bodies, types,
  providers, offerings, schemes, clusters, roles and their links), the mapping records
  (frameworks, areas, elements, grids, judgements), regions, grid marks, moderation
  policies and review events;
* Data clerk: also adds, changes, imports and exports the content, archives (withdraws)
  qualifications, removes links, and reads the log of bundle imports;
* Mapper: also maps (``map_review``);
* Moderator: also moderates (``moderate_review``), sets policies and exports grids,
  judgements and events;
* Analyst: also exports the content, the mapping records, events and policies, and reads
  the log of bundle imports;
* nobody in a group has any right on users or groups.

The admins then narrow these: nothing is deleted through the admin, by anyone, not even a
superuser (records are archived); grids, events, policies, judgements and the bundle log
are read there and written only by the workflow or the bundle import, so they have no add
form and their change forms are read-only for everybody.

The matrix (``MATRIX``) is the specification: one row per (endpoint, method), one column per
actor. Each cell is its own test case, named ``actor-METHOD-endpoint``. The forged-request
tests after it check that what a refused or ignored request carried changed nothing.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from bundles.models import BundleImport
from commoncore.models import Attribute, Framework, MappingReview, ReviewStatus
from qualifications.models import AwardingBody, Module, Provider, Qualification
from roles.models import Cluster, ClusterScheme, Role
from tests.support.factories import (
    AttributeFactory,
    AwardingBodyFactory,
    BundleImportFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    MappingReviewFactory,
    ModerationPolicyFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    ReviewEventFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    UserFactory,
    default_framework,
)
from tests.support.pages import form_data

pytestmark = pytest.mark.django_db

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]

#: The columns of the matrix, in order.
ACTORS = ("anon", "nonstaff", "inactive", "staff", "clerk", "mapper", "moderator", "analyst", "superuser")
#: Actors the admin does not let in at all: it sends them to its sign-in page.
OUTSIDERS = {"anon", "nonstaff", "inactive"}
GROUP_OF = {"clerk": "Data clerk", "mapper": "Mapper", "moderator": "Moderator", "analyst": "Analyst"}


# -- the world the URLs point into, built once for the module ---------------------------


@dataclass
class World:
    """The records every URL of the matrix points at, and a signed-in session per actor."""

    sessions: dict[str, str] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    qualification: Qualification | None = None
    module: Module | None = None
    body: AwardingBody | None = None
    provider: Provider | None = None
    scheme: ClusterScheme | None = None
    cluster: Cluster | None = None
    role: Role | None = None
    other_role: Role | None = None
    framework: Framework | None = None
    #: a grid awaiting moderation, of another qualification
    review: MappingReview | None = None
    #: the qualification's first version in its history
    version_id: int = 0
    bundle_import: BundleImport | None = None

    def client(self, actor: str) -> Client:
        client = Client()
        if actor != "anon":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[actor]
        return client


def person(*groups: str, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


def build_world() -> World:
    world = World()
    users = {
        "nonstaff": person("Data clerk", username="authz-nonstaff", is_staff=False),
        "inactive": person("Data clerk", username="authz-inactive", is_active=False),
        "staff": person(username="authz-staff"),
        "superuser": UserFactory(username="authz-superuser", is_superuser=True),
    }
    for actor, group in GROUP_OF.items():
        users[actor] = person(group, username=f"authz-{actor}")
    world.users = users
    for actor, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value

    world.framework = default_framework()
    world.body = AwardingBodyFactory()
    world.qualification = QualificationFactory(awarding_body=world.body, level=3)
    # a second version, for the history pages
    world.qualification.last_verified = timezone.localdate() - datetime.timedelta(days=30)
    world.qualification.save()
    world.version_id = world.qualification.history.order_by("history_date").first().history_id
    world.module = ModuleFactory(level=3)
    QualificationModuleFactory(qualification=world.qualification, module=world.module)
    world.provider = ProviderFactory()
    OfferingFactory(provider=world.provider, qualification=world.qualification)
    world.scheme = ClusterSchemeFactory(is_default=True)
    world.cluster = ClusterFactory(scheme=world.scheme)
    world.role = RoleFactory(level=3)
    world.other_role = RoleFactory(level=4)
    for role in (world.role, world.other_role):
        RoleClusterFactory(role=role, cluster=world.cluster)
        RoleQualificationFactory(role=role, qualification=world.qualification, is_key=True)
    # a grid awaiting moderation, mapped by someone who is none of the actors
    world.review = MappingReviewFactory(
        qualification=QualificationFactory(),
        submitted=True,
        mapped_by=person("Mapper", username="authz-other-mapper"),
    )
    ReviewEventFactory(review=world.review)
    ModerationPolicyFactory(mapper=world.review.mapped_by, set_by=users["superuser"])
    AttributeFactory(qualification=QualificationFactory())
    world.bundle_import = BundleImportFactory(imported_by=users["superuser"])
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once, rolled back at the end; each test runs in its own rolled-back savepoint
    within it, so a request that writes (a saved draft, an action) leaves nothing behind."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(PASSWORD_HASHERS=MD5):
        yield build_world()
        transaction.set_rollback(True)


# -- the endpoints -------------------------------------------------------------------


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


@dataclass(frozen=True)
class Endpoint:
    url: Callable[[World], str]
    #: what a POST sends
    data: Callable[[World], dict] = lambda w: {}
    #: behind the admin's sign-in
    admin: bool = True


ENDPOINTS: dict[str, Endpoint] = {
    # public pages
    "public-home": Endpoint(lambda w: reverse("home"), admin=False),
    "public-clusters": Endpoint(lambda w: reverse("roles:scheme-index"), admin=False),
    "public-scheme": Endpoint(lambda w: reverse("roles:scheme-detail", args=[w.scheme.slug]), admin=False),
    "public-cluster": Endpoint(
        lambda w: reverse("roles:cluster-detail", args=[w.scheme.slug, w.cluster.slug]), admin=False
    ),
    "public-role": Endpoint(lambda w: reverse("roles:role-detail", args=[w.role.slug]), admin=False),
    "public-role-move": Endpoint(
        lambda w: f"{reverse('roles:role-move')}?from={w.role.slug}&to={w.other_role.slug}", admin=False
    ),
    "public-finder": Endpoint(lambda w: reverse("qualifications:finder"), admin=False),
    "public-qualification": Endpoint(
        lambda w: reverse("qualifications:qualification-detail", args=[w.qualification.ref]), admin=False
    ),
    "public-module": Endpoint(
        lambda w: reverse("qualifications:module-detail", args=[w.module.ref]), admin=False
    ),
    "public-providers": Endpoint(lambda w: reverse("qualifications:provider-directory"), admin=False),
    "public-common-core": Endpoint(lambda w: reverse("commoncore:framework"), admin=False),
    "public-framework": Endpoint(
        lambda w: reverse("commoncore:framework-detail", args=[w.framework.slug]), admin=False
    ),
    "public-reports": Endpoint(lambda w: reverse("reports:index"), admin=False),
    "public-report": Endpoint(lambda w: reverse("reports:report", args=["coverage"]), admin=False),
    "public-report-csv": Endpoint(lambda w: reverse("reports:report-csv", args=["coverage"]), admin=False),
    "public-report-xlsx": Endpoint(lambda w: reverse("reports:report-xlsx", args=["coverage"]), admin=False),
    "health": Endpoint(lambda w: reverse("health"), admin=False),
    # the admin's own pages
    "admin-login": Endpoint(lambda w: reverse("admin:login"), admin=False),
    "admin-index": Endpoint(lambda w: reverse("admin:index")),
    "admin-own-password": Endpoint(lambda w: reverse("admin:password_change")),
    "awarding-body-autocomplete": Endpoint(
        lambda w: (
            reverse("admin:autocomplete")
            + "?app_label=qualifications&model_name=qualification&field_name=awarding_body&term=A"
        )
    ),
    # qualification screens beyond the common ones
    "qualification-withdraw-action": Endpoint(
        lambda w: admin_url("qualifications.qualification", "changelist"),
        lambda w: {"action": "withdraw", "index": "0", "_selected_action": [str(w.qualification.pk)]},
    ),
    "qualification-history-version": Endpoint(
        lambda w: reverse(
            "admin:qualifications_qualification_simple_history", args=[w.qualification.pk, w.version_id]
        )
    ),
    "qualification-import": Endpoint(lambda w: admin_url("qualifications.qualification", "import")),
    "qualification-process-import": Endpoint(
        lambda w: admin_url("qualifications.qualification", "process_import")
    ),
    "qualification-export": Endpoint(lambda w: admin_url("qualifications.qualification", "export")),
    # a sheet of grids could publish someone's work under any moderator's name
    "mapping-review-import": Endpoint(lambda w: admin_url("commoncore.mappingreview", "import")),
    "mapping-review-process-import": Endpoint(
        lambda w: admin_url("commoncore.mappingreview", "process_import")
    ),
    # the mapping workflow's pages (commoncore.admin_views)
    "mapping-queue": Endpoint(lambda w: reverse("admin:commoncore_queue")),
    "mapping-mappers": Endpoint(lambda w: reverse("admin:commoncore_mappers")),
    "mapping-grids": Endpoint(lambda w: reverse("admin:commoncore_grids", args=[w.qualification.pk])),
    "mapping-grid": Endpoint(
        lambda w: reverse("admin:commoncore_grid", args=[w.qualification.pk, w.framework.slug]),
        lambda w: {"version": "", "_save": "1"},
    ),
    "mapping-moderate": Endpoint(lambda w: reverse("admin:commoncore_moderate", args=[w.review.pk])),
    # users and groups
    "user-changelist": Endpoint(lambda w: admin_url("auth.user", "changelist")),
    "user-change": Endpoint(lambda w: admin_url("auth.user", "change", w.users["clerk"].pk)),
    "user-password": Endpoint(lambda w: admin_url("auth.user", "password_change", w.users["clerk"].pk)),
    "group-changelist": Endpoint(lambda w: admin_url("auth.group", "changelist")),
    # who mapped a grid: searching users goes by the right to view users
    "user-autocomplete": Endpoint(
        lambda w: (
            reverse("admin:autocomplete")
            + "?app_label=commoncore&model_name=mappingreview&field_name=mapped_by&term=authz"
        )
    ),
    "bundle-import-change": Endpoint(
        lambda w: admin_url("bundles.bundleimport", "change", w.bundle_import.pk)
    ),
}

#: The main models: changelist, add, change, history and delete screens of each.
MAIN_MODELS = {
    "qualification": ("qualifications.qualification", lambda w: w.qualification),
    "module": ("qualifications.module", lambda w: w.module),
    "awarding-body": ("qualifications.awardingbody", lambda w: w.body),
    "provider": ("qualifications.provider", lambda w: w.provider),
    "role": ("roles.role", lambda w: w.role),
    "cluster": ("roles.cluster", lambda w: w.cluster),
    "mapping-review": ("commoncore.mappingreview", lambda w: w.review),
    "framework": ("commoncore.framework", lambda w: w.framework),
}
for _name, (_label, _obj) in MAIN_MODELS.items():
    ENDPOINTS[f"{_name}-changelist"] = Endpoint(lambda w, label=_label: admin_url(label, "changelist"))
    ENDPOINTS[f"{_name}-add"] = Endpoint(lambda w, label=_label: admin_url(label, "add"))
    ENDPOINTS[f"{_name}-change"] = Endpoint(
        lambda w, label=_label, obj=_obj: admin_url(label, "change", obj(w).pk)
    )
    ENDPOINTS[f"{_name}-history"] = Endpoint(
        lambda w, label=_label, obj=_obj: admin_url(label, "history", obj(w).pk)
    )
    ENDPOINTS[f"{_name}-delete"] = Endpoint(
        lambda w, label=_label, obj=_obj: admin_url(label, "delete", obj(w).pk), lambda w: {"post": "yes"}
    )

#: The other registered models: their changelists.
OTHER_CHANGELISTS = {
    "qualification-type": "qualifications.qualificationtype",
    "region": "qualifications.region",
    "cluster-scheme": "roles.clusterscheme",
    "element": "commoncore.element",
    "review-event": "commoncore.reviewevent",
    "moderation-policy": "commoncore.moderationpolicy",
    "attribute": "commoncore.attribute",
    "bundle-import": "bundles.bundleimport",
}
for _name, _label in OTHER_CHANGELISTS.items():
    ENDPOINTS[f"{_name}-changelist"] = Endpoint(lambda w, label=_label: admin_url(label, "changelist"))


# -- the matrix ----------------------------------------------------------------------


def row(*statuses: int) -> dict[str, int]:
    assert len(statuses) == len(ACTORS)
    return dict(zip(ACTORS, statuses, strict=True))


# Public pages answer everybody alike and only to GET (and HEAD); the admin sends outsiders
# (anon, nonstaff, inactive) to its sign-in page (302), refuses what a staff user has no right to
# (403) and shows a form with errors (200) to one who may send it but sent nothing valid.
# The workflow's pages answer a malformed but permitted post with 400.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    # columns: anon, nonstaff, inactive, staff, clerk, mapper, moderator, analyst, superuser
    #                                             anon nstf inac stff clrk mapr modr anlt supr
    ("public-home", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-home", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-clusters", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-clusters", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-scheme", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-scheme", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-cluster", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-cluster", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-role", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-role", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-role-move", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-role-move", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-finder", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-finder", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-qualification", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-qualification", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-module", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-module", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-providers", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-providers", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-common-core", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-common-core", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-framework", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-framework", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-reports", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-reports", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-report", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-report", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-report-csv", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-report-csv", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("public-report-xlsx", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("public-report-xlsx", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ("health", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    ("health", "POST"): row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    # the sign-in page sends whoever is already let in to the index
    ("admin-login", "GET"): row(200, 200, 200, 302, 302, 302, 302, 302, 302),
    ("admin-index", "GET"): row(302, 302, 302, 200, 200, 200, 200, 200, 200),
    # every staff user may change their own password
    ("admin-own-password", "GET"): row(302, 302, 302, 200, 200, 200, 200, 200, 200),
    ("awarding-body-autocomplete", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    # qualifications: clerks write, everyone in a group reads
    ("qualification-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("qualification-add", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("qualification-add", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("qualification-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("qualification-change", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("qualification-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("qualification-history-version", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("qualification-history-version", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("qualification-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("qualification-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    # withdrawing is done (302 back to the list) by clerks; readers have no action at all,
    # so the forged action is ignored and the list shown again (200)
    ("qualification-withdraw-action", "POST"): row(302, 302, 302, 403, 302, 200, 200, 200, 302),
    ("qualification-import", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("qualification-import", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    # the confirm step of an import answers only a POST (405 to a GET, once let in)
    ("qualification-process-import", "GET"): row(302, 302, 302, 405, 405, 405, 405, 405, 405),
    ("qualification-process-import", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    # grids are never imported through the admin, not even by a superuser
    ("mapping-review-import", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("mapping-review-import", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("mapping-review-process-import", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("qualification-export", "GET"): row(302, 302, 302, 403, 200, 403, 403, 200, 200),
    ("qualification-export", "POST"): row(302, 302, 302, 403, 200, 403, 403, 200, 200),
    ("module-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("module-add", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("module-add", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("module-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("module-change", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("module-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("module-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("module-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("awarding-body-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("awarding-body-add", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("awarding-body-add", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("awarding-body-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("awarding-body-change", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("awarding-body-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("awarding-body-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("awarding-body-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("provider-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("provider-add", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("provider-add", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("provider-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("provider-change", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("provider-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("provider-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("provider-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("role-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("role-add", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("role-add", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("role-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("role-change", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("role-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("role-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("role-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("cluster-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("cluster-add", "GET"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("cluster-add", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("cluster-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("cluster-change", "POST"): row(302, 302, 302, 403, 200, 403, 403, 403, 200),
    ("cluster-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("cluster-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("cluster-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    # grids change only through the workflow's pages: no add form, read-only for everybody
    ("mapping-review-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-review-add", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("mapping-review-add", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("mapping-review-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-review-change", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("mapping-review-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-review-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("mapping-review-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    # frameworks: every group reads them; only a superuser writes
    ("framework-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("framework-add", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("framework-add", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("framework-change", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("framework-change", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("framework-history", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("framework-delete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("framework-delete", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 403),
    ("qualification-type-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("region-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("cluster-scheme-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("element-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("review-event-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("moderation-policy-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("attribute-changelist", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    # the log of bundle imports: clerks and analysts only (migration 0007)
    ("bundle-import-changelist", "GET"): row(302, 302, 302, 403, 200, 403, 403, 200, 200),
    ("bundle-import-change", "GET"): row(302, 302, 302, 403, 200, 403, 403, 200, 200),
    # the mapping workflow: everyone in a group sees grids and policies; a mapper saves a
    # draft (302 back to the grid); a moderator's empty post is malformed (400)
    ("mapping-queue", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-mappers", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-mappers", "POST"): row(302, 302, 302, 403, 403, 403, 400, 403, 400),
    ("mapping-grids", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-grid", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-grid", "POST"): row(302, 302, 302, 403, 403, 302, 403, 403, 302),
    ("mapping-moderate", "GET"): row(302, 302, 302, 403, 200, 200, 200, 200, 200),
    ("mapping-moderate", "POST"): row(302, 302, 302, 403, 403, 403, 400, 403, 400),
    # users and groups: nobody but a superuser
    ("user-changelist", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("user-change", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("user-change", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("user-password", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("user-password", "POST"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("group-changelist", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
    ("user-autocomplete", "GET"): row(302, 302, 302, 403, 403, 403, 403, 403, 200),
}

#: Where a permitted request that is answered 302 goes: the index for the sign-in page of
#: someone signed in already, back to the list after an action, back to the grid after a save.
REDIRECTS: dict[str, Callable[[World], str]] = {
    "admin-login": lambda w: reverse("admin:index"),
    "qualification-withdraw-action": ENDPOINTS["qualification-withdraw-action"].url,
    "mapping-grid": ENDPOINTS["mapping-grid"].url,
}

CELLS = [
    pytest.param(actor, method, endpoint, expected, id=f"{actor}-{method}-{endpoint}")
    for (endpoint, method), statuses in MATRIX.items()
    for actor, expected in statuses.items()
]


def test_the_matrix_covers_every_endpoint_for_every_actor():
    assert {endpoint for endpoint, _ in MATRIX} == set(ENDPOINTS)
    assert all(tuple(statuses) == ACTORS for statuses in MATRIX.values())
    assert all(method in ("GET", "POST") for _, method in MATRIX)


def test_the_matrix_covers_every_main_admin_screen():
    names = {endpoint for endpoint, _ in MATRIX}
    for model in MAIN_MODELS:
        for view in ("changelist", "add", "change", "history", "delete"):
            assert f"{model}-{view}" in names
    # and every registered model has its changelist in it
    labels = {label for label, _ in MAIN_MODELS.values()} | set(OTHER_CHANGELISTS.values())
    labels |= {"auth.user", "auth.group"}
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == labels


def request(client: Client, method: str, url: str, data: dict):
    if method == "GET":
        return client.get(url)
    return client.post(url, data)


@pytest.mark.parametrize(("actor", "method", "endpoint", "expected"), CELLS)
def test_authorisation(world, actor, method, endpoint, expected):
    spec = ENDPOINTS[endpoint]
    url = spec.url(world)

    response = request(world.client(actor), method, url, spec.data(world))

    assert response.status_code == expected, (
        f"{actor} {method} {url}: {response.status_code}, expected {expected}"
    )
    if spec.admin and actor in OUTSIDERS:
        # to the admin's sign-in page, and back here afterwards
        location = urlsplit(response["Location"])
        assert location.path == reverse("admin:login")
        assert parse_qs(location.query)["next"] == [url]
    elif expected == 302:
        assert response["Location"] == REDIRECTS[endpoint](world)


# -- forged requests -----------------------------------------------------------------


def review_state(review: MappingReview) -> tuple:
    review.refresh_from_db()
    return (
        review.status,
        review.moderated_by_id,
        review.published_at,
        review.version,
        review.history.count(),
        Attribute.objects.filter(review=review).count(),
    )


@pytest.mark.parametrize("actor", ["clerk", "mapper", "moderator", "superuser"])
def test_a_status_smuggled_into_a_grids_change_form_changes_nothing(world, actor):
    review = world.review
    before = review_state(review)
    client = world.client(actor)
    url = admin_url("commoncore.mappingreview", "change", review.pk)
    shown = client.get(url)
    assert shown.status_code == 200
    assert shown.context["has_change_permission"] is False
    forged = {
        "status": ReviewStatus.APPROVED,
        "moderated_by": str(world.users[actor].pk),
        "published_at_0": "2024-01-01",
        "published_at_1": "12:00:00",
        "version": str(review.version),
        "_save": "Save",
    }

    response = client.post(url, forged)

    assert response.status_code == 403
    assert review_state(review) == before
    assert review.status == ReviewStatus.SUBMITTED


def test_no_admin_edits_rows_on_its_changelist():
    # The forged formset below only means something while no changelist is editable: a
    # list_editable added to an admin needs its own forged-post tests.
    assert [type(a).__name__ for a in admin.site._registry.values() if a.list_editable] == []


@pytest.mark.parametrize("actor", ["clerk", "mapper", "superuser"])
def test_a_forged_changelist_formset_changes_nothing(world, actor):
    qualification = world.qualification
    title, status = qualification.title, qualification.status
    forged = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(qualification.pk),
        "form-0-title": "Forged title",
        "form-0-status": Qualification.Status.WITHDRAWN,
        "form-1-ref": "FORGED",
        "form-1-title": "Forged qualification",
        "_save": "Save",
    }

    response = world.client(actor).post(admin_url("qualifications.qualification", "changelist"), forged)

    assert response.status_code == 200
    qualification.refresh_from_db()
    assert (qualification.title, qualification.status) == (title, status)
    assert not Qualification.objects.filter(ref="FORGED").exists()


@pytest.mark.parametrize("actor", ["mapper", "moderator", "analyst"])
def test_a_forged_withdraw_action_by_a_reader_withdraws_nothing(world, actor):
    qualification = world.qualification
    history = qualification.history.count()

    response = world.client(actor).post(
        admin_url("qualifications.qualification", "changelist"),
        {"action": "withdraw", "index": "0", "_selected_action": [str(qualification.pk)]},
    )

    assert response.status_code == 200
    qualification.refresh_from_db()
    assert qualification.status == Qualification.Status.CURRENT
    assert qualification.history.count() == history


def test_the_withdraw_action_of_a_clerk_withdraws(world):
    # the other side of the test above: the same post does withdraw for a clerk
    url = admin_url("qualifications.qualification", "changelist")

    response = world.client("clerk").post(
        url, {"action": "withdraw", "index": "0", "_selected_action": [str(world.qualification.pk)]}
    )

    assert response.status_code == 302
    assert response["Location"] == url
    world.qualification.refresh_from_db()
    assert world.qualification.status == Qualification.Status.WITHDRAWN


def scheme_keeper(world) -> Client:
    """A staff user who may change cluster schemes and see clusters, but neither add nor
    change clusters: the scheme's cluster inline is read-only, with no room for a new row
    (Django sets its max_num to 0)."""
    user = UserFactory(username="authz-scheme-keeper")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="roles",
            codename__in=["view_clusterscheme", "change_clusterscheme", "view_cluster"],
        )
    )
    client = Client()
    client.force_login(user)
    return client


def test_inline_rows_beyond_max_num_are_not_saved(world):
    scheme, cluster = world.scheme, world.cluster
    client = scheme_keeper(world)
    url = admin_url("roles.clusterscheme", "change", scheme.pk)
    shown = client.get(url)
    assert shown.status_code == 200
    (inline,) = shown.context["inline_admin_formsets"]
    assert inline.formset.max_num == 0
    data = form_data(shown)
    assert data["clusters-TOTAL_FORMS"] == "1"
    prefix = "clusters-1-"
    forged = {
        **data,
        "clusters-TOTAL_FORMS": "2",
        "clusters-MAX_NUM_FORMS": "1000",
        "clusters-0-name": "Renamed by a forged post",
        f"{prefix}name": "Forged cluster",
        f"{prefix}slug": "forged-cluster",
        f"{prefix}description": "Added beyond max_num",
        f"{prefix}scheme": str(scheme.pk),
        "description": "Changed by the scheme keeper",
    }

    response = client.post(url, forged)

    assert response.status_code == 302  # the scheme itself is saved
    scheme.refresh_from_db()
    assert scheme.description == "Changed by the scheme keeper"
    assert list(Cluster.objects.filter(scheme=scheme).values_list("pk", "name")) == [
        (cluster.pk, cluster.name)
    ]


def test_a_formset_posted_with_more_rows_than_its_absolute_maximum_is_refused(world):
    # No inline sets max_num, so Django's default (1000) applies, and a formset claiming
    # more rows than its absolute maximum (2000) is refused whole, whatever MAX_NUM_FORMS
    # the post claims.
    scheme = world.scheme
    client = world.client("clerk")
    url = admin_url("roles.clusterscheme", "change", scheme.pk)
    data = form_data(client.get(url))
    forged = {
        **data,
        "clusters-TOTAL_FORMS": "2001",
        "clusters-MAX_NUM_FORMS": "5000",
        "clusters-1-name": "Forged cluster",
        "clusters-1-slug": "forged-cluster",
        "description": "Changed with the forged formset",
    }

    response = client.post(url, forged)

    assert response.status_code == 200
    assert "Please submit at most 1000 forms." in response.content.decode()
    scheme.refresh_from_db()
    assert scheme.description != "Changed with the forged formset"
    assert not Cluster.objects.filter(slug="forged-cluster").exists()


def test_a_deletion_forged_into_an_inline_without_delete_is_ignored(world):
    scheme, cluster = world.scheme, world.cluster
    client = world.client("clerk")
    url = admin_url("roles.clusterscheme", "change", scheme.pk)
    data = form_data(client.get(url))
    assert "clusters-0-DELETE" not in data

    response = client.post(url, {**data, "clusters-0-DELETE": "on"})

    assert response.status_code == 302
    assert Cluster.objects.filter(pk=cluster.pk).exists()


def test_record_times_smuggled_into_a_change_form_are_ignored(world):
    qualification = world.qualification
    created = qualification.created_at
    client = world.client("clerk")
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))

    response = client.post(
        url,
        {
            **data,
            "created_at_0": "2000-01-01",
            "created_at_1": "00:00:00",
            "created_at": "2000-01-01 00:00:00",
        },
    )

    assert response.status_code == 302
    qualification.refresh_from_db()
    assert qualification.created_at == created
