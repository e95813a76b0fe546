"""Writes with rules for cluster schemes, clusters and roles."""

from django.db import transaction
from django.utils.text import slugify

from roles.models import ClusterScheme

SLUG_LENGTH = 80


def unique_slug(text: str, taken: set[str], *, max_length: int = SLUG_LENGTH) -> str:
    """A slug for ``text`` not in ``taken`` (which it is added to)."""
    base = slugify(text)[:max_length].strip("-") or "item"
    slug, number = base, 2
    while slug in taken:
        suffix = f"-{number}"
        slug = f"{base[: max_length - len(suffix)]}{suffix}"
        number += 1
    taken.add(slug)
    return slug


@transaction.atomic
def scheme_create(*, name: str) -> ClusterScheme:
    """Create a cluster scheme; the first scheme becomes the default."""
    taken = set(ClusterScheme.objects.values_list("slug", flat=True))
    is_default = not ClusterScheme.objects.select_for_update().filter(is_default=True).exists()
    return ClusterScheme.objects.create(name=name, slug=unique_slug(name, taken), is_default=is_default)
