"""Realistic synthetic data at K times the source's size, for the benchmark (issue 6).

``generate_data(scale=K, seed=S)`` fills a database that holds only what migrations
install (frameworks, areas, regions, qualification types, groups) with qualifications,
modules, roles, clusters, providers, pre-requirements and published Common Core
mappings shaped like the source. At K = 1 it writes 1,000 qualifications, 4,000
modules (a fifth of them shared between qualifications, about 10,000 memberships),
125 roles in 11 clusters of the default scheme (and 7 of a second, "by service"
scheme), 730 role links, 350 mapped qualifications, 300 providers with offerings in
every region; every count that the source has scales linearly with K. Awarding bodies
and the generated mappers and moderators grow with the square root of K (the real
register has a few hundred awarding bodies, not tens of thousands). Small scales keep
a floor that keeps the data whole: the eleven sector clusters with a role each, one
provider in each of the nine regions.

The mapping is shaped like Report 4 (DESIGN.md §4): about 60 % of mapped
qualifications cover 5 or 6 areas; nearly half the modules of mapped qualifications
cover Communication and under a tenth Supporting transitions; nearly a quarter cover
no area; Level 5 modules are the least mapped; Health and Fitness modules cover areas
1-3 well and 4-6 poorly. Every module carries a latent profile (the areas its title is
about); the modules of mapped qualifications publish it as judgements. Mapped
qualifications are drawn from the current ones, linked ones first, so that the
distribution of areas covered matches the source; a qualification whose modules cover
fewer areas than it was drawn for gets judgements about the qualification as a whole
(as mappers record them) for the rest.

Everything is drawn from one ``random.Random(seed)``: the same scale and seed give the
same refs, titles and links (database ids may differ). Rows are written with
``bulk_create`` in batches inside one transaction, reading the new ids back from the
insert (PostgreSQL and SQLite 3.35+ both return them). ``bulk_create`` writes no
simple-history rows: generated records have no history, which is acceptable for
synthetic data (the first real edit of a record starts its history).

The package, by step: ``plan`` (the source's shape and the counts at a scale),
``reference`` (the rows migrations installed), ``words`` (the word lists names are built
from), ``world`` (the data set in memory), ``draw`` (drawing it: ``draw_base`` and one
module per domain, ``draw_qualifications``, ``draw_modules``, ``draw_roles``,
``draw_mapping``, ``draw_providers``), ``write`` (bulk writing) and ``run`` (the entry
points the ``generate_data`` command calls).
"""

from tooling.generate.draw import build
from tooling.generate.draw_base import Picker, apportion, level_band, lower_first, zipf
from tooling.generate.draw_qualifications import check_character
from tooling.generate.plan import (
    AREAS_COVERED,
    COUNCIL_TYPES,
    CURRENT,
    DEFAULT_SCHEME,
    HIGHER_EDUCATION,
    NONE_SHARE,
    PRIMARY,
    SECONDARY,
    SERVICE_SCHEME,
    SIZES,
    SOURCE_SIZE,
    SUPERSEDED,
    TYPES_BY_LEVEL,
    USER_PREFIX,
    WITHDRAWN,
    GenerationError,
    Plan,
    plan_for,
)
from tooling.generate.reference import Reference
from tooling.generate.run import existing_data, generate_data, refuse_unless_empty, settle
from tooling.generate.world import (
    ClusterRow,
    Mod,
    ProviderRow,
    Qual,
    ReviewRow,
    RoleRow,
    World,
    mask_areas,
)
from tooling.generate.write import NewId, Progress

__all__ = [
    # running the generator
    "generate_data",
    "existing_data",
    "refuse_unless_empty",
    "settle",
    "GenerationError",
    "Progress",
    # what to draw
    "Plan",
    "plan_for",
    "Reference",
    "build",
    "DEFAULT_SCHEME",
    "SERVICE_SCHEME",
    "USER_PREFIX",
    "CURRENT",
    "WITHDRAWN",
    "SUPERSEDED",
    "PRIMARY",
    "SECONDARY",
    "NONE_SHARE",
    "AREAS_COVERED",
    "SOURCE_SIZE",
    "TYPES_BY_LEVEL",
    "HIGHER_EDUCATION",
    "COUNCIL_TYPES",
    "SIZES",
    # the world in memory
    "World",
    "Qual",
    "Mod",
    "RoleRow",
    "ClusterRow",
    "ProviderRow",
    "ReviewRow",
    "NewId",
    # drawing helpers
    "Picker",
    "apportion",
    "zipf",
    "lower_first",
    "level_band",
    "mask_areas",
    "check_character",
]
