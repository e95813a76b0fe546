"""The admin screens the team customised, opened in Chromium under the site's
Content-Security-Policy (no inline script or style): ``new_page`` fails the test if the
policy refuses anything on any of them, and each must render without a script error."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import admin_login, axe_violations
from tests.support.factories import (
    ClusterFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    PrerequisiteFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    ReviewEventFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_main_admin_screens_run_under_the_content_security_policy(migrated_transactional_db, new_page):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    qualification = QualificationFactory(ref="QCSP01", title="Certificate in Youth Work")
    membership = QualificationModuleFactory(qualification=qualification)
    link = RoleQualificationFactory(qualification=qualification)
    review = MappingReviewFactory(qualification=qualification)
    screens = [reverse("admin:index")]
    for model, obj in [
        ("qualifications_qualification", qualification),
        ("qualifications_module", membership.module),
        ("roles_role", link.role),
        ("commoncore_mappingreview", review),
    ]:
        screens += [
            reverse(f"admin:{model}_changelist"),
            reverse(f"admin:{model}_change", args=[obj.pk]),
            reverse(f"admin:{model}_history", args=[obj.pk]),
        ]
    screens += [
        reverse("admin:qualifications_qualification_add"),
        reverse("admin:qualifications_qualification_import"),
        reverse("admin:qualifications_qualification_export"),
    ]

    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    admin_login(page, "root")
    for url in screens:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("load")
    # The export form's "Select all" box works, though the library wires it with an inline
    # handler the policy refuses (iqf/admin.js wires it instead).
    page.goto(reverse("admin:qualifications_qualification_export"))
    fields = page.locator(".selectable-field-export-row input[type=checkbox]")
    assert fields.count() > 1 and fields.locator("xpath=self::*[@checked]").count() == fields.count()
    page.get_by_label("Select all").uncheck()
    assert all(not fields.nth(n).is_checked() for n in range(fields.count()))
    assert errors == []


# -- accessibility -------------------------------------------------------------------------


def sign_in_with_code(page, user) -> None:
    """Sign in as production asks (STAFF_TWO_FACTOR): password and the authenticator's code."""
    call_command("totp_device", user.username, stdout=io.StringIO())
    device = TOTPDevice.objects.get(user=user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("test-password")
    page.get_by_label("OTP Token").fill(f"{code:0{device.digits}d}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


class AxeAudit:
    """Runs axe on each screen opened and keeps what it found, by screen."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.screens = 0

    def check(self, page, name: str) -> None:
        self.screens += 1
        violations = axe_violations(page)
        if violations:
            self.found[f"{name} ({page.url})"] = violations

    def open(self, page, name: str, url: str) -> None:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        self.check(page, name)

    def report(self) -> str:
        return "axe found violations on these admin screens:\n" + "\n".join(
            f"{screen}\n" + "\n".join(f"    - {violation}" for violation in violations)
            for screen, violations in self.found.items()
        )


def test_the_main_admin_screens_have_no_accessibility_violations(
    migrated_transactional_db, new_page, settings
):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    mapper, moderator = UserFactory(username="mia"), UserFactory(username="mo")
    mapper.groups.add(Group.objects.get(name="Mapper"))
    moderator.groups.add(Group.objects.get(name="Moderator"))
    # Every changelist below finds at least one row for its search, and the change form
    # shows a row in each of its inlines.
    qualification = QualificationFactory(ref="QAXE01", title="Certificate in Youth Work")
    module = ModuleFactory(ref="UAXE01", title="Youth work in the community")
    QualificationModuleFactory(qualification=qualification, module=module)
    PrerequisiteFactory(qualification=qualification)
    role = RoleFactory(title="Youth worker")
    RoleQualificationFactory(qualification=qualification, role=role)
    cluster = ClusterFactory(name="Youth work and support")
    RoleClusterFactory(role=role, cluster=cluster)
    OfferingFactory(qualification=qualification, provider=ProviderFactory(name="Youth College"))
    draft = MappingReviewFactory(qualification=qualification, mapped_by=mapper)
    other = QualificationFactory(ref="QAXE02", title="Diploma in Youth Support")
    QualificationModuleFactory(qualification=other)
    submitted = MappingReviewFactory(qualification=other, mapped_by=mapper, submitted=True)
    ReviewEventFactory(review=submitted)
    changelists = [
        ("qualifications", "admin:qualifications_qualification_changelist"),
        ("modules", "admin:qualifications_module_changelist"),
        ("roles", "admin:roles_role_changelist"),
        ("clusters", "admin:roles_cluster_changelist"),
        ("providers", "admin:qualifications_provider_changelist"),
        ("mapping reviews", "admin:commoncore_mappingreview_changelist"),
    ]
    audit = AxeAudit()

    clerk = new_page()
    settings.STAFF_TWO_FACTOR = False
    audit.open(clerk, "sign-in with a password alone", reverse("admin:login"))
    settings.STAFF_TWO_FACTOR = True  # as in production: the sign-in page asks for a code
    audit.open(clerk, "sign-in with a code", reverse("admin:login"))
    sign_in_with_code(clerk, root)
    audit.open(clerk, "index", reverse("admin:index"))
    for name, url_name in changelists:
        # the filters with their counts (facets), and a search that finds rows
        audit.open(clerk, f"{name} changelist", reverse(url_name) + "?_facets=True&q=Youth")
        assert clerk.locator("#result_list tbody tr").count() >= 1, name
    audit.open(
        clerk,
        "qualification change form",
        reverse("admin:qualifications_qualification_change", args=[qualification.pk]),
    )
    clerk.locator("#memberships-group .add-row a").click()
    audit.check(clerk, "qualification change form, a module row added")
    audit.open(clerk, "module change form", reverse("admin:qualifications_module_change", args=[module.pk]))
    audit.open(clerk, "qualification add form", reverse("admin:qualifications_qualification_add"))
    clerk.get_by_role("button", name="Save", exact=True).click()
    clerk.locator(".errornote").wait_for()
    audit.check(clerk, "qualification add form, sent empty, with its errors")
    audit.open(clerk, "role change form", reverse("admin:roles_role_change", args=[role.pk]))
    audit.open(clerk, "cluster change form", reverse("admin:roles_cluster_change", args=[cluster.pk]))
    audit.open(
        clerk,
        "qualification history",
        reverse("admin:qualifications_qualification_history", args=[qualification.pk]),
    )
    audit.open(clerk, "qualification export", reverse("admin:qualifications_qualification_export"))
    audit.open(clerk, "qualification import", reverse("admin:qualifications_qualification_import"))
    clerk.locator("input[name=import_file]").set_input_files(
        files=[
            {
                "name": "qualifications.csv",
                "mimeType": "text/csv",
                "buffer": b"ref,title\r\nQAXE01,Certificate in Youth Work (2026)\r\n",
            }
        ]
    )
    clerk.locator("select[name=format]").select_option(label="csv")
    clerk.get_by_role("button", name="Submit").click()
    clerk.get_by_role("button", name="Confirm import").wait_for()
    audit.check(clerk, "qualification import preview")
    audit.open(clerk, "bundle imports", reverse("admin:bundles_bundleimport_changelist"))
    audit.open(
        clerk,
        "mapping review change form",
        reverse("admin:commoncore_mappingreview_change", args=[submitted.pk]),
    )
    audit.open(clerk, "grids of a qualification", reverse("admin:commoncore_grids", args=[qualification.pk]))

    mapping = new_page()
    sign_in_with_code(mapping, mapper)
    audit.open(
        mapping,
        "mapping grid (editable)",
        reverse("admin:commoncore_grid", args=[qualification.pk, draft.framework.slug]),
    )
    audit.open(mapping, "moderation queue (a mapper's grids)", reverse("admin:commoncore_queue"))

    moderating = new_page()
    sign_in_with_code(moderating, moderator)
    audit.open(moderating, "moderation queue", reverse("admin:commoncore_queue"))
    audit.open(
        moderating,
        "moderation page with the differences",
        reverse("admin:commoncore_moderate", args=[submitted.pk]),
    )
    audit.open(moderating, "mappers and policies", reverse("admin:commoncore_mappers"))

    # The admin follows the browser's dark colour scheme: the main screens again, in it.
    for page in (clerk, moderating):
        page.emulate_media(color_scheme="dark")
    for name, url in [
        ("index", reverse("admin:index")),
        ("qualifications changelist", reverse(changelists[0][1]) + "?_facets=True&q=Youth"),
        (
            "qualification change form",
            reverse("admin:qualifications_qualification_change", args=[qualification.pk]),
        ),
        (
            "qualification history",
            reverse("admin:qualifications_qualification_history", args=[qualification.pk]),
        ),
        ("qualification import", reverse("admin:qualifications_qualification_import")),
    ]:
        audit.open(clerk, f"{name}, dark", url)
    audit.open(
        moderating,
        "moderation page with the differences, dark",
        reverse("admin:commoncore_moderate", args=[submitted.pk]),
    )
    audit.open(moderating, "moderation queue, dark", reverse("admin:commoncore_queue"))

    assert audit.screens == 35
    assert audit.found == {}, audit.report()
