"""The data set in memory: rows that refer to each other by index until they are
written, and read their database ids back then."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from tooling.generate.plan import CURRENT, Plan


@dataclass(slots=True)
class Qual:
    ref: str
    title: str
    subject: str
    sector: int
    level: int | None
    type_name: str
    body: int
    hours: int | None
    size: int
    status: str = CURRENT
    successor: int | None = None
    notes: str = ""
    source: str = ""
    source_url: str = ""
    verified: datetime.date | None = None
    modules: list[int] = field(default_factory=list)
    mandatory: int = 0
    id: int = 0


@dataclass(slots=True)
class Mod:
    ref: str
    title: str
    level: int | None
    hours: int | None
    sector: int | None
    mask: int
    shared: bool
    qualification: int | None = None
    id: int = 0


@dataclass(slots=True)
class RoleRow:
    title: str
    slug: str
    level: int | None
    sector: int
    description: str
    status: str
    clusters: list[int]
    service_clusters: list[int]
    id: int = 0


@dataclass(slots=True)
class ClusterRow:
    name: str
    slug: str
    sector: int | None
    id: int = 0


@dataclass(slots=True)
class ProviderRow:
    name: str
    region: int | None
    url: str
    university: bool
    id: int = 0


@dataclass(slots=True)
class ReviewRow:
    qualification: int
    mapper: int
    moderator: int
    submitted: datetime.datetime
    decided: datetime.datetime
    returned: bool
    own_mask: int
    basis: str
    id: int = 0


@dataclass
class World:
    plan: Plan
    bodies: list[str]
    clusters: list[ClusterRow]
    service_clusters: list[ClusterRow]
    roles: list[RoleRow]
    quals: list[Qual]
    modules: list[Mod]
    prerequisites: list[tuple[int, int | None, int | None]]
    role_links: list[tuple[int, int, bool]]
    providers: list[ProviderRow]
    offerings: list[tuple[int, int, int | None, str, Decimal | None]]
    mappers: list[str]
    moderators: list[str]
    reviews: list[ReviewRow]
    module_basis: dict[int, str]


def mask_areas(mask: int) -> list[int]:
    """Area indices (0–5) in a bit mask."""
    return [a for a in range(6) if mask >> a & 1]
