"""A mapper ticks a grid with the keyboard and submits it; a moderator approves it.

Driven in Debian's Chromium through the real admin, against a live server."""

import pytest
from django.contrib.auth.models import Group

from commoncore.models import Attribute, MappingReview, ReviewStatus
from tests.conftest import admin_login
from tests.support.factories import (
    QualificationFactory,
    QualificationModuleFactory,
    UserFactory,
    default_area,
    default_framework,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_in(group: str, username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_mapper_submits_a_grid_and_a_moderator_approves_it(migrated_transactional_db, new_page):
    staff_in("Mapper", "mia")
    staff_in("Moderator", "mo")
    qualification = QualificationFactory(ref="QBR001", title="Certificate in Play Work")
    first, second, third = (
        QualificationModuleFactory(qualification=qualification, order=n, mandatory=n < 3).module
        for n in (1, 2, 3)
    )
    framework = default_framework()
    communication, development = default_area(1), default_area(2)

    mapper = new_page()
    admin_login(mapper, "mia")
    mapper.goto(f"/admin/qualifications/qualification/{qualification.pk}/change/")
    mapper.locator("#content-main").get_by_role("link", name="Common Core mapping").click()
    mapper.locator("tr", has_text=str(framework)).get_by_role("link", name="Open grid").click()
    grid = mapper.locator("table[data-grid]")
    assert grid.get_by_role("row").count() == 1 + 4 + 1  # header, 3 modules + whole, totals

    # Keyboard only: focus a cell, Space ticks it, Tab moves to the next area of the row.
    mapper.locator(f"#cell-m{first.pk}-a{communication.pk}").focus()
    mapper.keyboard.press("Space")
    mapper.keyboard.press("Tab")
    mapper.keyboard.press("Space")
    mapper.locator(f"#cell-m{second.pk}-a{development.pk}").check()
    mapper.select_option(f"#basis-m{first.pk}", index=1)
    assert mapper.locator(f"#cell-m{first.pk}-a{development.pk}").is_checked()
    # The totals follow the ticks before anything is saved.
    assert mapper.locator("tfoot [data-grid-total]").inner_text() == "3"

    mapper.get_by_role("button", name="Submit for moderation").click()
    # Two rows (the third module and the whole qualification) have no tick: confirm first.
    assert MappingReview.objects.get().status == ReviewStatus.DRAFT
    assert "2 rows have no tick" in mapper.locator(".iqf-confirm").inner_text()
    assert third.title in mapper.locator(".iqf-confirm").inner_text()
    mapper.get_by_label("Submit anyway").check()
    mapper.get_by_role("button", name="Submit for moderation").click()
    assert "Submitted for moderation" in mapper.locator(".messagelist").inner_text()
    assert MappingReview.objects.get().status == ReviewStatus.SUBMITTED
    assert not Attribute.objects.exists()

    moderator = new_page()
    admin_login(moderator, "mo")
    moderator.goto("/admin/commoncore/mappingreview/queue/")
    moderator.locator("tr", has_text="QBR001").get_by_role("link", name="Moderate").click()
    assert moderator.locator("td.iqf-added").count() == 3
    moderator.get_by_role("button", name="Approve and publish").click()
    assert "now public" in moderator.locator(".messagelist").inner_text()

    review = MappingReview.objects.get()
    assert review.status == ReviewStatus.APPROVED
    assert review.moderated_by.username == "mo"
    published = set(Attribute.objects.values_list("module_id", "area_id"))
    assert published == {
        (first.pk, communication.pk),
        (first.pk, development.pk),
        (second.pk, development.pk),
    }
