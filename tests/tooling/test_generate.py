"""The synthetic data generator (issue 6): counts that scale with K, unique refs, every
constraint, refusal of a non-empty database, determinism, Report 4's shape, regions, and
a bundle round trip of generated data.

Expected figures come from the issue (K × the source's size), not from the generator's
own plan, and shapes are computed here with plain queries."""

import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from bundles.models import BundleImport
from bundles.services import bundle_import
from bundles.sheets import SHEET_NAMES
from bundles.writer import bundle_export
from commoncore.models import Attribute, GridMark, MappingReview, ReviewEvent, ReviewStatus
from qualifications.models import (
    AwardingBody,
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
    Region,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification
from tests.support.generated import wipe_generated

pytestmark = pytest.mark.django_db

QAN = re.compile(r"^\d{3}/\d{4}/[0-9X]$")
OTHER_REFS = re.compile(r"^(HE/\d{5,}|FR\d{5,}|PS/\d{5,}|NET/\d{5,})$")
MODULE_REF = re.compile(r"^U/\d{3}/\d{4}$")


def generate(scale: float, seed: int = 1) -> str:
    out = StringIO()
    call_command("generate_data", scale=scale, seed=seed, no_progress=True, stdout=out)
    return out.getvalue()


def within(value: float, expected: float, tolerance: float) -> bool:
    return abs(value - expected) <= tolerance * expected


def fingerprint() -> list[tuple]:
    return [
        tuple(Qualification.objects.order_by("ref").values_list("ref", "title", "level", "status")),
        tuple(Module.objects.order_by("ref").values_list("ref", "title", "level")),
        tuple(Role.objects.order_by("title").values_list("title", "slug", "level")),
        tuple(
            RoleQualification.objects.order_by("role__title", "qualification__ref").values_list(
                "role__title", "qualification__ref", "is_key"
            )
        ),
        tuple(Provider.objects.order_by("name").values_list("name", "region__name")),
    ]


# -- counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.02, 0.05])
def test_generate_data_writes_k_times_the_source(scale):
    output = generate(scale)

    assert Qualification.objects.count() == round(1000 * scale)
    assert Module.objects.count() == round(4000 * scale)
    assert within(QualificationModule.objects.count(), 10_000 * scale, 0.1)
    assert within(RoleQualification.objects.count(), 730 * scale, 0.1)
    assert MappingReview.objects.count() == round(350 * scale)
    # small scales keep one role and one cluster per sector, and a provider per region
    assert Role.objects.count() == 11
    assert ClusterScheme.objects.count() == 2
    assert ClusterScheme.objects.filter(is_default=True).count() == 1
    assert Cluster.objects.filter(scheme__is_default=True).count() == 11
    assert Provider.objects.count() == max(9, round(300 * scale))
    assert Offering.objects.count() >= Provider.objects.count()
    assert Prerequisite.objects.exists()
    assert re.search(rf"^  qualifications +{round(1000 * scale)}$", output, re.MULTILINE)
    assert "total rows" in output


def test_generate_data_shares_a_fifth_of_modules_and_links_roles_like_the_source():
    generate(1)

    uses = Counter(QualificationModule.objects.values_list("module_id", flat=True))
    assert len(uses) == Module.objects.count() == 4000, "every module is in a qualification"
    shared = sum(1 for n in uses.values() if n >= 2)
    assert 0.17 <= shared / 4000 <= 0.23
    assert within(QualificationModule.objects.count(), 10_000, 0.05)
    assert QualificationModule.objects.filter(mandatory=True).exists()
    assert QualificationModule.objects.filter(mandatory=False).exists()

    assert Role.objects.count() == 125
    assert Cluster.objects.filter(scheme__is_default=True).count() == 11
    assert RoleQualification.objects.count() == 730
    key_share = RoleQualification.objects.filter(is_key=True).count() / 730
    assert 0.2 <= key_share <= 0.5
    in_two = (
        RoleCluster.objects.filter(cluster__scheme__is_default=True)
        .values("role")
        .annotate(n=Count("cluster"))
        .filter(n__gte=2)
        .count()
    )
    assert in_two >= 1, "some roles sit in two clusters of the default scheme"
    every_role_clustered = (
        RoleCluster.objects.filter(cluster__scheme__is_default=True).values("role").distinct().count()
    )
    assert every_role_clustered == 125

    statuses = Counter(Qualification.objects.values_list("status", flat=True))
    assert statuses["current"] / 1000 >= 0.8
    assert statuses["withdrawn"] and statuses["superseded"]
    levels = Counter(Qualification.objects.values_list("level", flat=True))
    assert set(levels) == {None, 0, 1, 2, 3, 4, 5, 6, 7, 8}
    assert levels[3] > levels[6] > levels[8], "most qualifications are at Level 2 and 3"
    assert 50 <= AwardingBody.objects.count() <= 70
    assert MappingReview.objects.count() == 350
    assert Provider.objects.count() == 300


def test_refs_and_names_are_unique_and_look_like_the_register():
    generate(0.05)

    refs = list(Qualification.objects.values_list("ref", flat=True))
    assert len({r.casefold() for r in refs}) == len(refs)
    assert all(QAN.match(r) or OTHER_REFS.match(r) for r in refs), refs
    assert sum(1 for r in refs if QAN.match(r)) > len(refs) / 2
    module_refs = list(Module.objects.values_list("ref", flat=True))
    assert len(set(module_refs)) == len(module_refs)
    assert all(MODULE_REF.match(r) for r in module_refs)
    for model, name in ((Role, "title"), (Provider, "name"), (AwardingBody, "name")):
        values = [v.casefold() for v in model.objects.values_list(name, flat=True)]
        assert len(set(values)) == len(values), model
    assert Qualification.objects.filter(title_key="").count() == 0


# -- integrity ----------------------------------------------------------------------------


def test_generated_data_satisfies_every_constraint_and_model_rule():
    generate(0.02)

    # SQLite checks foreign keys at commit, which a test never reaches: check them now.
    connection.check_constraints()
    generated = [
        Qualification,
        Module,
        QualificationModule,
        Prerequisite,
        Provider,
        Offering,
        AwardingBody,
        Role,
        Cluster,
        ClusterScheme,
        RoleCluster,
        RoleQualification,
        MappingReview,
        Attribute,
        GridMark,
        ReviewEvent,
    ]
    for model in generated:
        rows = list(model.objects.all())
        assert rows, model
        for row in rows:
            row.full_clean()  # fields, choices, uniques and constraints, as a form would

    for review in MappingReview.objects.all():
        assert review.status == ReviewStatus.APPROVED
        assert review.published_at is not None
        assert review.mapped_by_id != review.moderated_by_id
        assert review.mapped_by.groups.filter(name="Mapper").exists()
        assert review.moderated_by.groups.filter(name="Moderator").exists()
    for superseded in Qualification.objects.filter(status="superseded"):
        assert superseded.superseded_by.status == "current"
    for prerequisite in Prerequisite.objects.select_related("qualification", "required_qualification"):
        if prerequisite.required_qualification:
            assert prerequisite.required_qualification.level < prerequisite.qualification.level


def test_published_judgements_belong_to_approved_grids_of_the_default_framework():
    generate(0.05)

    mapped = set(
        MappingReview.objects.filter(status="approved", framework__is_default=True).values_list(
            "qualification_id", flat=True
        )
    )
    mapped_modules = set(
        QualificationModule.objects.filter(qualification_id__in=mapped).values_list("module_id", flat=True)
    )
    assert Attribute.objects.exclude(area__framework__is_default=True).count() == 0
    for qualification_id, module_id in Attribute.objects.values_list("qualification_id", "module_id"):
        assert (qualification_id in mapped) if qualification_id else (module_id in mapped_modules)


def test_a_second_run_refuses_and_changes_nothing():
    generate(0.02)
    before = fingerprint()

    with pytest.raises(CommandError, match="not empty: it holds 20 qualifications"):
        generate(0.02, seed=2)

    assert fingerprint() == before


def test_refuses_a_database_with_only_roles():
    Role.objects.create(title="Childminder", slug="childminder")

    with pytest.raises(CommandError, match="1 roles"):
        generate(0.02)

    assert Qualification.objects.count() == 0


@pytest.mark.parametrize("scale", ["0", "-1", "nan", "many"])
def test_the_scale_must_be_a_positive_number(scale):
    with pytest.raises(CommandError, match="positive number|not a number"):
        call_command("generate_data", "--scale", scale, "--no-progress", stdout=StringIO())


# -- determinism ---------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate(0.03, seed=7)
    first = fingerprint()
    wipe_generated()
    get_user_model().objects.filter(username__startswith="gen.").delete()

    generate(0.03, seed=7)
    assert fingerprint() == first

    wipe_generated()
    get_user_model().objects.filter(username__startswith="gen.").delete()
    generate(0.03, seed=8)
    assert fingerprint()[0] != first[0]


DIGEST_SCRIPT = """
import hashlib, django
django.setup()
from tooling.generate import Reference, build, plan_for
reference = Reference(type_ids={n.casefold(): i for i, n in enumerate(
    ["NVQ", "VRQ", "Apprenticeship", "Foundation degree", "Degree", "Postgraduate",
     "Professional standards", "Nationally endorsed training", "Other"], 1)},
    region_ids=list(range(1, 10)), region_names=[f"Region {i}" for i in range(9)],
    region_masks=[1 << i for i in range(9)], area_ids=list(range(1, 7)), group_ids={})
world = build(plan_for(0.05), reference, seed=3)
text = repr(([(q.ref, q.title, q.modules, q.successor) for q in world.quals],
             [(m.ref, m.title, m.mask) for m in world.modules],
             [(r.title, r.clusters) for r in world.roles], world.role_links,
             [(p.name, p.region) for p in world.providers], world.offerings,
             [(r.qualification, r.own_mask) for r in world.reviews]))
print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_the_data_does_not_depend_on_python_hash_randomisation():
    """Sets of strings iterate in a different order in every process; nothing drawn may
    depend on that order."""
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DJANGO_SETTINGS_MODULE": "iqf.settings"}
        result = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


# -- the shape of Report 4 ------------------------------------------------------------------


def test_mapping_is_shaped_like_report_4():
    generate(0.2)

    mapped = list(
        MappingReview.objects.filter(status="approved", framework__is_default=True).values_list(
            "qualification_id", flat=True
        )
    )
    assert len(mapped) == 70
    module_areas: dict[int, set[int]] = defaultdict(set)
    qualification_areas: dict[int, set[int]] = defaultdict(set)
    for qualification_id, module_id, number in Attribute.objects.filter(
        area__framework__is_default=True
    ).values_list("qualification_id", "module_id", "area__number"):
        if module_id:
            module_areas[module_id].add(number)
        else:
            qualification_areas[qualification_id].add(number)
    modules_of: dict[int, set[int]] = defaultdict(set)
    for qualification_id, module_id in QualificationModule.objects.filter(
        qualification_id__in=mapped
    ).values_list("qualification_id", "module_id"):
        modules_of[qualification_id].add(module_id)

    covered = []
    for qualification_id in mapped:
        areas = set(qualification_areas[qualification_id])
        for module_id in modules_of[qualification_id]:
            areas |= module_areas[module_id]
        covered.append(len(areas))
    five_or_six = sum(1 for n in covered if n >= 5) / len(covered)
    assert 0.45 <= five_or_six <= 0.75, "about 60 % cover 5 or 6 areas"

    modules = set().union(*modules_of.values())
    share = {a: sum(1 for m in modules if a in module_areas[m]) / len(modules) for a in range(1, 7)}
    none = sum(1 for m in modules if not module_areas[m]) / len(modules)
    assert 0.35 <= share[1] <= 0.6, "Communication: nearly half the modules"
    assert share[4] < 0.15, "Supporting transitions: under a tenth"
    assert share[1] == max(share.values()) and share[4] == min(share.values())
    assert 0.15 <= none <= 0.35, "nearly a quarter cover no area"


def test_health_and_fitness_modules_are_mapped_to_the_first_three_areas():
    generate(1)

    cluster = Cluster.objects.get(scheme__is_default=True, name="Health and Fitness")
    qualification_ids = RoleQualification.objects.filter(role__clusters=cluster).values_list(
        "qualification_id", flat=True
    )
    mapped = set(
        MappingReview.objects.filter(qualification_id__in=qualification_ids, status="approved").values_list(
            "qualification_id", flat=True
        )
    )
    modules = set(
        QualificationModule.objects.filter(qualification_id__in=mapped).values_list("module_id", flat=True)
    )
    counts = Counter(Attribute.objects.filter(module_id__in=modules).values_list("area__number", flat=True))
    assert len(modules) >= 20
    assert min(counts[1], counts[2], counts[3]) > max(counts[4], counts[5], counts[6])


# -- providers and bundles -----------------------------------------------------------------


def test_every_region_has_offerings():
    generate(0.02)

    regions = set(Offering.objects.values_list("provider__region__name", flat=True))
    assert set(Region.objects.values_list("name", flat=True)) <= regions


def test_a_bundle_of_generated_data_imports_into_an_empty_database(tmp_path: Path):
    generate(0.01)
    counts = {
        model: model.objects.count()
        for model in (
            Qualification,
            Module,
            QualificationModule,
            Prerequisite,
            Role,
            RoleCluster,
            RoleQualification,
            Provider,
            Offering,
            MappingReview,
            Attribute,
        )
    }
    bundle_export(path=tmp_path / "first")
    wipe_generated()  # the generated users stay: bundles name users, they do not carry them
    assert Qualification.objects.count() == Role.objects.count() == 0

    summaries = bundle_import(path=tmp_path / "first")

    assert sum(s.created for s in summaries) > 0
    assert {model: model.objects.count() for model in counts} == counts
    bundle_export(path=tmp_path / "second")
    for sheet in SHEET_NAMES:
        first = (tmp_path / "first" / f"{sheet}.csv").read_bytes()
        second = (tmp_path / "second" / f"{sheet}.csv").read_bytes()
        assert first == second, sheet
    assert BundleImport.objects.count() == 1


# -- after the load ------------------------------------------------------------------------


def planner_facts() -> tuple[bool, int]:
    """Whether the database holds statistics on the qualifications, and (PostgreSQL) how
    many of the table's pages its visibility map counts as all-visible."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples >= 0, relallvisible FROM pg_class "
                "WHERE relname = 'qualifications_qualification'"
            )
            return cursor.fetchone()
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return False, 0
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'qualifications_qualification'")
        return cursor.fetchone()[0] > 0, 0


def test_the_generated_tables_are_analysed_and_on_postgresql_vacuumed(migrated_transactional_db):
    out = generate(0.02)

    analysed, all_visible = planner_facts()
    assert analysed
    assert "planner's statistics" in out
    if connection.vendor == "postgresql":
        assert all_visible > 0
