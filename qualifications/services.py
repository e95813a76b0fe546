"""Writes with rules for qualifications and modules."""

from django.db import transaction
from django.db.models import QuerySet

from iqf.lib.text import title_key
from qualifications.models import Module, Qualification


class QualificationError(Exception):
    """A change a clerk asked for that the rules refuse; the message says why."""


def likely_duplicates_of_qualification(
    *, title: str, awarding_body_name: str = "", exclude_pk: int | None = None
) -> QuerySet[Qualification]:
    """Qualifications whose title matches once presentation is ignored (DESIGN §1)."""
    key = title_key(title, awarding_body_name)
    keys = {key, title_key(title)}
    found = Qualification.objects.filter(title_key__in=keys).select_related("awarding_body")
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("ref")


def likely_duplicates_of_module(*, title: str, exclude_pk: int | None = None) -> QuerySet[Module]:
    found = Module.objects.filter(title_key=title_key(title))
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("ref")


def successor_loop(*, qualification: Qualification, successor: Qualification | None) -> list[str]:
    """The refs of the loop that naming ``successor`` would close (empty when none): a
    qualification cannot, through a chain of successors, end up superseding itself."""
    if successor is None or qualification.pk is None:
        return []
    chain, seen = [qualification.ref], set()
    current: Qualification | None = successor
    while current is not None and current.pk not in seen:
        chain.append(current.ref)
        if current.pk == qualification.pk:
            return chain
        seen.add(current.pk)
        current = current.superseded_by
    return []


@transaction.atomic
def qualification_withdraw(*, qualification: Qualification) -> bool:
    """Archive a qualification as withdrawn. Returns False when it already was."""
    locked = Qualification.objects.select_for_update().get(pk=qualification.pk)
    if locked.status == Qualification.Status.WITHDRAWN:
        return False
    locked.status = Qualification.Status.WITHDRAWN
    locked.superseded_by = None
    locked.save()
    return True


@transaction.atomic
def qualification_supersede(*, qualification: Qualification, successor: Qualification) -> None:
    """Archive a qualification as superseded by ``successor``."""
    if successor.pk == qualification.pk:
        raise QualificationError("A qualification cannot supersede itself.")
    if successor.status != Qualification.Status.CURRENT:
        raise QualificationError(f"{successor.ref} is not current, so it cannot be the successor.")
    locked = Qualification.objects.select_for_update().get(pk=qualification.pk)
    locked.status = Qualification.Status.SUPERSEDED
    locked.superseded_by = successor
    locked.save()


@transaction.atomic
def qualification_reinstate(*, qualification: Qualification) -> bool:
    """Bring an archived qualification back to current. Returns False when it was current."""
    locked = Qualification.objects.select_for_update().get(pk=qualification.pk)
    if locked.status == Qualification.Status.CURRENT:
        return False
    locked.status = Qualification.Status.CURRENT
    locked.superseded_by = None
    locked.save()
    return True
