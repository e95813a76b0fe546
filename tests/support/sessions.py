"""Helpers for tests that write to the database from two sessions at once (PostgreSQL)."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

#: How long the other session holds its transaction open after writing.
HOLD_SECONDS = 2


def while_another_session_writes(other_write, write) -> None:
    """Run ``other_write`` in a transaction on a connection of its own, kept open for
    HOLD_SECONDS after it wrote, and ``write`` in a transaction here meanwhile. A refresh
    that waits for the other session's rows ends once that transaction commits."""
    written, released, failures = threading.Event(), threading.Event(), []

    def other_session():
        try:
            with transaction.atomic():
                other_write()
                written.set()
                released.wait(timeout=HOLD_SECONDS)
        except BaseException as error:  # anything else fails the test, with its cause
            failures.append(repr(error))
        finally:
            connection.close()

    thread = threading.Thread(target=other_session)
    thread.start()
    try:
        assert written.wait(timeout=20), failures
        with transaction.atomic():
            write()
    finally:
        released.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert failures == []


def two_sessions(test):
    """For a test of two sessions writing at once: PostgreSQL only, committing for real."""
    marks = [
        pytest.mark.postgres,
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="two sessions writing at once need PostgreSQL; CI runs it there",
        ),
        pytest.mark.django_db(transaction=True),
        pytest.mark.usefixtures("migrated_transactional_db"),
    ]
    for mark in marks:
        test = mark(test)
    return test


def generate_counting_rewrites() -> int:
    """Generate a small data set; how many qualification rows were written again after
    being inserted."""
    rewritten = []

    def watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "qualifications_qualification"'):
            rewritten.append(context["cursor"].rowcount)
        return result

    with connection.execute_wrapper(watch):
        call_command("generate_data", scale=0.02, seed=1, no_progress=True, stdout=StringIO())
    return sum(rewritten)


#: How long a session holds its transaction open for the other to run into it.
