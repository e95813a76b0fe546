"""The data model: database constraints, history, and what migrations install."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, connection, transaction
from factory.django import DjangoModelFactory

from commoncore.models import Area, Element, Framework, MappingReview, ReviewStatus
from qualifications.models import Qualification, QualificationType, Region
from roles.models import ClusterScheme
from tests.support import factories
from tests.support.factories import (
    AttributeFactory,
    ClusterSchemeFactory,
    ElementFactory,
    FrameworkFactory,
    MappingReviewFactory,
    ModuleFactory,
    OfferingFactory,
    PrerequisiteFactory,
    ProviderFactory,
    QualificationFactory,
    RoleFactory,
    UserFactory,
    default_area,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused():
    """The database refuses the write made inside the block; only that write is undone."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


# -- qualifications ------------------------------------------------------------------


def test_qualification_ref_is_unique():
    QualificationFactory(ref="500/1234/5")
    with refused():
        QualificationFactory(ref="500/1234/5")


def test_qualification_ref_is_unique_ignoring_case():
    QualificationFactory(ref="CACHE-L3-DIP")
    with refused():
        QualificationFactory(ref="cache-l3-dip")


def test_qualification_ref_cannot_be_empty():
    with refused():
        QualificationFactory(ref="")


def test_superseded_qualification_needs_a_successor():
    with refused():
        QualificationFactory(status=Qualification.Status.SUPERSEDED, superseded_by=None)


def test_only_a_superseded_qualification_names_a_successor():
    successor = QualificationFactory()
    with refused():
        QualificationFactory(status=Qualification.Status.CURRENT, superseded_by=successor)


def test_superseded_qualification_with_a_successor_is_stored():
    old = QualificationFactory(superseded=True)
    old.refresh_from_db()
    assert old.status == "superseded"
    assert old.superseded_by is not None


def test_qualification_cannot_supersede_itself():
    qualification = QualificationFactory()
    qualification.status = Qualification.Status.SUPERSEDED
    qualification.superseded_by = qualification
    with refused():
        qualification.save()


@pytest.mark.parametrize("level", [0, 8])
def test_qualification_level_accepts_entry_to_eight(level):
    qualification = QualificationFactory(level=level)
    qualification.refresh_from_db()
    assert qualification.level == level


def test_qualification_level_above_eight_is_refused():
    with refused():
        QualificationFactory(level=9)


def test_module_level_above_eight_is_refused():
    with refused():
        ModuleFactory(level=9)


def test_role_level_above_eight_is_refused():
    with refused():
        RoleFactory(level=9)


def test_module_ref_is_unique_ignoring_case():
    ModuleFactory(ref="CCLD301")
    with refused():
        ModuleFactory(ref="ccld301")


# -- pre-requirements ----------------------------------------------------------------


def test_prerequisite_needs_a_requirement():
    with refused():
        PrerequisiteFactory(required_qualification=None, required_module=None)


def test_prerequisite_cannot_require_both_a_qualification_and_a_module():
    with refused():
        PrerequisiteFactory(required_module=ModuleFactory())


def test_prerequisite_cannot_require_its_own_qualification():
    qualification = QualificationFactory()
    with refused():
        PrerequisiteFactory(qualification=qualification, required_qualification=qualification)


def test_prerequisite_qualification_is_recorded_once():
    first = PrerequisiteFactory()
    with refused():
        PrerequisiteFactory(
            qualification=first.qualification,
            required_qualification=first.required_qualification,
        )


def test_prerequisite_module_is_recorded_once():
    first = PrerequisiteFactory(of_module=True)
    with refused():
        PrerequisiteFactory(
            qualification=first.qualification,
            required_qualification=None,
            required_module=first.required_module,
        )


def test_prerequisite_of_a_module_is_stored():
    prerequisite = PrerequisiteFactory(of_module=True)
    assert prerequisite.required_module is not None
    assert prerequisite.required_qualification is None


# -- offerings -----------------------------------------------------------------------


def test_offering_is_unique_per_provider_qualification_and_mode():
    first = OfferingFactory(mode="distance")
    with refused():
        OfferingFactory(provider=first.provider, qualification=first.qualification, mode="distance")


def test_offering_in_another_mode_is_a_separate_offering():
    first = OfferingFactory(mode="distance")
    OfferingFactory(provider=first.provider, qualification=first.qualification, mode="full-time")
    assert first.provider.offerings.count() == 2


def test_offering_cost_cannot_be_negative():
    with refused():
        OfferingFactory(cost=Decimal("-0.01"))


def test_offering_cost_of_zero_is_allowed():
    offering = OfferingFactory(cost=Decimal("0.00"))
    offering.refresh_from_db()
    assert offering.cost == Decimal("0.00")


def test_provider_name_is_unique_ignoring_case():
    ProviderFactory(name="Sheffield College")
    with refused():
        ProviderFactory(name="SHEFFIELD COLLEGE")


# -- defaults ------------------------------------------------------------------------


def test_only_one_cluster_scheme_is_the_default():
    ClusterSchemeFactory(is_default=True)
    with refused():
        ClusterSchemeFactory(is_default=True)


def test_any_number_of_cluster_schemes_are_not_the_default():
    ClusterSchemeFactory()
    ClusterSchemeFactory()
    assert ClusterScheme.objects.filter(is_default=False).count() == 2


def test_only_one_framework_is_the_default():
    with refused():
        FrameworkFactory(is_default=True)


# -- mapping reviews -----------------------------------------------------------------


@pytest.mark.parametrize("status", [ReviewStatus.APPROVED, ReviewStatus.RETURNED])
def test_review_cannot_be_moderated_by_its_mapper(status):
    mapper = UserFactory()
    with refused():
        MappingReviewFactory(status=status, mapped_by=mapper, moderated_by=mapper)


@pytest.mark.parametrize("status", [ReviewStatus.APPROVED, ReviewStatus.RETURNED])
def test_review_decision_needs_a_moderator(status):
    with refused():
        MappingReviewFactory(status=status, moderated_by=None)


def test_approved_review_with_a_distinct_moderator_is_stored():
    review = MappingReviewFactory(approved=True)
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert review.moderated_by_id != review.mapped_by_id


def test_accepted_review_needs_no_moderator():
    review = MappingReviewFactory(accepted=True)
    assert review.moderated_by is None


def test_only_one_open_review_per_qualification_and_framework():
    first = MappingReviewFactory()
    with refused():
        MappingReviewFactory(qualification=first.qualification, status=ReviewStatus.SUBMITTED, round=2)


def test_a_new_round_may_open_after_an_approved_one():
    first = MappingReviewFactory(approved=True)
    MappingReviewFactory(qualification=first.qualification, round=2)
    assert MappingReview.objects.filter(qualification=first.qualification).count() == 2


def test_open_reviews_for_different_frameworks_may_coexist():
    first = MappingReviewFactory()
    other = Framework.objects.get(slug="common-core-2010")
    MappingReviewFactory(qualification=first.qualification, framework=other)
    assert MappingReview.objects.filter(qualification=first.qualification).count() == 2


# -- attributes ----------------------------------------------------------------------


def test_attribute_cannot_be_about_a_module_and_a_qualification():
    with refused():
        AttributeFactory(module=ModuleFactory())


def test_attribute_must_be_about_something():
    with refused():
        AttributeFactory(qualification=None, module=None)


def test_attribute_for_a_qualification_area_is_recorded_once():
    first = AttributeFactory()
    with refused():
        AttributeFactory(qualification=first.qualification, area=first.area)


def test_attribute_for_a_module_area_is_recorded_once():
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module)
    with refused():
        AttributeFactory(qualification=None, module=module)


def test_attribute_for_a_module_element_is_recorded_once():
    element = Element.objects.filter(area__framework__slug="common-core-2010").first()
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module, area=element.area, element=element)
    with refused():
        AttributeFactory(qualification=None, module=module, area=element.area, element=element)


def test_attribute_for_another_area_of_the_same_module_is_stored():
    module = ModuleFactory()
    AttributeFactory(qualification=None, module=module, area=default_area(1))
    AttributeFactory(qualification=None, module=module, area=default_area(2))
    assert module.attributes.count() == 2


def test_area_number_is_unique_in_its_framework():
    framework = FrameworkFactory()
    Area.objects.create(framework=framework, number=1, title="One", short_title="One")
    with refused():
        Area.objects.create(framework=framework, number=1, title="Again", short_title="Again")


def test_element_order_is_unique_in_its_area():
    first = ElementFactory()
    with refused():
        ElementFactory(area=first.area, order=first.order)


# -- history -------------------------------------------------------------------------


def test_editing_a_qualification_records_before_after_and_who():
    clerk = UserFactory(username="clerk")
    qualification = QualificationFactory(title="Level 2 Certificate in Playwork")
    qualification.title = "Level 3 Diploma in Playwork"
    qualification._history_user = clerk
    qualification.save()

    latest = qualification.history.first()
    previous = latest.prev_record
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
    assert qualification.history.count() == 2
    assert latest.history_type == "~"
    assert latest.history_user == clerk
    assert changes["title"] == ("Level 2 Certificate in Playwork", "Level 3 Diploma in Playwork")


def test_creating_a_qualification_records_a_creation():
    qualification = QualificationFactory()
    assert [h.history_type for h in qualification.history.all()] == ["+"]


# -- what migrations install ---------------------------------------------------------


def test_common_core_2005_is_the_default_framework():
    default = Framework.objects.default()
    assert default.slug == "common-core-2005"
    assert default.edition == "2005"


def test_common_core_2005_has_six_areas_and_no_elements():
    default = Framework.objects.default()
    assert list(default.areas.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert Element.objects.filter(area__framework=default).count() == 0


def test_common_core_2005_areas_have_the_published_titles():
    titles = dict(Framework.objects.default().areas.values_list("number", "title"))
    assert titles[3] == "Safeguarding and promoting the welfare of the child"
    assert titles[4] == "Supporting transitions"
    assert titles[6] == "Sharing information"


def test_common_core_2010_has_six_areas_and_thirty_two_elements():
    core_2010 = Framework.objects.get(slug="common-core-2010")
    # skills + knowledge per area: 3+3, 2+3, 3+3, 2+2, 2+3, 2+4
    assert core_2010.areas.count() == 6
    assert Element.objects.filter(area__framework=core_2010).count() == 32
    assert not core_2010.is_default


def test_common_core_2010_elements_carry_their_titles_and_kinds():
    elements = {
        (e.area.number, e.title): e.kind
        for e in Element.objects.filter(area__framework__slug="common-core-2010").select_related("area")
    }
    assert elements[(1, "Listening and building empathy")] == "skill"
    assert elements[(3, "Legal and procedural frameworks")] == "knowledge"
    assert elements[(6, "Awareness of laws and legislation")] == "knowledge"


def test_nine_regions_exist():
    names = set(Region.objects.values_list("name", flat=True))
    assert len(names) == 9
    assert {"London", "North East", "Yorkshire and the Humber", "South West"} <= names


def test_qualification_types_exist_after_migrate():
    names = set(QualificationType.objects.values_list("name", flat=True))
    assert {"NVQ", "VRQ", "Apprenticeship", "Foundation degree", "Degree"} <= names


# -- groups and permissions ----------------------------------------------------------


def group_codes(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app}.{code}" for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_four_working_groups_exist():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Data clerk", "Mapper", "Moderator", "Analyst"} <= names


def test_clerk_can_add_and_change_qualifications():
    codes = group_codes("Data clerk")
    assert {"qualifications.add_qualification", "qualifications.change_qualification"} <= codes
    assert "qualifications.import_qualification" in codes


def test_clerk_cannot_delete_records():
    codes = group_codes("Data clerk")
    for forbidden in (
        "qualifications.delete_qualification",
        "qualifications.delete_module",
        "roles.delete_role",
        "qualifications.delete_provider",
    ):
        assert forbidden not in codes


def test_mapper_can_map_but_not_moderate():
    codes = group_codes("Mapper")
    assert "commoncore.map_review" in codes
    assert "commoncore.moderate_review" not in codes


def test_moderator_can_moderate():
    assert "commoncore.moderate_review" in group_codes("Moderator")


def test_analyst_can_export_but_not_change():
    codes = group_codes("Analyst")
    assert "qualifications.export_qualification" in codes
    assert "commoncore.export_attribute" in codes
    assert not {c for c in codes if c.split(".")[1].startswith(("add_", "change_", "delete_"))}


@pytest.mark.parametrize(
    "app_label, codename",
    [
        ("qualifications", "import_qualification"),
        ("qualifications", "export_qualification"),
        ("roles", "import_role"),
        ("commoncore", "export_attribute"),
        ("qualifications", "archive_qualification"),
    ],
)
def test_import_export_permissions_exist(app_label, codename):
    assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists()


# -- factories -----------------------------------------------------------------------

ALL_FACTORIES = [
    factory_class
    for factory_class in vars(factories).values()
    if isinstance(factory_class, type)
    and issubclass(factory_class, DjangoModelFactory)
    and factory_class is not DjangoModelFactory
]


def test_every_model_has_a_factory():
    models = {
        model
        for app in ("qualifications", "roles", "commoncore", "bundles", "iqf")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    }
    assert models <= {f._meta.model for f in ALL_FACTORIES}


@pytest.mark.parametrize("factory_class", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_factory_defaults_make_a_valid_record(factory_class):
    record = factory_class()
    record.full_clean()


@pytest.mark.parametrize(
    "traits", [{"submitted": True}, {"approved": True}, {"returned": True}, {"accepted": True}]
)
def test_review_factory_traits_make_valid_records(traits):
    review = MappingReviewFactory(**traits)
    review.full_clean()
    assert review.status == next(iter(traits))


@pytest.mark.django_db
def test_history_tables_are_indexed_only_as_they_are_read():
    """A version is looked up by its own key, the row it is a version of, its date or its
    author; the row's other indexes are not copied to the history table, where they would
    only slow writes. Asked of the database itself, for every model that keeps history."""
    historical = [model for model in apps.get_models() if hasattr(model, "tracked_fields")]
    assert len(historical) >= 15
    with connection.cursor() as cursor:
        for model in historical:
            table = model._meta.db_table
            indexed = {
                column
                for index in connection.introspection.get_constraints(cursor, table).values()
                if index["index"] or index["unique"] or index["primary_key"]
                for column in index["columns"]
            }
            assert indexed == {"history_id", "id", "history_date", "history_user_id"}, table
