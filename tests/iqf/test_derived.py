"""One owner for derived data (iqf.lib.derived): every way of writing to a table a derived
value comes from keeps it exact, or is refused; ``refresh_derived --check`` names every
stale value and ``refresh_derived`` repairs them.

Each expected value is worked out here in plain Python from the raw rows."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from commoncore.models import Area, Attribute, QualificationCoverage
from iqf.lib import derived
from qualifications.models import Offering, Provider, Qualification, QualificationModule, Region
from roles.models import RoleQualification
from tests.support.factories import (
    AttributeFactory,
    ModuleFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleFactory,
    RoleQualificationFactory,
)

pytestmark = pytest.mark.django_db


# -- oracles ------------------------------------------------------------------------------


def expected_masks() -> dict[int, int]:
    bits: dict[int, set[int]] = {pk: set() for pk in Qualification.objects.values_list("pk", flat=True)}
    for offering in Offering.objects.select_related("provider__region"):
        provider = offering.provider
        if provider.region is not None and not provider.is_archived:
            bits[offering.qualification_id].add(provider.region.bit)
    return {pk: sum(2**bit for bit in found) for pk, found in bits.items()}


def expected_keys() -> dict[int, bool]:
    keys = {pk: False for pk in Qualification.objects.values_list("pk", flat=True)}
    for link in RoleQualification.objects.all():
        keys[link.qualification_id] |= link.is_key
    return keys


def expected_summary() -> set[tuple]:
    """(qualification, area, judged as a whole possibly, guaranteed) for every area a
    qualification's own judgements or its modules' reach (no elements in these tests)."""
    reached: dict[tuple[int, int], bool] = {}
    memberships = list(QualificationModule.objects.all())
    for attribute in Attribute.objects.all():
        if attribute.qualification_id:
            reached[(attribute.qualification_id, attribute.area_id)] = True
        for m in memberships:
            if attribute.module_id and m.module_id == attribute.module_id:
                key = (m.qualification_id, attribute.area_id)
                reached[key] = reached.get(key, False) or m.mandatory
    return {(q, a, True, g) for (q, a), g in reached.items()}


def stored_summary() -> set[tuple]:
    return set(
        QualificationCoverage.objects.values_list(
            "qualification_id", "area_id", "whole_possible", "whole_guaranteed"
        )
    )


def stored_masks() -> dict[int, int]:
    return dict(Qualification.objects.values_list("pk", "offered_regions"))


def stored_keys() -> dict[int, bool]:
    return dict(Qualification.objects.values_list("pk", "key_for_a_role"))


def regions(*slugs: str) -> list[Region]:
    return [Region.objects.get(slug=slug) for slug in slugs]


# -- the four ways a value went stale ------------------------------------------------------


def test_archiving_providers_by_a_queryset_update_takes_their_regions_away():
    london, tyne = regions("london", "north-east")
    first, second = ProviderFactory(region=london), ProviderFactory(region=tyne)
    qualifications = QualificationFactory.create_batch(3)
    for q in qualifications:
        OfferingFactory(qualification=q, provider=first)
    OfferingFactory(qualification=qualifications[0], provider=second)
    assert stored_masks()[qualifications[1].pk] == 2**london.bit

    Provider.objects.filter(pk=first.pk).update(is_archived=True)

    assert stored_masks() == expected_masks()
    assert stored_masks()[qualifications[1].pk] == 0
    assert stored_masks()[qualifications[0].pk] == 2**tyne.bit


def test_unkeying_links_by_a_queryset_update_clears_the_flags():
    role = RoleFactory()
    links = [RoleQualificationFactory(role=role, is_key=True) for _ in range(3)]
    RoleQualificationFactory(qualification=links[0].qualification, is_key=True)

    RoleQualification.objects.filter(role=role).update(is_key=False)

    assert stored_keys() == expected_keys()
    assert [stored_keys()[link.qualification_id] for link in links] == [True, False, False]


def test_a_plain_create_of_a_membership_summarises_the_module_s_judgements():
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module)
    qualification = QualificationFactory()

    QualificationModule.objects.create(qualification=qualification, module=module, mandatory=True)

    assert stored_summary() == expected_summary()
    assert {row[0] for row in stored_summary()} == {qualification.pk}


def test_bulk_created_rows_keep_every_value_exact():
    london = regions("london")[0]
    provider, role, module = ProviderFactory(region=london), RoleFactory(), ModuleFactory()
    qualifications = QualificationFactory.create_batch(4)

    Offering.objects.bulk_create([Offering(qualification=q, provider=provider) for q in qualifications[:2]])
    RoleQualification.objects.bulk_create(
        [RoleQualification(role=role, qualification=q, is_key=True) for q in qualifications[1:3]]
    )
    QualificationModule.objects.bulk_create(
        [
            QualificationModule(qualification=q, module=module, mandatory=i % 2 == 0)
            for i, q in enumerate(qualifications)
        ]
    )
    Attribute.objects.bulk_create(
        [
            Attribute(module=module, area=area)
            for area in Area.objects.filter(framework__slug="common-core-2005", number__lte=2)
        ]
    )

    assert stored_masks() == expected_masks()
    assert stored_keys() == expected_keys()
    assert stored_summary() == expected_summary()
    assert len(expected_summary()) == 8


def test_a_bulk_update_moving_offerings_moves_their_regions():
    london = regions("london")[0]
    left, joined = QualificationFactory.create_batch(2)
    offerings = [
        OfferingFactory(qualification=left, provider=ProviderFactory(region=london)) for _ in range(2)
    ]
    for offering in offerings:
        offering.qualification = joined

    Offering.objects.bulk_update(offerings, ["qualification"])

    assert stored_masks() == expected_masks()
    assert (stored_masks()[left.pk], stored_masks()[joined.pk]) == (0, 2**london.bit)


def test_a_queryset_delete_of_memberships_takes_their_coverage_away():
    membership = QualificationModuleFactory()
    AttributeFactory(qualification=None, module=membership.module)
    assert stored_summary()

    QualificationModule.objects.filter(pk=membership.pk).delete()

    assert stored_summary() == expected_summary() == set()


def test_writes_in_a_batch_are_refreshed_once_at_its_end():
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module)
    qualifications = QualificationFactory.create_batch(3)
    calls = []
    summary = derived.REGISTRY["coverage summary"]
    original = summary.refresh
    object.__setattr__(summary, "refresh", lambda ids: calls.append(ids) or original(ids))
    try:
        with derived.batch():
            for q in qualifications:
                QualificationModule.objects.create(qualification=q, module=module)
            assert calls == []
    finally:
        object.__setattr__(summary, "refresh", original)

    assert calls == [{q.pk for q in qualifications}]
    assert stored_summary() == expected_summary()


# -- hand-written SQL ---------------------------------------------------------------------


def test_hand_written_sql_on_a_source_table_is_refused_naming_what_to_call():
    offering = OfferingFactory(provider=ProviderFactory(region=regions("london")[0]))
    table = connection.ops.quote_name(Offering._meta.db_table)

    with pytest.raises(derived.DerivedStateError) as refused, connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [offering.pk])

    message = str(refused.value)
    assert "qualifications_offering" in message and "offered regions" in message
    assert "refreshed_by_caller" in message and "REGISTRY['offered regions'].refresh" in message
    assert Offering.objects.filter(pk=offering.pk).exists()
    assert stored_masks() == expected_masks()


def test_hand_written_sql_a_caller_refreshes_after_is_let_through():
    link = RoleQualificationFactory(is_key=True)
    table = connection.ops.quote_name(RoleQualification._meta.db_table)

    with derived.refreshed_by_caller(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET is_key = %s WHERE id = %s", [False, link.pk])
    derived.REGISTRY["key flags"].refresh([link.qualification_id])

    assert stored_keys() == expected_keys() == {link.qualification_id: False}


# -- refresh_derived ----------------------------------------------------------------------


def some_of_everything() -> list[Qualification]:
    london = regions("london")[0]
    qualifications = QualificationFactory.create_batch(3)
    membership = QualificationModuleFactory(qualification=qualifications[0])
    AttributeFactory(qualification=None, module=membership.module)
    AttributeFactory(qualification=qualifications[1])
    OfferingFactory(qualification=qualifications[1], provider=ProviderFactory(region=london))
    RoleQualificationFactory(qualification=qualifications[2], is_key=True)
    return qualifications


def check() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("refresh_derived", "--check", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_check_finds_nothing_stale_after_ordinary_writes():
    some_of_everything()

    code, printed = check()

    assert code == 0
    for name in ("coverage summary", "offered regions", "key flags", "page-cache counter"):
        assert f"{name}: exact" in printed


@pytest.mark.stale_derived
def test_check_names_each_stale_value_and_exits_1():
    first, second, third = some_of_everything()
    table = connection.ops.quote_name(Qualification._meta.db_table)
    summary = connection.ops.quote_name(QualificationCoverage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET offered_regions = 5 WHERE id = %s", [first.pk])
        cursor.execute(f"UPDATE {table} SET key_for_a_role = %s WHERE id = %s", [False, third.pk])
        cursor.execute(f"DELETE FROM {summary} WHERE qualification_id = %s", [second.pk])
    area = Area.objects.get(framework__slug="common-core-2005", number=1)

    code, printed = check()

    assert code == 1
    assert f"qualifications_qualification id {first.pk} offered_regions: stored 5, recomputed 0" in printed
    assert (
        f"qualifications_qualification id {third.pk} key_for_a_role: stored False, recomputed True"
    ) in printed
    assert (
        f"commoncore_qualificationcoverage qualification {second.pk} framework "
        f"{area.framework_id} area {area.pk} (row): stored 'absent', recomputed 'present'"
    ) in printed
    assert "3 stale derived values" in printed


@pytest.mark.stale_derived
def test_refresh_derived_repairs_what_check_named():
    first, second, _third = some_of_everything()
    QualificationCoverage.objects.filter(qualification=first).update(whole_guaranteed=True)
    Qualification.objects.filter(pk=second.pk).update(offered_regions=0)
    assert check()[0] == 1
    out = StringIO()

    call_command("refresh_derived", stdout=out)

    assert check()[0] == 0
    assert stored_masks() == expected_masks()
    assert stored_summary() == expected_summary()
    assert "Offered regions rebuilt: 1 qualifications corrected" in out.getvalue()


def test_every_derived_value_is_registered_with_its_sources():
    names = {name: value.source_tables for name, value in derived.REGISTRY.items()}
    assert names == {
        "offered regions": {
            "qualifications_qualification",
            "qualifications_offering",
            "qualifications_provider",
            "qualifications_region",
        },
        "key flags": {"qualifications_qualification", "roles_rolequalification"},
        "coverage summary": {"commoncore_attribute", "qualifications_qualificationmodule", "commoncore_area"},
        "page-cache counter": set(),
    }


def test_a_delete_with_history_takes_the_coverage_of_what_it_deleted_away():
    from iqf.lib.history import delete_with_history

    membership = QualificationModuleFactory()
    judgement = AttributeFactory(qualification=None, module=membership.module)
    assert stored_summary()

    delete_with_history([judgement], reason="Unticked")

    assert stored_summary() == expected_summary() == set()
    assert judgement.history.latest().history_type == "-"
