"""Running the generator: refuse a database that holds data, draw the World, write it
and summarise its coverage in one transaction."""

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from commoncore.models import MappingReview
from iqf.lib import derived
from qualifications.models import AwardingBody, Module, Provider, Qualification
from roles.models import ClusterScheme, Role
from tooling.generate.draw import build
from tooling.generate.plan import USER_PREFIX, GenerationError, plan_for
from tooling.generate.reference import Reference
from tooling.generate.write import Progress, Writer


def existing_data() -> list[str]:
    """What the database holds beyond what migrations install, as "12 qualifications"…
    (empty when the generator may run)."""
    checks: list[tuple[str, models.QuerySet]] = [
        ("qualifications", Qualification.objects.all()),
        ("modules", Module.objects.all()),
        ("roles", Role.objects.all()),
        ("cluster schemes", ClusterScheme.objects.all()),
        ("awarding bodies", AwardingBody.objects.all()),
        ("providers", Provider.objects.all()),
        ("mapping reviews", MappingReview.objects.all()),
        ("generated users", get_user_model().objects.filter(username__startswith=USER_PREFIX)),
    ]
    found = []
    for label, queryset in checks:
        count = queryset.count()
        if count:
            found.append(f"{count} {label}")
    return found


def refuse_unless_empty() -> None:
    """Raise GenerationError naming what the database holds beyond what migrations install."""
    found = existing_data()
    if found:
        raise GenerationError(
            "The database is not empty: it holds " + ", ".join(found) + ". generate_data "
            "fills a database that holds only what migrations install; migrate a new one."
        )


def generate_data(
    *, scale: float, seed: int = 1, batch_size: int = 5000, progress: Progress | None = None
) -> dict[str, int]:
    """Fill an empty database with synthetic data at ``scale`` × the source's size, all
    or nothing. Returns how many rows each table received. Raises GenerationError when
    the database already holds data or misses what migrations install."""
    plan = plan_for(scale)
    refuse_unless_empty()
    reference = Reference.load()
    world = build(plan, reference, seed=seed)
    writer = Writer(world, reference, batch_size=batch_size, progress=progress)
    if progress:
        progress.start(writer.total_rows())
    with transaction.atomic():
        with derived.refreshed_by_caller():
            writer.write()
        # Every derived value, rebuilt once for all the generated rows: the coverage
        # summary, the regions the offerings put each qualification in, which
        # qualifications the links make key.
        for value in derived.REGISTRY.values():
            value.refresh(None)
    return writer.counts


def settle() -> None:
    """After the bulk load: the planner's statistics for every table and, on PostgreSQL,
    the visibility map that lets counts be read from covering indexes alone (what
    autovacuum would otherwise do some time after). VACUUM cannot run inside a
    transaction, so inside one only the statistics are gathered."""
    statement = (
        "VACUUM (ANALYZE)"
        if connection.vendor == "postgresql" and not connection.in_atomic_block
        else "ANALYZE"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement)
