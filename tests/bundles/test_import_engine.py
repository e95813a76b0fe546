"""Bundle import and export (DESIGN §5): round trips, all-or-nothing, references,
the published-judgements rule, formula safety, file hygiene, speed and setup_demo."""

import time
from io import StringIO
from pathlib import Path

import pytest
import tablib
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from bundles.services import bundle_import
from bundles.sheets import SHEET_NAMES, BundleError
from bundles.writer import bundle_export
from qualifications.models import (
    Module,
    Qualification,
    QualificationModule,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster
from tests.support.admin import admin_import, client_for, person
from tests.support.bundles import (
    MAPPER,
    MODERATOR,
    Bundle,
    _Undo,
    data_rows,
    full_bundle,
    import_error,
    qualification_rows,
    read_csv_sheet,
    table_counts,
    write_bundle,
)
from tests.support.factories import QualificationFactory, UserFactory

pytestmark = pytest.mark.django_db


# -- speed ---------------------------------------------------------------------------


def test_import_of_ten_thousand_rows_completes(tmp_path):
    qualifications, modules_per_qualification = 2000, 3
    bundle = {
        "qualifications": [["ref", "title", "level", "learning_hours"]]
        + [
            [f"Q{n:05d}", f"Certificate in practice {n}", str(n % 8 + 1), "120"]
            for n in range(qualifications)
        ],
        "modules": [["ref", "title", "level"]]
        + [[f"U{n:05d}", f"Unit of practice {n}", str(n % 8 + 1)] for n in range(2000)],
        "qualification_modules": [["qualification_ref", "module_ref", "mandatory"]]
        + [
            [f"Q{q:05d}", f"U{(q + k) % 2000:05d}", "yes" if k == 0 else "no"]
            for q in range(qualifications)
            for k in range(modules_per_qualification)
        ],
    }
    rows = sum(len(sheet) - 1 for sheet in bundle.values())
    assert rows == 10_000
    path = write_bundle(tmp_path / "big", bundle)

    started = time.perf_counter()
    bundle_import(path=path)
    seconds = time.perf_counter() - started

    print(f"\nbundle import: {rows} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s")
    assert Qualification.objects.count() == 2000
    assert Module.objects.count() == 2000
    assert QualificationModule.objects.count() == 6000


# -- setup_demo ----------------------------------------------------------------------


def test_setup_demo_loads_the_reference_clusters_roles_and_links():
    call_command("setup_demo", "--no-demo", stdout=StringIO())

    scheme = ClusterScheme.objects.get(name="2005 workforce clusters")
    assert scheme.is_default
    assert Cluster.objects.filter(scheme=scheme).count() == 11
    assert Role.objects.count() == 124
    assert RoleCluster.objects.count() == 128


def test_setup_demo_twice_does_not_duplicate():
    call_command("setup_demo", "--no-demo", stdout=StringIO())
    before = table_counts()

    call_command("setup_demo", "--no-demo", stdout=StringIO())

    assert table_counts() == before


def test_setup_demo_places_counsellor_in_two_clusters():
    call_command("setup_demo", "--no-demo", stdout=StringIO())

    clusters = set(
        RoleCluster.objects.filter(role__title="Counsellor").values_list("cluster__name", flat=True)
    )
    assert {"Social Care", "Youth Work and Support"} <= clusters


# -- the import log ---------------------------------------------------------------------


def test_an_import_that_writes_is_logged_with_its_author_and_counts(full_bundle_path):
    from bundles.models import BundleImport

    author = UserFactory(username="clara.clerk")
    summaries = bundle_import(path=full_bundle_path, user=author)
    bundle_import(path=full_bundle_path, user=author)  # changes nothing: not logged

    log = BundleImport.objects.get()
    assert (log.name, log.imported_by, log.demonstration) == ("bundle", author, False)
    assert (
        log.created
        == sum(s.created for s in summaries)
        == sum(data_rows(full_bundle(), sheet) for sheet in full_bundle())
    )


def test_a_dry_run_or_a_refused_import_is_not_logged(full_bundle_path, tmp_path):
    from bundles.models import BundleImport

    bundle_import(path=full_bundle_path, dry_run=True)
    bad = write_bundle(tmp_path / "bad", {"roles": [["role", "level", "description"], ["A role", "9", ""]]})
    with pytest.raises(BundleError):
        bundle_import(path=bad)
    assert not BundleImport.objects.exists()


def test_bulk_export_writes_the_cells_the_resources_own_export_gives(full_bundle_path):
    """Exports read plain values from the database instead of a model instance per row:
    every sheet's header and cells are those of django-import-export's own export."""
    from bundles.sheets import SHEETS

    call_command("import_bundle", str(full_bundle_path), stdout=StringIO())
    for resource_class in SHEETS:
        resource = resource_class()
        reference = resource.export(resource.export_queryset())
        headers, rows = resource_class().export_rows()
        assert headers == list(reference.headers), resource_class.sheet
        assert [list(row) for row in rows] == [list(row) for row in reference], resource_class.sheet


# -- set-based writes ------------------------------------------------------------------
# bundle_import reads every row through the resources' validate_row, as the admin's
# import does, then writes each sheet in a few statements (bundles/bulk.py). These tests
# hold it to what django-import-export's own row-by-row import gives.


def simple_history_create(objs, *, user=None, reason=""):
    if objs:
        bulk_create_with_history(list(objs), type(objs[0]), default_user=user, default_change_reason=reason)


def simple_history_update(objs, fields, *, user=None, reason=""):
    if objs:
        bulk_update_with_history(
            list(objs), type(objs[0]), list(fields), default_user=user, default_change_reason=reason
        )


def import_row_by_row(path: Path) -> None:
    """The same bundle through django-import-export's import_data, sheet by sheet, as
    the admin's import screens run it, written by Django's and simple-history's own bulk
    functions; then the coverage summary rebuilt whole."""
    from bundles.reader import read_bundle
    from bundles.sheets import SHEETS
    from commoncore import summary

    sheets = read_bundle(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bundles.resources.create_with_history", simple_history_create)
        patch.setattr("bundles.resources.update_with_history", simple_history_update)
        patch.setattr("bundles.sheets.qualifications.update_with_history", simple_history_update)
        for resource_class in SHEETS:
            sheet = sheets.get(resource_class.sheet)
            if sheet is None:
                continue
            dataset = tablib.Dataset(*sheet.rows, headers=sheet.headers)
            resource = resource_class(change_reason=f"Bundle import from {path.name} (system)")
            result = resource.import_data(dataset, use_transactions=False)
            assert not (result.has_errors() or result.has_validation_errors()), resource.sheet
    summary.refresh()


def database_state(tmp_path: Path, name: str) -> dict:
    """Everything a bundle can carry, as the export writes it, with the coverage summary
    and the history rows counted by table and kind."""
    from commoncore.models import QualificationCoverage

    out = tmp_path / name
    bundle_export(path=out)
    state: dict = {
        sheet: sorted(map(tuple, map(dict.items, read_csv_sheet(out, sheet)))) for sheet in SHEET_NAMES
    }
    state["coverage"] = sorted(
        QualificationCoverage.objects.values_list(
            "qualification__ref",
            "area__framework__name",
            "area__number",
            "whole_possible",
            "whole_guaranteed",
            "elements_possible",
            "elements_guaranteed",
        )
    )
    state["history"] = {
        model._meta.label: sorted(model.objects.values_list("history_type", "history_change_reason"))
        for app in ("qualifications", "roles", "commoncore")
        for model in apps.get_app_config(app).get_models()
        if ".Historical" in model._meta.label
    }
    return state


def changed_full_bundle() -> Bundle:
    """The full bundle with titles, flags and a review changed, and rows added."""
    bundle = full_bundle()
    bundle["qualifications"][2][1] = "CACHE Level 3 Diploma in Family Support (2010)"
    bundle["modules"][1][4] = "Mandatory everywhere"
    bundle["qualification_modules"][2][2] = "yes"  # Q-NEW U-102 becomes mandatory
    bundle["qualification_modules"].append(["Q-ENTRY", "U-102", "no"])
    bundle["role_qualifications"][2][2] = "yes"
    bundle["mapping_reviews"][3][2] = "submitted"  # Q-ENTRY's draft is submitted
    bundle["attributes"].append(["", "6", "", "U-102"])
    return bundle


@pytest.mark.parametrize("second", [None, changed_full_bundle], ids=["create", "update"])
def test_set_based_import_gives_the_state_the_row_by_row_import_gives(tmp_path, bundle_users, second):
    first_path = write_bundle(tmp_path / "bundle", full_bundle())
    paths = [first_path] + ([write_bundle(tmp_path / "second", second())] if second else [])
    with pytest.raises(_Undo), transaction.atomic():
        for path in paths:
            import_row_by_row(path)
        row_by_row = database_state(tmp_path, "row-by-row")
        raise _Undo

    for path in paths:
        bundle_import(path=path)

    assert database_state(tmp_path, "set-based") == row_by_row


@pytest.mark.parametrize("sheet", SHEET_NAMES)
def test_a_new_rows_instance_holds_what_the_model_itself_gives(sheet):
    from bundles.setbased import instance_factory
    from bundles.sheets import SHEETS

    resource = next(r for r in SHEETS if r.sheet == sheet)()
    model = resource._meta.model

    made, reference = instance_factory(model)(), model()

    assert type(made) is model
    assert {k: v for k, v in vars(made).items() if k != "_state"} == {
        k: v for k, v in vars(reference).items() if k != "_state"
    }
    assert (made._state.adding, made._state.db) == (True, None)


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", ""),
        ("title", "t" * 256),
        ("title", "t" * 255),
        ("ref", "r" * 65),
        ("source", "s" * 201),
        ("notes", "n" * 10_000),
        ("source_url", "not a web address"),
        ("status", "archived"),
        ("status", ""),
        ("level", 12),
        ("learning_hours", -1),
    ],
)
def test_cleaning_a_row_refuses_what_the_model_refuses_with_its_message(field, value):
    # the oracle is Django's own Model.clean_fields over the same fields
    from bundles.sheets.qualifications import QualificationResource

    def instance():
        q = Qualification(ref="Q1", title="Play", status="current")
        setattr(q, field, value)
        return q

    resource = QualificationResource()
    expected = {}
    try:
        instance().clean_fields(exclude=resource.clean_fields_exclude())
    except ValidationError as error:
        expected = resource.to_columns(error.message_dict)
    got = {}
    try:
        resource.clean_model_fields(instance())
    except ValidationError as error:
        got = error.message_dict

    assert got == expected
    assert bool(expected) == ((field, value) not in {("title", "t" * 255), ("notes", "n" * 10_000)})


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_it_was(tmp_path):
    notes = "line one\nline two\ttabbed \\N back\\slash \\t\r\nend"
    path = write_bundle(
        tmp_path / "b",
        {
            "qualifications": [
                ["ref", "title", "notes"],
                ["Q1", "Play\\work", notes],
                ["Q2", "Empty notes", ""],
            ]
        },
    )

    bundle_import(path=path)

    stored = {q.ref: (q.title, q.notes) for q in Qualification.objects.all()}
    # the CSV reader keeps \r\n inside a quoted cell; cleaning trims only the ends
    assert stored == {"Q1": ("Play\\work", notes), "Q2": ("Empty notes", "")}
    history = Qualification.history.get(ref="Q1")
    assert (history.title, history.notes, history.history_type) == ("Play\\work", notes, "+")


def test_imported_rows_get_ids_the_database_goes_on_from(tmp_path):
    bundle_import(path=write_bundle(tmp_path / "b", {"qualifications": qualification_rows(3)}))

    later = QualificationFactory()

    assert later.pk > max(Qualification.objects.exclude(pk=later.pk).values_list("pk", flat=True))


def test_every_bad_row_of_a_sheet_is_named(tmp_path):
    rows = qualification_rows(5)
    rows[2][2] = "9"  # spreadsheet row 3
    rows[5][1] = ""  # spreadsheet row 6
    message = import_error(write_bundle(tmp_path / "b", {"qualifications": rows}))

    assert message.splitlines() == [
        "sheet qualifications: row 3, column level: '9' is not a level: use E, 1 to 8, or leave it empty",
        "sheet qualifications: row 6, column title: is empty; a value is required",
    ]


def test_a_bad_last_row_of_the_last_sheet_of_a_large_bundle_writes_nothing(tmp_path, bundle_users):
    bundle = sized_bundle(300)
    bundle["attributes"].append(["", "7", "Q0001", ""])
    path = write_bundle(tmp_path / "b", bundle)
    before = table_counts()

    message = import_error(path)

    assert (
        message == f"sheet attributes: row {len(bundle['attributes'])}, column area: "
        "Common Core of Skills and Knowledge (2005) has no area 7"
    )
    assert table_counts() == before


def test_a_failure_after_every_sheet_is_written_writes_nothing(tmp_path, bundle_users, monkeypatch):
    from commoncore import summary

    def fail(*args, **kwargs):
        raise RuntimeError("the summary could not be refreshed")

    monkeypatch.setattr(summary, "refresh", fail)
    before = table_counts()

    with pytest.raises(RuntimeError):
        bundle_import(path=write_bundle(tmp_path / "b", sized_bundle(50)))

    assert table_counts() == before


def sized_bundle(n: int) -> Bundle:
    """Every sheet with about ``n`` rows (three memberships per qualification)."""
    refs = [f"Q{i:04d}" for i in range(1, n + 1)]
    units = [f"U{i:04d}" for i in range(1, n + 1)]
    roles = [f"Role {i}" for i in range(1, n + 1)]
    providers = [f"Provider {i}" for i in range(1, n + 1)]
    return {
        "clusters": [["scheme", "cluster"]] + [["Services", f"Cluster {i}"] for i in range(n)],
        "roles": [["role", "level", "description"]] + [[r, "3", "A role"] for r in roles],
        "role_clusters": [["scheme", "cluster", "role"]]
        + [["Services", f"Cluster {i}", r] for i, r in enumerate(roles)],
        "qualification_types": [["name"], ["Forest School award"]],
        "awarding_bodies": [["name"], ["CACHE"]],
        "qualifications": [["ref", "title", "type", "awarding_body", "level", "learning_hours"]]
        + [[ref, f"Certificate {ref}", "NVQ", "CACHE", "2", "120"] for ref in refs],
        "modules": [["ref", "title", "level"]] + [[u, f"Unit {u}", "2"] for u in units],
        "qualification_modules": [["qualification_ref", "module_ref", "mandatory"]]
        + [
            [ref, units[(i + k) % n], "yes" if k == 0 else "no"]
            for i, ref in enumerate(refs)
            for k in range(3)
        ],
        "prerequisites": [["qualification_ref", "required_qualification_ref", "required_module_ref"]]
        + [[ref, "", units[(i + 5) % n]] for i, ref in enumerate(refs)],
        "role_qualifications": [["role", "qualification_ref", "key"]]
        + [[r, refs[i], "yes"] for i, r in enumerate(roles)],
        "providers": [["name", "region", "url"]] + [[p, "London", ""] for p in providers],
        "offerings": [["provider", "qualification_ref", "course_hours", "mode", "cost"]]
        + [[p, refs[i], "100", "part-time", "450.00"] for i, p in enumerate(providers)],
        "mapping_reviews": [["qualification_ref", "framework", "status", "mapped_by", "moderated_by"]]
        + [[ref, "", "approved", MAPPER, MODERATOR] for ref in refs],
        "attributes": [["framework", "area", "qualification_ref", "module_ref"]]
        + [["", str(i % 6 + 1), ref, ""] for i, ref in enumerate(refs)]
        + [["", str(i % 6 + 1), "", u] for i, u in enumerate(units)],
    }


def import_queries(tmp_path: Path, bundle: Bundle, name: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = write_bundle(tmp_path / name, bundle)
    with CaptureQueriesContext(connection) as queries:
        bundle_import(path=path)
    return len(queries)


def test_import_queries_do_not_grow_with_the_rows(tmp_path, bundle_users):
    # Per sheet: the rows already there, one query per table a column refers to, the
    # ids for the new rows, the rows and their history (one COPY or executemany each);
    # then the coverage summary and the import log. The same at 20 rows as at 200.
    counts = []
    for n in (20, 200):
        with pytest.raises(_Undo), transaction.atomic():
            counts.append(import_queries(tmp_path, sized_bundle(n), f"bundle-{n}"))
            assert Qualification.objects.count() == n
            raise _Undo
    small, large = counts

    assert large == small


def test_reimport_queries_do_not_grow_with_the_rows(tmp_path, bundle_users):
    def changed(bundle: Bundle) -> Bundle:
        for row in bundle["qualifications"][1:]:
            row[1] += " (revised)"
        return bundle

    counts = []
    for n in (20, 200):
        with pytest.raises(_Undo), transaction.atomic():
            bundle_import(path=write_bundle(tmp_path / f"first-{n}", sized_bundle(n)))
            counts.append(import_queries(tmp_path, changed(sized_bundle(n)), f"second-{n}"))
            assert Qualification.history.filter(history_type="~").count() == n
            raise _Undo

    assert counts[0] == counts[1]


@pytest.mark.parametrize("full_refresh_above", [20_000, 5], ids=["touched", "whole"])
def test_import_leaves_the_coverage_summary_as_a_full_rebuild_gives(
    tmp_path, bundle_users, monkeypatch, full_refresh_above
):
    # Above the threshold the import rebuilds the whole summary instead of finding the
    # qualifications its rows touch; either way the summary is what a rebuild gives.
    from commoncore import summary
    from commoncore.models import QualificationCoverage

    monkeypatch.setattr(summary, "FULL_REFRESH_ABOVE", full_refresh_above)
    bundle_import(path=write_bundle(tmp_path / "b", sized_bundle(30)))
    bundle_import(path=write_bundle(tmp_path / "c", changed_full_bundle()))
    imported = sorted(
        QualificationCoverage.objects.values_list(
            "qualification_id", "area_id", "whole_possible", "whole_guaranteed"
        )
    )

    summary.refresh()

    assert imported == sorted(
        QualificationCoverage.objects.values_list(
            "qualification_id", "area_id", "whole_possible", "whole_guaranteed"
        )
    )
    assert len(imported) >= 30


def test_imported_rows_never_take_the_id_of_a_deleted_row(tmp_path):
    # history rows name records by id: a new row under an old id would inherit its history
    gone = QualificationFactory()
    gone_id = gone.pk
    gone.delete()

    bundle_import(path=write_bundle(tmp_path / "b", {"qualifications": qualification_rows(2)}))

    assert min(Qualification.objects.values_list("pk", flat=True)) > gone_id


def estimated(table: str) -> float:
    """PostgreSQL's estimate of the table's rows, as its last ANALYZE left it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def analysed_empty(table: str) -> float:
    """Analyse the (empty) table, as a new database's is, and give its estimate. Another
    test's ANALYZE would otherwise linger: the estimate outlives a rolled-back transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return estimated(table)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_large_sheet_renews_its_table_statistics_before_the_refreshes_read_it(tmp_path, monkeypatch):
    from bundles import resources

    monkeypatch.setattr(resources, "ANALYZE_ABOVE", 3)
    rows = [["ref", "title"]] + [[f"Q-STAT-{n}", f"Award {n}"] for n in range(5)]

    before = analysed_empty("qualifications_qualification")
    bundle_import(path=write_bundle(tmp_path / "big", {"qualifications": rows}))
    after_large = estimated("qualifications_qualification")
    bundle_import(path=write_bundle(tmp_path / "small", {"qualifications": rows[:3]}))

    assert before == 0
    assert after_large == Qualification.objects.count() == 5  # the import's own rows counted
    assert estimated("qualifications_qualification") == after_large  # nothing written: not renewed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_large_admin_upload_renews_its_table_statistics_too(monkeypatch):
    from bundles import resources

    monkeypatch.setattr(resources, "ANALYZE_ABOVE", 3)
    clerk = client_for(person("Data clerk"))
    rows = "ref,title\r\n" + "".join(f"Q-ADM-{n},Award {n}\r\n" for n in range(5))

    before = analysed_empty("qualifications_qualification")
    admin_import(clerk, "qualifications.qualification", rows)
    after_large = estimated("qualifications_qualification")
    admin_import(clerk, "qualifications.qualification", "ref,title\r\nQ-ADM-9,Award 9\r\n")

    assert before == 0
    assert after_large == Qualification.objects.count() - 1 == 5
    assert estimated("qualifications_qualification") == after_large  # one row: not renewed
