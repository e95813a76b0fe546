"""Migrations that derive data fill it in from the rows already there.

Each test migrates back to just before the migration, writes rows through the models as
they were then, migrates forward and compares the derived column with what the rows
say, worked out here in plain Python. The database is migrated forward again whatever
happens, so the tests after these find the schema they expect."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.usefixtures("migrated_transactional_db")


@contextmanager
def before_migration(app: str, name: str) -> Iterator:
    """Migrate back to just before ``app``'s migration ``name`` and give the models as
    they were; on leaving, migrate everything forward again (nothing is left to do when
    the test has called ``migrate_forward`` itself)."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    target = next(parent for parent in graph.node_map[(app, name)].parents
                  if parent.key[0] == app).key
    state = executor.migrate([target])
    try:
        yield state.apps
    finally:
        migrate_forward()


def migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _qualification(apps, ref: str):
    Qualification = apps.get_model("qualifications", "Qualification")
    return Qualification.objects.create(ref=ref, title=f"Qualification {ref}", title_key=ref)


def test_the_key_flag_is_derived_from_the_role_links_already_there():
    with before_migration("qualifications", "0007_key_for_a_role") as apps:
        Role = apps.get_model("roles", "Role")
        Link = apps.get_model("roles", "RoleQualification")
        nursery, playworker = (Role.objects.create(title=t, slug=t) for t in ("nursery", "play"))
        key_twice, key_once, linked, alone = (_qualification(apps, ref) for ref in "ABCD")
        for role, qualification, is_key in [
            (nursery, key_twice, True), (playworker, key_twice, True),
            (nursery, key_once, False), (playworker, key_once, True),
            (nursery, linked, False),
        ]:
            Link.objects.create(role=role, qualification=qualification, is_key=is_key)
        expected = {q.pk: False for q in (key_twice, key_once, linked, alone)}
        for link in Link.objects.all():
            expected[link.qualification_id] |= link.is_key

        migrate_forward()

    from qualifications.models import Qualification

    assert dict(Qualification.objects.values_list("pk", "key_for_a_role")) == expected
    assert sum(expected.values()) == 2


def test_the_offered_regions_are_derived_from_the_offerings_already_there():
    with before_migration("qualifications", "0006_offered_regions") as apps:
        Region = apps.get_model("qualifications", "Region")
        Provider = apps.get_model("qualifications", "Provider")
        Offering = apps.get_model("qualifications", "Offering")
        north, south = Region.objects.order_by("pk")[:2]
        in_north = Provider.objects.create(name="North college", region=north)
        in_south = Provider.objects.create(name="South college", region=south)
        closed = Provider.objects.create(name="Closed college", region=south, is_archived=True)
        nowhere = Provider.objects.create(name="Online only", region=None)
        both, north_only, archived_only, unoffered = (_qualification(apps, ref) for ref in "EFGH")
        for provider, qualification, mode in [
            (in_north, both, ""), (in_south, both, ""), (in_north, both, "part-time"),
            (in_north, north_only, ""), (closed, archived_only, ""), (nowhere, archived_only, ""),
        ]:
            Offering.objects.create(provider=provider, qualification=qualification, mode=mode)
        expected = {q.pk: set() for q in (both, north_only, archived_only, unoffered)}
        for offering in Offering.objects.select_related("provider"):
            provider = offering.provider
            if not provider.is_archived and provider.region_id is not None:
                expected[offering.qualification_id].add(provider.region_id)

        migrate_forward()

    from qualifications.models import Qualification
    from qualifications.models import Region as CurrentRegion

    bit = dict(CurrentRegion.objects.values_list("pk", "bit"))  # the migration numbers them
    stored = dict(Qualification.objects.values_list("pk", "offered_regions"))
    assert stored == {pk: sum(1 << bit[r] for r in regions) for pk, regions in expected.items()}
    assert len(expected[both.pk]) == 2 and expected[unoffered.pk] == set()
