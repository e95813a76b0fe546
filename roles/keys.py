"""Keeping ``Qualification.key_for_a_role`` equal to what the role links say.

A qualification is key for a role when its link to the role says so; the finder's key
facet, with no role or cluster chosen, asks whether it is key for any role, on every
page and for every result. The answer is kept on the qualification as a flag, derived:
every write to a role link refreshes it for the qualifications concerned, in the same
transaction: the registry of derived data (``iqf.lib.derived``, :data:`KEY_FLAGS`) sees
every write of a role link; imports and the generator, which write in bulk, refresh once
for all their rows or write the flag with the qualification. A save of an existing
qualification leaves the flag alone (``Qualification.save``). ``manage.py
refresh_derived`` rebuilds it whole.
"""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from iqf.lib.derived import Derived, Source, Stale, check_column, refresh_column
from qualifications.models import Qualification
from roles.models import RoleQualification


def derived_flag() -> Exists:
    """Whether the qualification ``OuterRef("pk")`` is key for some role."""
    return Exists(RoleQualification.objects.filter(qualification=OuterRef("pk"), is_key=True))


def refresh(qualification_ids: Iterable[int] | None = None) -> int:
    """Recompute ``key_for_a_role`` of the given qualifications (None: of all of them),
    writing only those that change; returns how many did."""
    return refresh_column(Qualification, "key_for_a_role", derived_flag(), qualification_ids)


def check(qualification_ids: Iterable[int] | None = None) -> list[Stale]:
    """The qualifications (of the given ids, or all) whose stored flag is stale."""
    return check_column(Qualification, "key_for_a_role", derived_flag(), qualification_ids)


KEY_FLAGS = Derived(
    name="key flags",
    stored_in="qualifications_qualification.key_for_a_role",
    sources=(
        # a save that writes the stored value writes what it read, which a concurrent
        # write may have outdated (a save of an existing row leaves it: Qualification.save)
        Source(
            Qualification,
            reach=lambda rows: rows.values_list("pk", flat=True),
            reach_row=lambda qualification: [qualification.pk],
            fields=frozenset({"key_for_a_role"}),
            guarded=False,
            on_create=False,
        ),
        Source(
            RoleQualification,
            reach=lambda rows: rows.order_by().values_list("qualification_id", flat=True),
            reach_row=lambda link: [link.qualification_id],
            moves=True,
            fields=frozenset({"qualification", "qualification_id", "is_key"}),
        ),
    ),
    refresh=refresh,
    check=check,
    rows="qualifications",
)
