"""The public qualification, module, finder and provider pages, as a manager sees them."""

import pytest

from tests.support.factories import (
    AwardingBodyFactory,
    ModuleFactory,
    PrerequisiteFactory,
    QualificationFactory,
    QualificationModuleFactory,
    QualificationTypeFactory,
)
from tests.support.qualification_pages import (
    count_queries,
    covers,
    detail_url,
    hrefs,
    mapped,
    module_url,
    row_with,
    rows,
    text,
)

pytestmark = pytest.mark.django_db


# -- the module page -------------------------------------------------------------------


def test_module_page_shows_its_qualifications_and_areas(client):
    module = ModuleFactory(ref="A/601/1234", title="Safeguarding children", level=3, learning_hours=30)
    covers(module, 3, 5)
    low = mapped(QualificationFactory(title="Level 2 Certificate", level=2))
    high = QualificationFactory(title="Level 3 Diploma", level=3, withdrawn=True)
    QualificationModuleFactory(qualification=low, module=module, mandatory=True)
    QualificationModuleFactory(qualification=high, module=module, mandatory=False)
    QualificationFactory(title="Not including it")

    response = client.get(module_url(module))

    assert response.status_code == 200
    page = text(response)
    assert "Reference A/601/1234" in page and "Level Level 3" in page and "30 hours" in page
    assert "This module covers 2 of 6 areas" in page
    assert row_with(response, "3. Safeguarding").endswith("Covered")
    assert row_with(response, "1. Effective").endswith("Not covered")
    assert row_with(response, "Level 2 Certificate").endswith("Level 2 Current Mandatory")
    assert row_with(response, "Level 3 Diploma").endswith("Level 3 Withdrawn Optional")
    assert "Not including it" not in page
    assert detail_url(low) in hrefs(response)


def test_a_module_that_is_also_a_qualification_links_to_it(client):
    own = QualificationFactory(title="Award in Paediatric First Aid")
    module = ModuleFactory(qualification=own)
    response = client.get(module_url(module))
    assert "also a qualification in its own right: Award in Paediatric First Aid" in text(response)
    assert detail_url(own) in hrefs(response)
    assert module_url(module) in hrefs(client.get(detail_url(own)))


def test_a_module_of_no_mapped_qualification_is_not_mapped_yet(client):
    module = ModuleFactory()
    QualificationModuleFactory(module=module)
    assert "This module has not been mapped yet" in text(client.get(module_url(module)))
    mapped(QualificationModuleFactory(module=module).qualification)
    assert "This module covers 0 of 6 areas" in text(client.get(module_url(module)))


def test_module_page_queries_do_not_grow_with_its_qualifications(client, django_assert_max_num_queries):
    def build(size: int):
        module = ModuleFactory()
        covers(module, 2)
        for n in range(size):
            qualification = QualificationFactory(
                awarding_body=AwardingBodyFactory(), qualification_type=QualificationTypeFactory()
            )
            QualificationModuleFactory(qualification=qualification, module=module)
            if n % 2:
                mapped(qualification)
            PrerequisiteFactory(of_module=True, required_module=module)
        return module

    small, large = build(5), build(25)
    assert count_queries(client, module_url(small)) == count_queries(client, module_url(large))
    # banner, module, default framework, areas, membership counts, the page of memberships,
    # mapped ids of the page, module areas, qualifications requiring it
    with django_assert_max_num_queries(9):
        response = client.get(module_url(large))
    assert response.status_code == 200
    assert len([r for r in rows(response) if "Mandatory" in r]) == 25
