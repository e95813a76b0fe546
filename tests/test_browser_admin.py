"""The admin screens the team customised, opened in Chromium under the site's
Content-Security-Policy (no inline script or style): ``new_page`` fails the test if the
policy refuses anything on any of them, and each must render without a script error."""

import pytest
from django.urls import reverse

from tests.conftest import admin_login
from tests.factories import (
    MappingReviewFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleQualificationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_main_admin_screens_run_under_the_content_security_policy(
        migrated_transactional_db, new_page):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    qualification = QualificationFactory(ref="QCSP01", title="Certificate in Youth Work")
    membership = QualificationModuleFactory(qualification=qualification)
    link = RoleQualificationFactory(qualification=qualification)
    review = MappingReviewFactory(qualification=qualification)
    screens = [reverse("admin:index")]
    for model, obj in [("qualifications_qualification", qualification),
                       ("qualifications_module", membership.module),
                       ("roles_role", link.role),
                       ("commoncore_mappingreview", review)]:
        screens += [reverse(f"admin:{model}_changelist"), reverse(f"admin:{model}_change", args=[obj.pk]),
                    reverse(f"admin:{model}_history", args=[obj.pk])]
    screens += [reverse("admin:qualifications_qualification_add"),
                reverse("admin:qualifications_qualification_import"),
                reverse("admin:qualifications_qualification_export")]

    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    admin_login(page, "root")
    for url in screens:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("load")
    assert errors == []
