"""The rows migrations install that generated data refers to."""

from dataclasses import dataclass

from django.contrib.auth.models import Group

from commoncore.models import Area, Framework
from qualifications.models import QualificationType, Region
from tooling.generate.plan import GenerationError


@dataclass(frozen=True)
class Reference:
    """The rows migrations install that generated data refers to."""

    type_ids: dict[str, int]
    region_ids: list[int]
    region_names: list[str]
    region_masks: list[int]
    area_ids: list[int]
    group_ids: dict[str, int]

    @classmethod
    def load(cls) -> "Reference":
        try:
            framework = Framework.objects.default()
        except Framework.DoesNotExist:
            raise GenerationError("No default framework: run migrate first.") from None
        areas = list(Area.objects.filter(framework=framework).order_by("number"))
        if len(areas) != 6:
            raise GenerationError(f"The default framework {framework} needs six areas; it has {len(areas)}.")
        regions = list(Region.objects.order_by("order", "name"))
        if not regions:
            raise GenerationError("No regions: run migrate first.")
        types = {t.name.casefold(): t.pk for t in QualificationType.objects.all()}
        if not types:
            raise GenerationError("No qualification types: run migrate first.")
        return cls(
            type_ids=types,
            region_ids=[r.pk for r in regions],
            region_names=[r.name for r in regions],
            region_masks=[r.mask for r in regions],
            area_ids=[a.pk for a in areas],
            group_ids={g.name: g.pk for g in Group.objects.filter(name__in=["Mapper", "Moderator"])},
        )

    def type_id(self, name: str) -> int | None:
        found = self.type_ids.get(name.casefold()) or self.type_ids.get("other")
        return found if found is not None else next(iter(self.type_ids.values()), None)
