"""Keeping ``Qualification.key_for_a_role`` equal to what the role links say.

A qualification is key for a role when its link to the role says so; the finder's key
facet, with no role or cluster chosen, asks whether it is key for any role, on every
page and for every result. The answer is kept on the qualification as a flag, derived:
every write to a role link refreshes it for the qualifications concerned, in the same
transaction (the signal handlers below for rows saved one by one; imports and the
generator, which write in bulk, refresh once for all their rows or write the flag with
the qualification). A save of an existing qualification leaves the flag alone
(``Qualification.save``); one that writes it is refreshed after. ``manage.py
refresh_coverage`` rebuilds it whole.
"""

from collections.abc import Iterable

from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from iqf.lib.derived import refresh_column
from qualifications.models import Qualification
from roles.models import RoleQualification


def refresh(qualification_ids: Iterable[int] | None = None, *,
            qualification: type[models.Model] = Qualification,
            link: type[models.Model] = RoleQualification) -> int:
    """Recompute ``key_for_a_role`` of the given qualifications (None: of all of them),
    writing only those that change; returns how many did. Takes the models so that a
    migration can pass its own."""
    derived = Exists(link.objects.filter(qualification=OuterRef("pk"), is_key=True))
    return refresh_column(qualification, "key_for_a_role", derived, qualification_ids)


# -- rows saved one by one (the admin, tests): refreshed as they are written -----------


@receiver(pre_save, sender=RoleQualification, dispatch_uid="iqf-keys-link-saving")
def _link_saving(sender, instance: RoleQualification, raw: bool = False, **kwargs) -> None:
    # A link moved to another qualification may leave the one it left without a key link.
    instance._key_was_for = (
        None if instance.pk is None or raw
        else RoleQualification.objects.filter(pk=instance.pk)
        .values_list("qualification_id", flat=True).first()
    )


@receiver(post_save, sender=RoleQualification, dispatch_uid="iqf-keys-link-saved")
@receiver(post_delete, sender=RoleQualification, dispatch_uid="iqf-keys-link-deleted")
def _link_written(sender, instance: RoleQualification, **kwargs) -> None:
    was = getattr(instance, "_key_was_for", None)
    refresh([instance.qualification_id] + ([was] if was is not None else []))


@receiver(post_save, sender=Qualification, dispatch_uid="iqf-keys-qualification-saved")
def _qualification_saved(sender, instance: Qualification, created: bool,
                         update_fields=None, **kwargs) -> None:
    # A save that wrote the flag wrote what it read, which a concurrent write may have
    # outdated (an existing row is saved without it: Qualification.save).
    if not created and (update_fields is None or "key_for_a_role" in update_fields):
        refresh([instance.pk])
