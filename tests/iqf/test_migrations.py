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
    target = next(parent for parent in graph.node_map[(app, name)].parents if parent.key[0] == app).key
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
            (nursery, key_twice, True),
            (playworker, key_twice, True),
            (nursery, key_once, False),
            (playworker, key_once, True),
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
            (in_north, both, ""),
            (in_south, both, ""),
            (in_north, both, "part-time"),
            (in_north, north_only, ""),
            (closed, archived_only, ""),
            (nowhere, archived_only, ""),
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


def _schema() -> dict:
    """Every table's columns, constraints and indexes, as introspection reads them."""
    with connection.cursor() as cursor:
        tables = sorted(t.name for t in connection.introspection.get_table_list(cursor) if t.type == "t")
        return {
            table: (
                sorted(
                    (c.name, c.type_code, c.null_ok)
                    for c in connection.introspection.get_table_description(cursor, table)
                ),
                sorted(
                    (
                        name,
                        tuple(info["columns"] or ()),
                        info["unique"],
                        info["primary_key"],
                        info["foreign_key"],
                    )
                    for name, info in connection.introspection.get_constraints(cursor, table).items()
                ),
            )
            for table in tables
        }


def test_the_import_log_moves_to_the_bundles_app_with_its_rows_and_permissions():
    fresh = _schema()
    executor = MigrationExecutor(connection)
    # as a database made before the move: bundles unapplied, the log commoncore's
    apps = executor.migrate([("bundles", None)]).apps
    try:
        Log = apps.get_model("commoncore", "BundleImport")
        Group = apps.get_model("auth", "Group")
        ContentType = apps.get_model("contenttypes", "ContentType")
        log = Log.objects.create(name="older.xlsx", created=3)
        before = ContentType.objects.get(app_label="commoncore", model="bundleimport").pk
        clerks = Group.objects.get(name="Data clerk")
        assert clerks.permissions.filter(content_type_id=before, codename="view_bundleimport").exists()
        migrate_forward()
    finally:
        migrate_forward()

    from django.contrib.auth.models import Group as LiveGroup
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    from bundles.models import BundleImport

    assert list(BundleImport.objects.values_list("pk", "name", "created")) == [(log.pk, "older.xlsx", 3)]
    moved = LiveContentType.objects.get_for_model(BundleImport)
    assert (moved.pk, moved.app_label) == (before, "bundles")
    assert not LiveContentType.objects.filter(app_label="commoncore", model="bundleimport").exists()
    clerk_permissions = LiveGroup.objects.get(name="Data clerk").permissions
    assert clerk_permissions.filter(content_type=moved, codename="view_bundleimport").exists()
    assert _schema() == fresh


def test_no_migration_imports_code_of_the_project():
    # An old migration must do what it did when it was written, whatever later changes to
    # the code: it imports Django alone (and the history library whose base class the
    # history models' state names).
    import ast
    from pathlib import Path

    allowed = ("django", "simple_history.models")
    root = Path(__file__).resolve().parents[2]
    found = []
    for path in sorted(root.glob("*/migrations/[0-9]*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [
                (path.relative_to(root).as_posix(), name)
                for name in names
                if not any(name == a or name.startswith(a + ".") for a in allowed)
            ]
    assert len(list(root.glob("*/migrations/[0-9]*.py"))) > 20
    assert found == []


def test_the_coverage_summary_is_filled_from_the_judgements_already_there():
    with before_migration("commoncore", "0008_coverage_summary") as apps:
        Module = apps.get_model("qualifications", "Module")
        Membership = apps.get_model("qualifications", "QualificationModule")
        Review = apps.get_model("commoncore", "MappingReview")
        Attribute = apps.get_model("commoncore", "Attribute")
        Area = apps.get_model("commoncore", "Area")
        areas = list(Area.objects.filter(framework__slug="common-core-2005").order_by("number"))
        q = _qualification(apps, "Q1")
        other = _qualification(apps, "Q2")
        mandatory, optional = (Module.objects.create(ref=r, title=r, title_key=r) for r in "MO")
        Membership.objects.create(qualification=q, module=mandatory, mandatory=True)
        Membership.objects.create(qualification=q, module=optional, mandatory=False)
        Membership.objects.create(qualification=other, module=optional, mandatory=True)
        review = Review.objects.create(qualification=q, framework=areas[0].framework, status="accepted")
        for area, qualification, module in [
            (areas[0], q, None),
            (areas[1], None, mandatory),
            (areas[2], None, optional),
            (areas[0], None, optional),
        ]:
            Attribute.objects.create(area=area, qualification=qualification, module=module, review=review)
        migrate_forward()

    from commoncore import summary
    from commoncore.models import QualificationCoverage

    def rows():
        return sorted(
            QualificationCoverage.objects.values_list(
                "qualification__ref", "area__number", "whole_possible", "whole_guaranteed"
            )
        )

    filled = rows()
    # by hand: Q1 owns area 1 and reaches 2 (mandatory) and 3 and 1 (optional); Q2 reaches
    # 3 and 1 through its mandatory module O
    assert filled == [
        ("Q1", 1, True, True),
        ("Q1", 2, True, True),
        ("Q1", 3, True, False),
        ("Q2", 1, True, True),
        ("Q2", 3, True, True),
    ]
    summary.refresh()
    assert rows() == filled


def test_the_page_cache_counter_moves_to_the_site_with_its_row():
    fresh = _schema()
    executor = MigrationExecutor(connection)
    apps = executor.migrate([("iqf", None)]).apps
    try:
        Counter = apps.get_model("commoncore", "ContentVersion")
        ContentType = apps.get_model("contenttypes", "ContentType")
        Counter.objects.filter(id=1).update(version=41)
        before = ContentType.objects.get(app_label="commoncore", model="contentversion").pk
        migrate_forward()
    finally:
        migrate_forward()

    from django.contrib.contenttypes.models import ContentType as LiveContentType

    from iqf.lib.pagecache import content_version
    from iqf.models import ContentVersion

    assert list(ContentVersion.objects.values_list("id", "version")) == [(1, 41)]
    assert content_version() == 41
    moved = LiveContentType.objects.get_for_model(ContentVersion)
    assert (moved.pk, moved.app_label) == (before, "iqf")
    assert _schema() == fresh
