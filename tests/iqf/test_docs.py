"""What the README and the pages of docs/ tell people to run, and the files they name,
exist: a renamed command, target or file fails here before it misleads anyone."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.M))


def mentioned(pattern: str) -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for match in re.finditer(pattern, page.read_text()):
            found.append((page.name, match.group(1)))
    return found


def test_the_pages_exist_and_link_to_each_other():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[2:]:
        assert f"docs/{page.name}" in readme
    assert len(PAGES) >= 6


def test_every_make_target_the_pages_show_is_in_the_makefile():
    targets = make_targets()
    shown = mentioned(r"(?m)(?:^|`)make ([a-z][a-z-]*)")
    assert len(shown) > 10
    assert [(page, t) for page, t in shown if t not in targets] == []


def test_every_command_the_pages_show_is_a_command_of_the_site():
    commands = set(get_commands())
    shown = mentioned(r"manage\.py ([a-z_]+)")
    assert len(shown) > 10
    assert [(page, c) for page, c in shown if c not in commands] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_file_and_folder_the_pages_name_exists(page):
    named = re.findall(r"`((?:[a-z_]+/)+[\w.-]*)`", page.read_text())
    # what the commands make (backups, collected static files, a run's figures at K)
    made = ("backups/", "staticfiles/", "benchmarks/loadfault-K")
    missing = [name for name in named if not name.startswith(made) and not (ROOT / name).exists()]
    assert missing == []
