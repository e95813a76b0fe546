"""Fixtures the tests of this room share."""

from pathlib import Path

import pytest

from tests.support.bundles import (
    MAPPER,
    MODERATOR,
    full_bundle,
    write_bundle,
)
from tests.support.factories import UserFactory


@pytest.fixture
def bundle_users(db):
    return UserFactory(username=MAPPER), UserFactory(username=MODERATOR)


@pytest.fixture
def full_bundle_path(tmp_path, bundle_users) -> Path:
    return write_bundle(tmp_path / "bundle", full_bundle())
