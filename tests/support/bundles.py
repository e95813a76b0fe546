"""Helpers for tests of bundles: writing and reading sheets, the full bundle of every sheet,
counts of rows and history, and what an import said."""

import csv
from pathlib import Path

import pytest
from django.apps import apps
from openpyxl import load_workbook

from bundles.services import bundle_import
from bundles.sheets import BundleError

MAPPER = "ann.mapper"
MODERATOR = "bob.moderator"
CORE_2010 = "Common Core of Skills and Knowledge (2010)"

Rows = list[list[str]]
Bundle = dict[str, Rows]  # sheet name → header row, then data rows


def write_bundle(folder: Path, bundle: Bundle) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in bundle.items():
        with open(folder / f"{sheet}.csv", "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def write_raw(folder: Path, sheet: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sheet}.csv").write_bytes(data)
    return folder


def read_csv_sheet(folder: Path, sheet: str) -> list[dict[str, str]]:
    with open(folder / f"{sheet}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_xlsx_sheet(workbook_path: Path, sheet: str) -> list[dict[str, str]]:
    workbook = load_workbook(workbook_path, read_only=True)
    try:
        rows = [
            ["" if value is None else str(value) for value in row]
            for row in workbook[sheet].iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    header, data = rows[0], rows[1:]
    return [dict(zip(header, row, strict=False)) for row in data]


def rows_missing_from_export(bundle: Bundle, exported: dict[str, list[dict[str, str]]]) -> dict:
    """For each sheet, the imported rows the export does not give back (on the imported
    columns, with identical values)."""
    missing = {}
    for sheet, (header, *data) in bundle.items():
        imported = {tuple(row) for row in data}
        given_back = {tuple(row.get(c, "<no column>") for c in header) for row in exported[sheet]}
        if imported - given_back:
            missing[sheet] = imported - given_back
    return missing


def import_error(path: Path) -> str:
    with pytest.raises(BundleError) as caught:
        bundle_import(path=path)
    return "\n".join(caught.value.messages)


def table_counts() -> dict[str, int]:
    """Rows in every table of the three apps, history tables included."""
    return {
        model._meta.label: model.objects.count()
        for app in ("qualifications", "roles", "commoncore")
        for model in apps.get_app_config(app).get_models()
    }


def history_counts() -> dict[str, int]:
    return {label: n for label, n in table_counts().items() if ".Historical" in label}


def by_sheet(summaries) -> dict[str, tuple[int, int, int]]:
    return {s.sheet: (s.created, s.updated, s.unchanged) for s in summaries}


def full_bundle() -> Bundle:
    """Every sheet, in the order DESIGN §5 lists them; every row refers only to rows
    defined earlier in the bundle or to what migrations install."""
    return {
        "clusters": [
            ["scheme", "cluster"],
            ["Services 2024", "Family support"],
            ["Services 2024", "Early help"],
        ],
        "roles": [
            ["role", "level", "description"],
            ["Family support worker", "3", "Works with families at home"],
            ["Early help coordinator", "E", ""],
            ["Youth mentor", "", "Volunteer mentor"],
        ],
        "role_clusters": [
            ["scheme", "cluster", "role"],
            ["Services 2024", "Family support", "Family support worker"],
            ["Services 2024", "Early help", "Family support worker"],
            ["Services 2024", "Early help", "Early help coordinator"],
            ["Services 2024", "Family support", "Youth mentor"],
        ],
        "qualification_types": [
            ["name"],
            ["Forest School award"],
        ],
        "awarding_bodies": [
            ["name"],
            ["CACHE"],
            ["City & Guilds"],
        ],
        "qualifications": [
            [
                "ref",
                "title",
                "type",
                "awarding_body",
                "level",
                "learning_hours",
                "status",
                "source",
                "source_url",
                "notes",
                "superseded_by",
            ],
            # superseded by Q-NEW, which the next row defines
            [
                "Q-OLD",
                "CACHE Level 3 Certificate in Family Support",
                "NVQ",
                "CACHE",
                "3",
                "180",
                "superseded",
                "Ofqual register",
                "https://register.example.org/q-old",
                "Replaced in 2008",
                "Q-NEW",
            ],
            [
                "Q-NEW",
                "CACHE Level 3 Diploma in Family Support",
                "VRQ",
                "CACHE",
                "3",
                "360",
                "current",
                "Ofqual register",
                "https://register.example.org/q-new",
                "",
                "",
            ],
            [
                "Q-FS",
                "City & Guilds Level 2 Forest School Leader",
                "Forest School award",
                "City & Guilds",
                "2",
                "",
                "withdrawn",
                "",
                "",
                "Withdrawn 2010",
                "",
            ],
            ["Q-ENTRY", "Entry Level Award in Caring", "", "", "E", "", "current", "", "", "", ""],
            [
                "Q-SAFE",
                "Safeguarding awareness",
                "Nationally endorsed training",
                "",
                "",
                "6",
                "current",
                "",
                "",
                "",
                "",
            ],
        ],
        "modules": [
            ["ref", "title", "level", "learning_hours", "notes"],
            ["U-101", "Communicate with families", "3", "30", ""],
            ["U-102", "Support transitions", "3", "20", "Optional in the diploma"],
            ["U-201", "Outdoor risk assessment", "2", "", ""],
        ],
        "qualification_modules": [
            ["qualification_ref", "module_ref", "mandatory"],
            ["Q-NEW", "U-101", "yes"],
            ["Q-NEW", "U-102", "no"],
            ["Q-OLD", "U-101", "yes"],
            ["Q-FS", "U-201", "yes"],
        ],
        "prerequisites": [
            ["qualification_ref", "required_qualification_ref", "required_module_ref"],
            ["Q-NEW", "Q-ENTRY", ""],
            ["Q-FS", "", "U-101"],
        ],
        "role_qualifications": [
            ["role", "qualification_ref", "key"],
            ["Family support worker", "Q-NEW", "yes"],
            ["Family support worker", "Q-OLD", "no"],
            ["Early help coordinator", "Q-ENTRY", "yes"],
        ],
        "providers": [
            ["name", "region", "url"],
            ["Sheffield College", "Yorkshire and the Humber", "https://sheffcol.example.org"],
            ["Open Learning Trust", "", ""],
        ],
        "offerings": [
            ["provider", "qualification_ref", "course_hours", "mode", "cost"],
            ["Sheffield College", "Q-NEW", "360", "part-time", "450.00"],
            ["Sheffield College", "Q-NEW", "300", "full-time", ""],
            ["Open Learning Trust", "Q-FS", "", "distance", "0.00"],
        ],
        "mapping_reviews": [
            ["qualification_ref", "framework", "status", "mapped_by", "moderated_by"],
            ["Q-NEW", "", "approved", MAPPER, MODERATOR],
            ["Q-FS", "", "accepted", MAPPER, ""],
            ["Q-ENTRY", "", "draft", MAPPER, ""],
            ["Q-OLD", CORE_2010, "accepted", MAPPER, ""],
        ],
        "attributes": [
            ["framework", "area", "qualification_ref", "module_ref"],
            ["", "1", "Q-NEW", ""],
            ["", "3", "Q-NEW", ""],
            ["", "1", "", "U-101"],
            ["", "2", "", "U-201"],
            [CORE_2010, "5", "Q-OLD", ""],
        ],
    }


def data_rows(bundle: Bundle, sheet: str) -> int:
    return len(bundle[sheet]) - 1


class _Undo(Exception):
    """Raised to roll back a block, leaving the database as it was before it."""


def qualification_rows(count: int) -> Rows:
    return [["ref", "title", "level"]] + [
        [f"Q{n:04d}", f"Certificate number {n}", "2"] for n in range(1, count + 1)
    ]


BASE_QUALIFICATION = [["ref", "title"], ["Q1", "Diploma in Play"]]
