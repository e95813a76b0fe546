"""What the generator draws: the shape of the source (its sizes and distributions)
and the counts at a scale (``plan_for``)."""

import math
from dataclasses import dataclass

from qualifications.models import Qualification
from tooling.generate import words

DEFAULT_SCHEME = "Workforce clusters"
SERVICE_SCHEME = "Service clusters"
USER_PREFIX = "gen."

CURRENT, WITHDRAWN, SUPERSEDED = (s.value for s in Qualification.Status)

#: The share of modules that cover each area when they are judged at all: the main area
#: (PRIMARY) and any further ones (SECONDARY). With about 22 % of modules covering none,
#: the share of all modules covering area 1…6 comes to about 47, 33, 28, 7, 14 and 15 %.
PRIMARY = (0.36, 0.24, 0.22, 0.04, 0.07, 0.07)
SECONDARY = (0.40, 0.255, 0.19, 0.054, 0.123, 0.137)
#: The share of modules covering no area, by module level (Level 5 least mapped).
NONE_SHARE: dict[int | None, float] = {
    0: 0.17,
    1: 0.17,
    2: 0.2,
    3: 0.2,
    4: 0.22,
    5: 0.45,
    6: 0.22,
    7: 0.24,
    8: 0.26,
    None: 0.3,
}
#: How many areas mapped qualifications cover: 60 % cover 5 or 6 (Report 4).
AREAS_COVERED = {6: 0.30, 5: 0.30, 4: 0.17, 3: 0.11, 2: 0.07, 1: 0.03, 0: 0.02}
#: Sizes of the source, scaled by K.
SOURCE_SIZE = {
    "qualifications": 1000,
    "modules": 4000,
    "memberships": 10_000,
    "roles": 125,
    "clusters": 11,
    "service_clusters": 7,
    "role_links": 730,
    "mapped": 350,
    "providers": 300,
    "offerings": 2400,
    "prerequisites": 170,
}

#: Qualification types by level, with weights; names are the migrated types.
TYPES_BY_LEVEL: dict[int | None, tuple[tuple[str, int], ...]] = {
    0: (("VRQ", 85), ("Other", 15)),
    1: (("VRQ", 60), ("NVQ", 30), ("Other", 10)),
    2: (("NVQ", 40), ("VRQ", 40), ("Apprenticeship", 12), ("Nationally endorsed training", 4), ("Other", 4)),
    3: (("NVQ", 35), ("VRQ", 40), ("Apprenticeship", 15), ("Nationally endorsed training", 5), ("Other", 5)),
    4: (("NVQ", 40), ("VRQ", 30), ("Apprenticeship", 10), ("Professional standards", 10), ("Other", 10)),
    5: (("Foundation degree", 55), ("NVQ", 15), ("VRQ", 15), ("Other", 15)),
    6: (("Degree", 70), ("Professional standards", 20), ("Other", 10)),
    7: (("Postgraduate", 75), ("Professional standards", 15), ("Other", 10)),
    8: (("Postgraduate", 100),),
    None: (("Nationally endorsed training", 50), ("Professional standards", 30), ("Other", 20)),
}
HIGHER_EDUCATION = ("Foundation degree", "Degree", "Postgraduate")
COUNCIL_TYPES = ("Professional standards", "Nationally endorsed training")
#: Ranges of how many modules a qualification of each kind has.
SIZES = {
    "Award": (1, 4),
    "Certificate": (4, 8),
    "Diploma": (8, 16),
    "NVQ": (6, 12),
    "Apprenticeship": (8, 14),
    "Foundation degree": (10, 16),
    "Degree": (14, 22),
    "Postgraduate": (4, 8),
    "Professional standards": (0, 3),
    "Nationally endorsed training": (1, 4),
    "Other": (1, 8),
}


class GenerationError(Exception):
    """The generator cannot run: the message says why."""


@dataclass(frozen=True)
class Plan:
    """How many of each thing the generator writes at a scale."""

    scale: float
    qualifications: int
    modules: int
    shared_modules: int
    memberships: int
    clusters: int
    service_clusters: int
    roles: int
    role_links: int
    mapped: int
    providers: int
    offerings: int
    prerequisites: int
    awarding_bodies: int
    mappers: int
    moderators: int


def plan_for(scale: float) -> Plan:
    """The counts for ``scale`` (K): the source's sizes times K, with small floors."""
    if not (scale > 0 and math.isfinite(scale)):
        raise GenerationError(f"The scale must be a positive number, not {scale!r}.")

    def scaled(name: str, floor: int) -> int:
        return max(floor, round(SOURCE_SIZE[name] * scale))

    qualifications = scaled("qualifications", 10)
    modules = scaled("modules", 2 * qualifications)
    shared = max(1, round(modules / 5))
    clusters = scaled("clusters", len(words.SECTORS))
    roles = scaled("roles", clusters)
    root = math.sqrt(scale)
    return Plan(
        scale=scale,
        qualifications=qualifications,
        modules=modules,
        shared_modules=shared,
        memberships=max(scaled("memberships", 0), modules + shared),
        clusters=clusters,
        service_clusters=scaled("service_clusters", 7),
        roles=roles,
        role_links=scaled("role_links", roles),
        mapped=min(scaled("mapped", 3), qualifications // 2),
        providers=scaled("providers", len(words.REGION_WEIGHTS)),
        offerings=scaled("offerings", len(words.REGION_WEIGHTS)),
        prerequisites=scaled("prerequisites", 1),
        awarding_bodies=max(6, round(60 * root)),
        mappers=max(2, round(6 * root)),
        moderators=max(2, round(3 * root)),
    )
