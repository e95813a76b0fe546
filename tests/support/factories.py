"""factory-boy factories for every model, with minimal valid defaults.

The Common Core frameworks and their areas, the nine regions, the qualification
types and the working groups exist after ``migrate`` (data migrations), so the
factories look those up instead of creating look-alikes.
"""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from bundles.models import BundleImport
from commoncore.models import (
    Area,
    Attribute,
    Element,
    EventKind,
    Framework,
    GridMark,
    MappingReview,
    ModerationPolicy,
    QualificationCoverage,
    ReviewEvent,
    ReviewStatus,
)
from iqf.models import ContentVersion
from qualifications.models import (
    AwardingBody,
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
    QualificationType,
    Region,
)
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification


def default_framework() -> Framework:
    return Framework.objects.get(is_default=True)


def default_area(number: int = 1) -> Area:
    return Area.objects.get(framework__is_default=True, number=number)


# -- users ---------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("test-password")
    is_staff = True


# -- qualifications app --------------------------------------------------------------


class QualificationTypeFactory(DjangoModelFactory):
    class Meta:
        model = QualificationType

    name = factory.Sequence(lambda n: f"Test type {n}")


class AwardingBodyFactory(DjangoModelFactory):
    class Meta:
        model = AwardingBody

    name = factory.Sequence(lambda n: f"Awarding Body {n}")


class RegionFactory(DjangoModelFactory):
    """Regions come from a migration; this one makes an extra, test-only region."""

    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Test region {n}")
    slug = factory.Sequence(lambda n: f"test-region-{n}")
    order = 100


class QualificationFactory(DjangoModelFactory):
    class Meta:
        model = Qualification

    ref = factory.Sequence(lambda n: f"Q{n:05d}")
    title = factory.Sequence(lambda n: f"Diploma in Test Studies {n}")

    class Params:
        withdrawn = factory.Trait(status=Qualification.Status.WITHDRAWN)
        superseded = factory.Trait(
            status=Qualification.Status.SUPERSEDED,
            superseded_by=factory.SubFactory("tests.support.factories.QualificationFactory"),
        )


class ModuleFactory(DjangoModelFactory):
    class Meta:
        model = Module

    ref = factory.Sequence(lambda n: f"M{n:05d}")
    title = factory.Sequence(lambda n: f"Unit on test practice {n}")


class QualificationModuleFactory(DjangoModelFactory):
    # A plain create(): the registry of derived data keeps the coverage summary exact.
    class Meta:
        model = QualificationModule

    qualification = factory.SubFactory(QualificationFactory)
    module = factory.SubFactory(ModuleFactory)
    mandatory = True


class PrerequisiteFactory(DjangoModelFactory):
    """By default a qualification required before another; ``of_module=True`` for a module."""

    class Meta:
        model = Prerequisite

    qualification = factory.SubFactory(QualificationFactory)
    required_qualification = factory.SubFactory(QualificationFactory)
    required_module = None

    class Params:
        of_module = factory.Trait(
            required_qualification=None, required_module=factory.SubFactory(ModuleFactory)
        )


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Test College {n}")


class OfferingFactory(DjangoModelFactory):
    class Meta:
        model = Offering

    provider = factory.SubFactory(ProviderFactory)
    qualification = factory.SubFactory(QualificationFactory)
    mode = "part-time"


# -- roles app -----------------------------------------------------------------------


class ClusterSchemeFactory(DjangoModelFactory):
    class Meta:
        model = ClusterScheme

    name = factory.Sequence(lambda n: f"Scheme {n}")
    slug = factory.Sequence(lambda n: f"scheme-{n}")
    is_default = False


class ClusterFactory(DjangoModelFactory):
    class Meta:
        model = Cluster

    scheme = factory.SubFactory(ClusterSchemeFactory)
    name = factory.Sequence(lambda n: f"Cluster {n}")
    slug = factory.Sequence(lambda n: f"cluster-{n}")


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    title = factory.Sequence(lambda n: f"Test worker {n}")
    slug = factory.Sequence(lambda n: f"test-worker-{n}")


class RoleClusterFactory(DjangoModelFactory):
    class Meta:
        model = RoleCluster

    role = factory.SubFactory(RoleFactory)
    cluster = factory.SubFactory(ClusterFactory)


class RoleQualificationFactory(DjangoModelFactory):
    class Meta:
        model = RoleQualification

    role = factory.SubFactory(RoleFactory)
    qualification = factory.SubFactory(QualificationFactory)
    is_key = False


# -- commoncore app ------------------------------------------------------------------


class FrameworkFactory(DjangoModelFactory):
    """A further, non-default framework (the Common Core editions exist already)."""

    class Meta:
        model = Framework

    name = factory.Sequence(lambda n: f"Test framework {n}")
    slug = factory.Sequence(lambda n: f"test-framework-{n}")
    is_default = False


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = Area

    framework = factory.SubFactory(FrameworkFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Test area {n}")
    short_title = factory.Sequence(lambda n: f"Area {n}")


class ElementFactory(DjangoModelFactory):
    class Meta:
        model = Element

    area = factory.SubFactory(AreaFactory)
    kind = Element.Kind.SKILL
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Test element {n}")


class MappingReviewFactory(DjangoModelFactory):
    """A draft grid for the default framework; traits give the other states, each with a
    moderator distinct from the mapper where the four-eyes rule needs one."""

    class Meta:
        model = MappingReview

    qualification = factory.SubFactory(QualificationFactory)
    framework = factory.LazyFunction(default_framework)
    status = ReviewStatus.DRAFT
    mapped_by = factory.SubFactory(UserFactory)

    class Params:
        submitted = factory.Trait(
            status=ReviewStatus.SUBMITTED, submitted_at=factory.LazyFunction(timezone.now)
        )
        approved = factory.Trait(
            status=ReviewStatus.APPROVED,
            moderated_by=factory.SubFactory(UserFactory),
            submitted_at=factory.LazyFunction(timezone.now),
            decided_at=factory.LazyFunction(timezone.now),
            published_at=factory.LazyFunction(timezone.now),
        )
        returned = factory.Trait(
            status=ReviewStatus.RETURNED,
            moderated_by=factory.SubFactory(UserFactory),
            submitted_at=factory.LazyFunction(timezone.now),
            decided_at=factory.LazyFunction(timezone.now),
            return_reason="Area 4 needs evidence from the learning outcomes.",
        )
        accepted = factory.Trait(
            status=ReviewStatus.ACCEPTED,
            submitted_at=factory.LazyFunction(timezone.now),
            decided_at=factory.LazyFunction(timezone.now),
            published_at=factory.LazyFunction(timezone.now),
        )


class AttributeFactory(DjangoModelFactory):
    """A published judgement that a qualification covers area 1 of the default framework;
    pass ``qualification=None, module=...`` for a module's judgement. (A plain create():
    the registry of derived data keeps the coverage summary exact.)"""

    class Meta:
        model = Attribute

    area = factory.LazyFunction(default_area)
    qualification = factory.SubFactory(QualificationFactory)
    module = None


class QualificationCoverageFactory(DjangoModelFactory):
    """A coverage summary row, for tests of the table itself: the row that a judgement of
    the qualification as a whole in area 1 of the default framework derives (the summary
    is written by its refresh alone, so the factory writes the judgement)."""

    class Meta:
        model = QualificationCoverage

    qualification = factory.SubFactory(QualificationFactory)
    area = factory.LazyFunction(default_area)

    @classmethod
    def _create(cls, model_class, *, qualification, area, **kwargs):
        AttributeFactory(qualification=qualification, area=area)
        return model_class.objects.get(qualification=qualification, area=area)


class GridMarkFactory(DjangoModelFactory):
    """A ticked cell: the qualification as a whole covers area 1, in a draft grid."""

    class Meta:
        model = GridMark

    review = factory.SubFactory(MappingReviewFactory)
    area = factory.LazyFunction(default_area)
    module = None


class ModerationPolicyFactory(DjangoModelFactory):
    class Meta:
        model = ModerationPolicy

    mapper = factory.SubFactory(UserFactory)
    set_by = factory.SubFactory(UserFactory)


class ReviewEventFactory(DjangoModelFactory):
    class Meta:
        model = ReviewEvent

    kind = EventKind.SUBMIT
    review = factory.SubFactory(MappingReviewFactory)
    mapper = factory.LazyAttribute(lambda e: e.review.mapped_by)
    actor = factory.LazyAttribute(lambda e: e.review.mapped_by)
    at = factory.LazyFunction(timezone.now)


class BundleImportFactory(DjangoModelFactory):
    class Meta:
        model = BundleImport

    name = factory.Sequence(lambda n: f"bundle-{n}")
    created = 1


class ContentVersionFactory(DjangoModelFactory):
    """The one counter row that migrate makes (a second row is refused)."""

    class Meta:
        model = ContentVersion
        django_get_or_create = ("id",)

    id = 1
