"""Fixtures the tests of the reports share."""

import pytest

from tests.support.factories import ClusterFactory, ClusterSchemeFactory, QualificationFactory
from tests.support.reports import link, role_in, scheme_default


@pytest.fixture
def provision_world():
    """Two clusters of the default scheme; Counsellor sits in both.

    Childminder (Early Years): A key (level 2), B (level 3)
    Counsellor (Early Years and Youth Work): B key, C (level 3)
    Youth worker (Youth Work): C key, D (Entry), F (not levelled)
    Family worker sits only in a cluster of another scheme: it never shows by default.
    """
    scheme = scheme_default(name="Workforce 2005", slug="workforce-2005")
    early = ClusterFactory(scheme=scheme, name="Early Years", slug="early-years")
    youth = ClusterFactory(scheme=scheme, name="Youth Work", slug="youth-work")
    family = ClusterFactory(
        scheme=ClusterSchemeFactory(name="By service", slug="by-service"),
        name="Family support",
        slug="family-support",
    )
    q = {
        name: QualificationFactory(ref=f"P/{name}", level=level)
        for name, level in [("A", 2), ("B", 3), ("C", 3), ("D", 0), ("F", None)]
    }
    childminder = role_in("Childminder", early)
    counsellor = role_in("Counsellor", early, youth)
    youth_worker = role_in("Youth worker", youth)
    family_worker = role_in("Family worker", family)
    link(childminder, q["A"], key=True)
    link(childminder, q["B"])
    link(counsellor, q["B"], key=True)
    link(counsellor, q["C"])
    link(youth_worker, q["C"], key=True)
    link(youth_worker, q["D"])
    link(youth_worker, q["F"])
    link(family_worker, q["A"], key=True)
    return q
