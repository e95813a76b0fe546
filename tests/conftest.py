"""Shared fixtures: a fast password hasher and users."""

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Real hashers are slow on purpose; tests need speed, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def make_user(db):
    """Create users on demand: ``make_user(username="mapper")``."""
    return UserFactory
