"""Writing the World with ``bulk_create`` in dependency order, reading the new ids back
from each insert."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils.text import slugify

from commoncore.models import (
    Attribute,
    EventKind,
    Framework,
    GridMark,
    MappingReview,
    ReviewEvent,
    ReviewStatus,
)
from iqf.lib.text import title_key
from qualifications.models import (
    AwardingBody,
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification
from tooling.generate import words
from tooling.generate.plan import DEFAULT_SCHEME, SERVICE_SCHEME
from tooling.generate.reference import Reference
from tooling.generate.world import ReviewRow, World, mask_areas


class Progress(Protocol):
    """Told how many rows will be written, then of each batch written."""

    def start(self, total: int) -> None: ...

    def advance(self, stage: str, rows: int) -> None: ...


@dataclass(slots=True)
class NewId:
    """Receives the id of a row written for something that keeps no other record."""

    id: int = 0


class Writer:
    """Writes a World in dependency order, reading the new ids back from each insert."""

    def __init__(self, world: World, reference: Reference, *, batch_size: int, progress: Progress | None):
        self.world = world
        self.reference = reference
        self.batch_size = batch_size
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.title_keys: dict[tuple[str, str], str] = {}

    def insert(
        self,
        label: str,
        model: type[models.Model],
        rows: Iterable[models.Model],
        keep: Sequence | None = None,
    ) -> None:
        """bulk_create ``rows`` in batches; when ``keep`` is given, its items (in the same
        order as rows) receive the new ids."""
        batch: list[models.Model] = []
        position = 0

        def flush() -> None:
            nonlocal position, batch
            if not batch:
                return
            model.objects.bulk_create(batch)
            if keep is not None:
                for obj in batch:
                    keep[position].id = obj.pk
                    position += 1
            self.counts[label] = self.counts.get(label, 0) + len(batch)
            if self.progress:
                self.progress.advance(label, len(batch))
            batch = []

        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_size:
                flush()
        flush()
        self.counts.setdefault(label, 0)

    def total_rows(self) -> int:
        """How many rows ``write`` will insert."""
        world = self.world
        users = len(world.mappers) + len(world.moderators)
        return (
            users * (2 if self.reference.group_ids else 1)
            + len(world.bodies)
            + 2
            + len(world.clusters)
            + len(world.service_clusters)
            + len(world.roles)
            + sum(len(r.clusters) + len(r.service_clusters) for r in world.roles)
            + len(world.quals)
            + len(world.modules)
            + sum(len(q.modules) for q in world.quals)
            + len(world.prerequisites)
            + len(world.role_links)
            + len(world.providers)
            + len(world.offerings)
            + len(world.reviews)
            + sum(4 if r.returned else 2 for r in world.reviews)
            + sum(1 for r in world.reviews for _ in self.cells(r))
            + sum(len(mask_areas(r.own_mask)) for r in world.reviews)
            + sum(len(mask_areas(world.modules[m].mask)) for m in world.module_basis)
        )

    def key(self, title: str, body: str = "") -> str:
        found = self.title_keys.get((title, body))
        if found is None:
            found = self.title_keys[(title, body)] = title_key(title, body)
        return found

    def write(self) -> None:
        users = self.users()
        body_ids = self.awarding_bodies()
        self.clusters()
        self.roles()
        self.qualifications(body_ids)
        self.modules()
        self.memberships()
        self.prerequisites()
        self.role_links()
        self.providers()
        self.offerings()
        self.reviews(users)

    def users(self) -> list[int]:
        world, User = self.world, get_user_model()
        names = world.mappers + world.moderators
        users = [
            User(username=name, email=f"{name}@example.org", is_staff=True, password=make_password(None))
            for name in names
        ]
        holders = [NewId() for _ in names]
        self.insert("users", User, users, holders)
        groups = self.reference.group_ids
        through = User.groups.through
        memberships = []
        for i, holder in enumerate(holders):
            group = groups.get("Mapper" if i < len(world.mappers) else "Moderator")
            if group:
                memberships.append(through(user_id=holder.id, group_id=group))
        self.insert("user groups", through, memberships)
        return [h.id for h in holders]

    def awarding_bodies(self) -> list[int]:
        holders = [NewId() for _ in self.world.bodies]
        self.insert(
            "awarding bodies", AwardingBody, (AwardingBody(name=name) for name in self.world.bodies), holders
        )
        return [h.id for h in holders]

    def clusters(self) -> None:
        world = self.world
        schemes = [
            ClusterScheme(
                name=DEFAULT_SCHEME,
                slug=slugify(DEFAULT_SCHEME),
                is_default=True,
                description="Generated: the eleven sectors of the 2005 workforce "
                "clusters and their specialisms.",
            ),
            ClusterScheme(
                name=SERVICE_SCHEME,
                slug=slugify(SERVICE_SCHEME),
                description="Generated: roles grouped by the service they work in.",
            ),
        ]
        self.insert("cluster schemes", ClusterScheme, schemes)
        for scheme, rows in zip(schemes, (world.clusters, world.service_clusters), strict=True):
            self.insert(
                "clusters",
                Cluster,
                (Cluster(scheme_id=scheme.pk, name=row.name, slug=row.slug) for row in rows),
                rows,
            )

    def roles(self) -> None:
        world = self.world
        self.insert(
            "roles",
            Role,
            (
                Role(title=r.title, slug=r.slug, level=r.level, description=r.description, status=r.status)
                for r in world.roles
            ),
            world.roles,
        )
        self.insert(
            "role clusters",
            RoleCluster,
            (
                RoleCluster(role_id=role.id, cluster_id=cluster.id)
                for role in world.roles
                for cluster in [world.clusters[c] for c in role.clusters]
                + [world.service_clusters[c] for c in role.service_clusters]
            ),
        )

    def qualifications(self, body_ids: list[int]) -> None:
        world = self.world
        quals = world.quals
        # Each qualification written with the regions its offerings will put it in, and
        # whether a role link will make it key, so that the refreshes after the
        # offerings and links find nothing to rewrite.
        region_masks = self.reference.region_masks
        offered = [0] * len(quals)
        for p, q, *_ in world.offerings:
            region = world.providers[p].region
            if region is not None:
                offered[q] |= region_masks[region]
        key = {q for _, q, is_key in world.role_links if is_key}

        def row(index: int) -> Qualification:
            q = quals[index]
            body = world.bodies[q.body]
            return Qualification(
                ref=q.ref,
                title=q.title,
                title_key=self.key(q.title, body),
                qualification_type_id=self.reference.type_id(q.type_name),
                awarding_body_id=body_ids[q.body],
                level=q.level,
                learning_hours=q.hours,
                notes=q.notes,
                source=q.source,
                source_url=q.source_url,
                status=q.status,
                superseded_by_id=quals[q.successor].id if q.successor is not None else None,
                last_verified=q.verified,
                offered_regions=offered[index],
                key_for_a_role=index in key,
            )

        # successors are current, so they are written (and have ids) before what they replace
        first = [i for i, q in enumerate(quals) if q.successor is None]
        then = [i for i, q in enumerate(quals) if q.successor is not None]
        self.insert("qualifications", Qualification, (row(i) for i in first), [quals[i] for i in first])
        self.insert("qualifications", Qualification, (row(i) for i in then), [quals[i] for i in then])

    def modules(self) -> None:
        world = self.world
        quals = world.quals
        self.insert(
            "modules",
            Module,
            (
                Module(
                    ref=m.ref,
                    title=m.title,
                    title_key=self.key(m.title),
                    level=m.level,
                    learning_hours=m.hours,
                    qualification_id=quals[m.qualification].id if m.qualification is not None else None,
                )
                for m in world.modules
            ),
            world.modules,
        )

    def memberships(self) -> None:
        modules = self.world.modules
        self.insert(
            "module memberships",
            QualificationModule,
            (
                QualificationModule(
                    qualification_id=q.id,
                    module_id=modules[m].id,
                    mandatory=position < q.mandatory,
                    order=position + 1,
                )
                for q in self.world.quals
                for position, m in enumerate(q.modules)
            ),
        )

    def prerequisites(self) -> None:
        quals, modules = self.world.quals, self.world.modules
        self.insert(
            "pre-requirements",
            Prerequisite,
            (
                Prerequisite(
                    qualification_id=quals[q].id,
                    required_qualification_id=quals[rq].id if rq is not None else None,
                    required_module_id=modules[rm].id if rm is not None else None,
                )
                for q, rq, rm in self.world.prerequisites
            ),
        )

    def role_links(self) -> None:
        roles, quals = self.world.roles, self.world.quals
        self.insert(
            "role qualifications",
            RoleQualification,
            (
                RoleQualification(role_id=roles[r].id, qualification_id=quals[q].id, is_key=key)
                for r, q, key in self.world.role_links
            ),
        )

    def providers(self) -> None:
        regions = self.reference.region_ids
        self.insert(
            "providers",
            Provider,
            (
                Provider(
                    name=p.name, region_id=regions[p.region] if p.region is not None else None, url=p.url
                )
                for p in self.world.providers
            ),
            self.world.providers,
        )

    def offerings(self) -> None:
        providers, quals = self.world.providers, self.world.quals
        self.insert(
            "offerings",
            Offering,
            (
                Offering(
                    provider_id=providers[p].id,
                    qualification_id=quals[q].id,
                    course_hours=hours,
                    mode=mode,
                    cost=cost,
                )
                for p, q, hours, mode, cost in self.world.offerings
            ),
        )

    def reviews(self, user_ids: list[int]) -> None:
        """Approved grids, their events, their ticked cells and the published judgements."""
        world = self.world
        quals, modules = world.quals, world.modules
        framework = Framework.objects.default()
        mapper_ids = user_ids[: len(world.mappers)]
        moderator_ids = user_ids[len(world.mappers) :]
        areas = self.reference.area_ids
        self.insert(
            "mapping reviews",
            MappingReview,
            (
                MappingReview(
                    qualification_id=quals[r.qualification].id,
                    framework_id=framework.pk,
                    status=ReviewStatus.APPROVED,
                    mapped_by_id=mapper_ids[r.mapper],
                    moderated_by_id=moderator_ids[r.moderator],
                    submitted_at=r.submitted,
                    decided_at=r.decided,
                    published_at=r.decided,
                    times_returned=int(r.returned),
                    return_reason=words.RETURN_REASONS[r.qualification % len(words.RETURN_REASONS)]
                    if r.returned
                    else "",
                    grid_modules=[modules[m].id for m in quals[r.qualification].modules],
                )
                for r in world.reviews
            ),
            world.reviews,
        )
        self.insert("mapping events", ReviewEvent, self.events(mapper_ids, moderator_ids))
        self.insert(
            "grid marks",
            GridMark,
            (
                GridMark(
                    review_id=r.id,
                    module_id=modules[m].id if m is not None else None,
                    area_id=areas[a],
                    basis=basis,
                )
                for r in world.reviews
                for m, a, basis in self.cells(r)
            ),
        )
        published: dict[int, int] = {}
        for review in world.reviews:
            for m in quals[review.qualification].modules:
                published.setdefault(m, review.id)
        self.insert("published judgements", Attribute, self.judgements(published))

    def cells(self, review: ReviewRow) -> Iterator[tuple[int | None, int, str]]:
        """The ticked cells of a grid: the judgement of each module, and the qualification's own."""
        world = self.world
        for m in world.quals[review.qualification].modules:
            for area in mask_areas(world.modules[m].mask):
                yield m, area, world.module_basis[m]
        for area in mask_areas(review.own_mask):
            yield None, area, review.basis

    def judgements(self, published: dict[int, int]) -> Iterator[Attribute]:
        world, areas = self.world, self.reference.area_ids
        for review in world.reviews:
            for area in mask_areas(review.own_mask):
                yield Attribute(
                    area_id=areas[area],
                    qualification_id=world.quals[review.qualification].id,
                    basis=review.basis,
                    review_id=review.id,
                )
        for m, review_id in published.items():
            module = world.modules[m]
            for area in mask_areas(module.mask):
                yield Attribute(
                    area_id=areas[area], module_id=module.id, basis=world.module_basis[m], review_id=review_id
                )

    def events(self, mapper_ids: list[int], moderator_ids: list[int]) -> Iterator[ReviewEvent]:
        world = self.world
        for r in world.reviews:
            mapper, moderator = mapper_ids[r.mapper], moderator_ids[r.moderator]
            at = r.submitted
            yield ReviewEvent(
                kind=EventKind.SUBMIT,
                review_id=r.id,
                mapper_id=mapper,
                actor_id=mapper,
                at=at,
                note="round 1: every grid moderated",
            )
            if r.returned:
                returned_at = at + (r.decided - at) / 3
                yield ReviewEvent(
                    kind=EventKind.RETURN,
                    review_id=r.id,
                    mapper_id=mapper,
                    actor_id=moderator,
                    at=returned_at,
                    note=words.RETURN_REASONS[r.qualification % len(words.RETURN_REASONS)],
                )
                yield ReviewEvent(
                    kind=EventKind.SUBMIT,
                    review_id=r.id,
                    mapper_id=mapper,
                    actor_id=mapper,
                    at=returned_at + (r.decided - at) / 3,
                    note="round 1: returned before, so moderated",
                )
            yield ReviewEvent(
                kind=EventKind.APPROVE,
                review_id=r.id,
                mapper_id=mapper,
                actor_id=moderator,
                at=r.decided,
                note="Published (generated data).",
            )
