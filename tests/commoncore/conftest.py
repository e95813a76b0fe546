"""Fixtures the tests of this room share."""

import pytest

from tests.support.mapping import (
    person,
)


@pytest.fixture
def mapper(db):
    return person("Mapper", username="mia.mapper")


@pytest.fixture
def second_mapper(db):
    return person("Mapper", username="max.mapper")


@pytest.fixture
def moderator(db):
    return person("Moderator", username="mo.moderator")


@pytest.fixture
def second_moderator(db):
    return person("Moderator", username="meg.moderator")


@pytest.fixture
def mapper_moderator(db):
    """Someone with both rights: may map, and moderate other people's grids."""
    return person("Mapper", "Moderator", username="both.hats")
