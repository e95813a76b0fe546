"""Drawing the whole data set in memory (``build``): the steps of each domain live in
the draw_* modules and run here in order, from one ``random.Random(seed)``."""

import random

from commoncore.models import Basis
from tooling.generate.draw_mapping import MappingDrawer
from tooling.generate.draw_modules import ModulesDrawer
from tooling.generate.draw_providers import ProvidersDrawer
from tooling.generate.draw_qualifications import QualificationsDrawer
from tooling.generate.draw_roles import RolesDrawer
from tooling.generate.plan import USER_PREFIX, Plan
from tooling.generate.reference import Reference
from tooling.generate.world import World


def build(plan: Plan, reference: Reference, *, seed: int) -> World:
    """Draw the whole data set in memory, deterministically for ``seed``."""
    return _Builder(plan, reference, random.Random(seed)).build()


class _Builder(QualificationsDrawer, ModulesDrawer, RolesDrawer, MappingDrawer, ProvidersDrawer):
    """Runs every step in the order that fixes what each seed draws."""

    def build(self) -> World:
        rng = self.rng
        bodies, body_kinds = self.awarding_bodies()
        clusters, service_clusters = self.clusters()
        roles = self.roles(clusters, service_clusters)
        quals = self.qualifications(body_kinds, bodies)
        modules = self.modules(quals)
        self.also_qualifications(quals, modules, bodies)
        prerequisites = self.prerequisites(quals, modules)
        links = self.role_links(roles, quals)
        mappers = [f"{USER_PREFIX}mapper{i:03d}" for i in range(1, self.plan.mappers + 1)]
        moderators = [f"{USER_PREFIX}moderator{i:03d}" for i in range(1, self.plan.moderators + 1)]
        reviews = self.reviews(quals, modules, links, len(mappers), len(moderators))
        module_basis = {}
        for review in reviews:
            for m in quals[review.qualification].modules:
                if m not in module_basis:
                    module_basis[m] = rng.choices((Basis.TITLES.value, Basis.OUTCOMES.value), (55, 45))[0]
        providers = self.providers()
        offerings = self.offerings(quals, providers)
        return World(
            plan=self.plan,
            bodies=bodies,
            clusters=clusters,
            service_clusters=service_clusters,
            roles=roles,
            quals=quals,
            modules=modules,
            prerequisites=prerequisites,
            role_links=links,
            providers=providers,
            offerings=offerings,
            mappers=mappers,
            moderators=moderators,
            reviews=reviews,
            module_basis=module_basis,
        )
