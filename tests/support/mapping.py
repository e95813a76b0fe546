"""Helpers the tests of mapping share."""

from django.contrib.auth.models import Group
from django.db.models import Q

from commoncore import services
from commoncore.models import (
    Area,
    Attribute,
    Framework,
    GridMark,
    MappingReview,
    ModerationPolicy,
    PolicyMode,
    ReviewEvent,
)
from commoncore.services import Mark
from tests.support.factories import (
    QualificationFactory,
    QualificationModuleFactory,
    UserFactory,
    default_framework,
)


def person(*groups: str, **kwargs):
    """A staff user in the named working groups (from migrations 0003 and 0005)."""
    user = UserFactory(**kwargs)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


def area(number: int, framework: Framework | None = None) -> Area:
    return Area.objects.get(framework=framework or default_framework(), number=number)


def qualification_with(n_modules: int, **kwargs):
    """A qualification with ``n_modules`` modules, alternately mandatory and optional."""
    qualification = QualificationFactory(**kwargs)
    modules = [
        QualificationModuleFactory(qualification=qualification, order=i, mandatory=i % 2 == 0).module
        for i in range(n_modules)
    ]
    return qualification, modules


def ticks(*cells, basis: str = "", note: str = "") -> dict:
    """The marks a mapper sends: each cell is (module, or None for the whole
    qualification; area number)."""
    return {
        (module.pk if module else None, area(number).pk, None): Mark(basis=basis, note=note)
        for module, number in cells
    }


def save(qualification, user, marks, framework=None):
    """Save a draft the way the grid page does, with the version the page showed."""
    framework = framework or default_framework()
    open_review = services.open_review(qualification, framework)
    return services.review_save_draft(
        qualification=qualification,
        framework=framework,
        user=user,
        marks=marks,
        version=open_review.version if open_review else None,
    )


def submit(qualification, user, marks, framework=None) -> MappingReview:
    review = save(qualification, user, marks, framework)
    return services.review_submit(review=review, user=user, version=review.version)


def approve(review: MappingReview, moderator) -> MappingReview:
    review = MappingReview.objects.get(pk=review.pk)
    return services.review_approve(review=review, moderator=moderator, version=review.version)


def send_back(review: MappingReview, moderator, reason="Area 3 needs evidence.") -> MappingReview:
    review = MappingReview.objects.get(pk=review.pk)
    return services.review_return(review=review, moderator=moderator, version=review.version, reason=reason)


def public_cells(qualification, modules) -> set[tuple[int | None, int]]:
    """(module id or None, area number) of every published judgement of these rows."""
    return set(
        Attribute.objects.filter(Q(qualification=qualification) | Q(module__in=modules)).values_list(
            "module_id", "area__number"
        )
    )


def cells_of(marks) -> set[tuple[int | None, int]]:
    numbers = dict(Area.objects.values_list("pk", "number"))
    return {(module_id, numbers[area_id]) for module_id, area_id, _ in marks}


def database_state() -> dict:
    """Everything the workflow writes, to show that a refused action wrote nothing."""
    return {
        "reviews": list(MappingReview.objects.order_by("pk").values()),
        "marks": list(GridMark.objects.order_by("pk").values()),
        "attributes": list(Attribute.objects.order_by("pk").values()),
        "events": list(ReviewEvent.objects.order_by("pk").values()),
        "policies": list(ModerationPolicy.objects.order_by("pk").values()),
        "review history": MappingReview.history.count(),
        "mark history": GridMark.history.count(),
        "attribute history": Attribute.history.count(),
    }


def sample_policy(mapper, moderator, rate: int) -> ModerationPolicy:
    return services.policy_set(mapper=mapper, moderator=moderator, mode=PolicyMode.SAMPLE, sample_rate=rate)


def seed_that(review: MappingReview, rate: int, *, drawn: bool) -> str:
    """A seed under which ``review``'s draw falls below the rate (drawn) or not."""
    for n in range(10_000):
        seed = f"test-seed-{n}"
        if (services.draw_value(seed, review) < rate / 100) == drawn:
            return seed
    raise AssertionError("no such seed")  # pragma: no cover


def force_seed(mapper, seed: str) -> None:
    ModerationPolicy.objects.filter(mapper=mapper).update(seed=seed)
