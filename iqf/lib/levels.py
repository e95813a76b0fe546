"""Qualification levels: Entry, 1 to 8, or not levelled (stored as NULL).

Levels are stored as small integers so that they sort in their natural order
(Entry = 0 comes before Level 1); bundles and URLs spell Entry as ``E``.
"""

from django.db import models

ENTRY = 0
HIGHEST = 8


class Level(models.IntegerChoices):
    ENTRY = 0, "Entry level"
    L1 = 1, "Level 1"
    L2 = 2, "Level 2"
    L3 = 3, "Level 3"
    L4 = 4, "Level 4"
    L5 = 5, "Level 5"
    L6 = 6, "Level 6"
    L7 = 7, "Level 7"
    L8 = 8, "Level 8"


def level_code(level: int | None) -> str:
    """The bundle and URL spelling of a level: ``E``, ``1``…``8`` or ``""``."""
    if level is None:
        return ""
    return "E" if level == ENTRY else str(level)


def parse_level(code: str) -> int | None:
    """Read ``E``, ``1``…``8`` or an empty string; anything else is a ValueError."""
    text = (code or "").strip()
    if text == "":
        return None
    if text.upper() == "E":
        return ENTRY
    # isdigit() alone is true of "²" and of other scripts' digits
    if text.isascii() and text.isdigit() and 1 <= int(text) <= HIGHEST:
        return int(text)
    raise ValueError(f"{text!r} is not a level: use E, 1 to 8, or leave it empty")


#: Every level as its code and label, for a choice of levels in a query string.
CODE_CHOICES = [(level_code(value), label) for value, label in Level.choices]


def level_field(**kwargs) -> models.PositiveSmallIntegerField:
    kwargs.setdefault("help_text", "Entry, 1 to 8, or empty when the entry is not levelled.")
    return models.PositiveSmallIntegerField(
        choices=Level.choices, null=True, blank=True, db_index=True, **kwargs
    )


def level_check(model_name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(level__isnull=True) | models.Q(level__gte=ENTRY, level__lte=HIGHEST),
        name=f"{model_name}_level_in_range",
        violation_error_message="Level must be Entry, 1 to 8, or empty.",
    )
