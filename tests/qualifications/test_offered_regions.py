"""The regions a qualification is offered in, kept on the qualification as one integer
(``Qualification.offered_regions``): every write path keeps it equal to what offerings and
providers say, ``refresh`` repairs it, regions get their bits, and the finder filters by it.

Expected masks are computed here in plain Python from the offering and provider rows
(:func:`expected_masks`), never by the code under test."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from bundles.services import bundle_import
from bundles.sheets import BundleError
from bundles.sheets.qualifications import QualificationResource
from qualifications import regions
from qualifications.models import Offering, Provider, Qualification, Region
from tests.support.admin import admin_import, admin_url, client_for, messages_of, run_action
from tests.support.bundles import write_bundle
from tests.support.factories import OfferingFactory, ProviderFactory, QualificationFactory, RegionFactory
from tests.support.pages import form_data
from tests.support.qualification_pages import checkbox_counts, finder, result_titles
from tests.support.sessions import generate_counting_rewrites, two_sessions, while_another_session_writes

pytestmark = pytest.mark.django_db

# -- the oracle ------------------------------------------------------------------------


def expected_masks() -> dict[int, int]:
    """Each qualification's regions from the raw rows: the bits of the regions of the
    providers, with a region and not archived, that offer it, each region once."""
    bits: dict[int, set[int]] = {pk: set() for pk in Qualification.objects.values_list("pk", flat=True)}
    for offering in Offering.objects.select_related("provider__region"):
        provider = offering.provider
        if provider.region is not None and not provider.is_archived:
            bits[offering.qualification_id].add(provider.region.bit)
    return {pk: sum(2**bit for bit in found) for pk, found in bits.items()}


def stored_masks() -> dict[int, int]:
    return dict(Qualification.objects.values_list("pk", "offered_regions"))


def stored_regions(qualification) -> set[str]:
    """The slugs of the regions the stored integer names, read bit by bit."""
    stored = Qualification.objects.values_list("offered_regions", flat=True).get(pk=qualification.pk)
    return {slug for slug, bit in Region.objects.values_list("slug", "bit") if stored // 2**bit % 2}


def region(slug: str) -> Region:
    return Region.objects.get(slug=slug)


def provider_in(slug: str | None, **kwargs) -> Provider:
    return ProviderFactory(region=region(slug) if slug else None, **kwargs)


# -- single rows written through the ORM -------------------------------------------------


def test_offerings_put_a_qualification_in_the_regions_of_their_active_providers():
    qualification = QualificationFactory()
    for provider in (
        provider_in("london"),
        provider_in("north-east"),
        provider_in(None),
        provider_in("south-west", is_archived=True),
    ):
        OfferingFactory(qualification=qualification, provider=provider)

    assert stored_regions(qualification) == {"london", "north-east"}
    assert stored_masks() == expected_masks()
    assert stored_masks()[qualification.pk] == 2 ** region("london").bit + 2 ** region("north-east").bit


def test_a_region_offered_by_two_providers_or_in_two_modes_counts_once():
    qualification = QualificationFactory()
    first = provider_in("london")
    OfferingFactory(qualification=qualification, provider=first, mode="part-time")
    OfferingFactory(qualification=qualification, provider=first, mode="full-time")
    OfferingFactory(qualification=qualification, provider=provider_in("london"))

    assert stored_masks()[qualification.pk] == 2 ** region("london").bit
    assert stored_masks() == expected_masks()


def test_a_qualification_offered_only_by_archived_or_national_providers_is_in_no_region():
    qualification = QualificationFactory()
    OfferingFactory(qualification=qualification, provider=provider_in("london", is_archived=True))
    OfferingFactory(qualification=qualification, provider=provider_in(None))

    assert stored_regions(qualification) == set()
    assert stored_masks() == expected_masks()


def test_deleting_an_offering_keeps_its_region_while_another_active_provider_there_offers_it():
    qualification = QualificationFactory()
    first = OfferingFactory(qualification=qualification, provider=provider_in("london"))
    second = OfferingFactory(qualification=qualification, provider=provider_in("london"))
    OfferingFactory(qualification=qualification, provider=provider_in("london", is_archived=True))
    OfferingFactory(qualification=qualification, provider=provider_in("north-west"))

    first.delete()
    assert stored_regions(qualification) == {"london", "north-west"}
    assert stored_masks() == expected_masks()

    second.delete()  # only the archived London provider is left there
    assert stored_regions(qualification) == {"north-west"}
    assert stored_masks() == expected_masks()


def test_archiving_a_provider_takes_its_region_off_and_restoring_it_puts_it_back():
    qualification = QualificationFactory()
    provider = provider_in("london")
    OfferingFactory(qualification=qualification, provider=provider)
    OfferingFactory(qualification=qualification, provider=provider_in("north-east"))

    provider.is_archived = True
    provider.save()
    assert stored_regions(qualification) == {"north-east"}
    assert stored_masks() == expected_masks()

    provider.is_archived = False
    provider.save()
    assert stored_regions(qualification) == {"london", "north-east"}
    assert stored_masks() == expected_masks()


def test_moving_a_provider_moves_its_region_for_every_qualification_it_offers():
    only_there, shared, elsewhere = QualificationFactory.create_batch(3)
    mover = provider_in("london")
    OfferingFactory(qualification=only_there, provider=mover)
    OfferingFactory(qualification=shared, provider=mover)
    OfferingFactory(qualification=shared, provider=provider_in("london"))
    OfferingFactory(qualification=elsewhere, provider=provider_in("south-east"))

    mover.region = region("yorkshire-and-the-humber")
    mover.save()

    assert stored_regions(only_there) == {"yorkshire-and-the-humber"}
    assert stored_regions(shared) == {"london", "yorkshire-and-the-humber"}
    assert stored_regions(elsewhere) == {"south-east"}
    assert stored_masks() == expected_masks()


def test_a_provider_moved_to_no_region_takes_its_region_off():
    qualification = QualificationFactory()
    provider = provider_in("london")
    OfferingFactory(qualification=qualification, provider=provider)

    provider.region = None
    provider.save()

    assert stored_regions(qualification) == set()
    assert stored_masks() == expected_masks()


# -- a qualification saved with the integer it read earlier ----------------------------


def test_saving_a_qualification_read_before_an_offering_was_added_keeps_the_offering_region():
    qualification = QualificationFactory(title="Old title")
    stale = Qualification.objects.get(pk=qualification.pk)  # offered nowhere, as read
    OfferingFactory(qualification=qualification, provider=provider_in("london"))
    assert stored_regions(qualification) == {"london"}

    stale.title = "New title"
    stale.save()

    assert Qualification.objects.get(pk=qualification.pk).title == "New title"
    assert stored_regions(qualification) == {"london"}
    assert stored_masks() == expected_masks()


def test_saving_a_qualification_read_before_its_last_offering_went_drops_the_region():
    qualification = QualificationFactory()
    offering = OfferingFactory(qualification=qualification, provider=provider_in("london"))
    stale = Qualification.objects.get(pk=qualification.pk)  # offered in London, as read
    offering.delete()

    stale.title = "New title"
    stale.save()

    assert stored_regions(qualification) == set()
    assert stored_masks() == expected_masks()


def test_a_version_from_history_saved_back_keeps_the_qualification_regions():
    # offered_regions is left out of history: an old version, as reverting restores it,
    # carries no regions
    qualification = QualificationFactory(title="First title")
    first = qualification.history.get()
    OfferingFactory(qualification=qualification, provider=provider_in("london"))

    first.instance.save()

    assert Qualification.objects.get(pk=qualification.pk).title == "First title"
    assert stored_regions(qualification) == {"london"}
    assert stored_masks() == expected_masks()


# -- the admin ---------------------------------------------------------------------------


def test_archive_action_on_a_provider_takes_its_region_off_its_qualifications(clerk):
    qualification = QualificationFactory()
    provider = provider_in("london")
    OfferingFactory(qualification=qualification, provider=provider)
    OfferingFactory(qualification=qualification, provider=provider_in("north-east"))

    response = run_action(client_for(clerk), "qualifications.provider", "archive", [provider])

    assert response.status_code == 200
    assert messages_of(response) == ["Archive: 1 changed, 0 already so."]
    assert stored_regions(qualification) == {"north-east"}
    assert stored_masks() == expected_masks()


def test_restore_action_on_a_provider_puts_its_region_back(clerk):
    qualification = QualificationFactory()
    provider = provider_in("london", is_archived=True)
    OfferingFactory(qualification=qualification, provider=provider)
    assert stored_regions(qualification) == set()

    response = run_action(client_for(clerk), "qualifications.provider", "restore", [provider])

    assert messages_of(response) == ["Restore: 1 changed, 0 already so."]
    assert stored_regions(qualification) == {"london"}
    assert stored_masks() == expected_masks()


def test_adding_an_offering_on_the_qualification_page_puts_it_in_the_provider_region(clerk):
    qualification = QualificationFactory()
    OfferingFactory(qualification=qualification, provider=provider_in("north-east"))
    london = provider_in("london")
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))
    assert data["offerings-TOTAL_FORMS"] == "1"
    data.update(
        {
            "offerings-TOTAL_FORMS": "2",
            "offerings-1-provider": str(london.pk),
            "offerings-1-mode": "full-time",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302
    assert qualification.offerings.filter(provider=london).exists()
    assert stored_regions(qualification) == {"london", "north-east"}
    assert stored_masks() == expected_masks()


def test_removing_an_offering_on_the_qualification_page_takes_its_region_off(clerk):
    qualification = QualificationFactory()
    OfferingFactory(qualification=qualification, provider=provider_in("london"))
    client = client_for(clerk)
    url = admin_url("qualifications.qualification", "change", qualification.pk)
    data = form_data(client.get(url))
    data["offerings-0-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302
    assert not qualification.offerings.exists()
    assert stored_regions(qualification) == set()
    assert stored_masks() == expected_masks()


def test_admin_import_of_providers_moving_one_moves_its_region(clerk):
    qualification = QualificationFactory()
    OfferingFactory(qualification=qualification, provider=provider_in("london", name="Leeds College"))
    OfferingFactory(qualification=qualification, provider=provider_in("north-east"))

    response = admin_import(
        client_for(clerk),
        "qualifications.provider",
        "name,region\r\nLeeds College,Yorkshire and the Humber\r\n",
    )

    assert response.status_code == 200
    assert Provider.objects.get(name="Leeds College").region.slug == "yorkshire-and-the-humber"
    assert stored_regions(qualification) == {"north-east", "yorkshire-and-the-humber"}
    assert stored_masks() == expected_masks()


# -- bundle import -----------------------------------------------------------------------


def test_a_bundle_moving_a_provider_moves_its_region_for_the_qualifications_it_offers(tmp_path):
    only_there, shared = QualificationFactory.create_batch(2)
    leeds = provider_in("london", name="Leeds College")
    OfferingFactory(qualification=only_there, provider=leeds)
    OfferingFactory(qualification=shared, provider=leeds)
    OfferingFactory(qualification=shared, provider=provider_in("north-east"))

    bundle_import(
        path=write_bundle(
            tmp_path / "b",
            {
                "providers": [["name", "region"], ["Leeds College", "Yorkshire and the Humber"]],
            },
        )
    )

    assert stored_regions(only_there) == {"yorkshire-and-the-humber"}
    assert stored_regions(shared) == {"north-east", "yorkshire-and-the-humber"}
    assert stored_masks() == expected_masks()


def test_a_bundle_adding_offerings_puts_their_qualifications_in_the_providers_regions(tmp_path):
    existing = QualificationFactory(ref="Q-OLD")
    provider_in("north-west", name="Closed College", is_archived=True)
    untouched = QualificationFactory()
    OfferingFactory(qualification=untouched, provider=provider_in("south-east"))

    bundle_import(
        path=write_bundle(
            tmp_path / "b",
            {
                "qualifications": [["ref", "title"], ["Q-NEW", "Award in Play"]],
                "providers": [
                    ["name", "region"],
                    ["London College", "London"],
                    ["Tyne College", "north-east"],
                    ["Open Learning Trust", ""],
                ],
                "offerings": [
                    ["provider", "qualification_ref", "mode"],
                    ["London College", "Q-NEW", "part-time"],
                    ["Tyne College", "Q-NEW", "part-time"],
                    ["London College", "Q-OLD", "full-time"],
                    ["Open Learning Trust", "Q-OLD", "distance"],
                    ["Closed College", "Q-OLD", "part-time"],
                ],
            },
        )
    )

    new = Qualification.objects.get(ref="Q-NEW")
    assert stored_regions(new) == {"london", "north-east"}
    assert stored_regions(existing) == {"london"}
    assert stored_regions(untouched) == {"south-east"}
    assert stored_masks() == expected_masks()


def test_a_refused_bundle_leaves_every_qualification_regions_as_they_were(tmp_path):
    qualification = QualificationFactory(ref="Q1")
    OfferingFactory(qualification=qualification, provider=provider_in("london", name="Leeds College"))
    ProviderFactory(name="Tyne College", region=region("north-east"))
    before = stored_masks()
    # both region-bearing sheets are written, then a later sheet's bad row refuses it all
    path = write_bundle(
        tmp_path / "b",
        {
            "providers": [["name", "region"], ["Leeds College", "Yorkshire and the Humber"]],
            "offerings": [["provider", "qualification_ref", "mode"], ["Tyne College", "Q1", ""]],
            "attributes": [["framework", "area", "qualification_ref", "module_ref"], ["", "7", "Q1", ""]],
        },
    )

    with pytest.raises(BundleError):
        bundle_import(path=path)

    assert stored_masks() == before
    assert stored_regions(qualification) == {"london"}
    assert stored_masks() == expected_masks()


def test_a_bundle_updating_a_qualification_keeps_an_offering_added_while_it_ran(tmp_path, monkeypatch):
    qualification = QualificationFactory(ref="Q1", title="Old title")
    london = provider_in("london")
    read_row = QualificationResource.read_row

    def read_row_while_a_clerk_adds_an_offering(self, instance, reader, new):
        # another session's offering, written after the sheet read its qualifications
        OfferingFactory(qualification=qualification, provider=london)
        read_row(self, instance, reader, new)

    monkeypatch.setattr(QualificationResource, "read_row", read_row_while_a_clerk_adds_an_offering)

    bundle_import(
        path=write_bundle(
            tmp_path / "b",
            {
                "qualifications": [["ref", "title"], ["Q1", "New title"]],
            },
        )
    )

    assert Qualification.objects.get(pk=qualification.pk).title == "New title"
    assert stored_regions(qualification) == {"london"}
    assert stored_masks() == expected_masks()


# -- two sessions at once (PostgreSQL) --------------------------------------------------


@two_sessions
def test_an_offering_added_while_another_in_the_region_goes_keeps_the_region():
    qualification = QualificationFactory()
    leaving = OfferingFactory(qualification=qualification, provider=provider_in("london"))
    joining = provider_in("london")

    while_another_session_writes(
        lambda: Offering.objects.create(qualification=qualification, provider=joining),
        leaving.delete,
    )

    assert stored_regions(qualification) == {"london"}
    assert stored_masks() == expected_masks()


# -- repair ------------------------------------------------------------------------------


def some_offered_qualifications() -> list[Qualification]:
    """Four qualifications: in London; in London and the North East; offered only by an
    archived provider; offered nowhere."""
    london, tyne = provider_in("london"), provider_in("north-east")
    closed = provider_in("south-west", is_archived=True)
    in_london, in_both, archived_only, nowhere = QualificationFactory.create_batch(4)
    OfferingFactory(qualification=in_london, provider=london)
    OfferingFactory(qualification=in_both, provider=london)
    OfferingFactory(qualification=in_both, provider=tyne)
    OfferingFactory(qualification=archived_only, provider=closed)
    return [in_london, in_both, archived_only, nowhere]


def test_refresh_repairs_every_wrong_mask_and_says_how_many_it_changed():
    in_london, in_both, archived_only, nowhere = some_offered_qualifications()
    Qualification.objects.update(offered_regions=0)
    Qualification.objects.filter(pk=nowhere.pk).update(offered_regions=2 ** region("london").bit)
    corrupted, expected = stored_masks(), expected_masks()
    wrong = sum(1 for pk, mask in corrupted.items() if mask != expected[pk])
    assert wrong == 3  # in_london, in_both and nowhere; archived_only is rightly 0

    assert regions.refresh() == wrong

    assert stored_masks() == expected
    assert regions.refresh() == 0


@pytest.mark.stale_derived
def test_refresh_of_some_qualifications_repairs_only_those():
    in_london, in_both, *_ = some_offered_qualifications()
    Qualification.objects.update(offered_regions=0)

    assert regions.refresh([in_london.pk]) == 1

    assert stored_regions(in_london) == {"london"}
    assert stored_regions(in_both) == set()


def test_refresh_coverage_command_repairs_the_masks():
    some_offered_qualifications()
    Qualification.objects.update(offered_regions=0)
    out = StringIO()

    call_command("refresh_coverage", stdout=out)

    assert stored_masks() == expected_masks()
    assert "Offered regions rebuilt: 2 qualifications corrected" in out.getvalue()


# -- the generator -----------------------------------------------------------------------


def test_generated_data_has_the_regions_its_offerings_give():
    call_command("generate_data", scale=0.02, seed=1, no_progress=True, stdout=StringIO())

    stored = stored_masks()
    assert Offering.objects.exists()
    assert stored == expected_masks()
    assert any(bin(mask).count("1") > 1 for mask in stored.values())


def test_the_generator_writes_each_qualification_once_with_its_regions():
    # Rewriting every qualification after the offerings would leave a dead copy of each
    # row behind on PostgreSQL; the generator writes them with their regions instead.
    assert generate_counting_rewrites() == 0

    assert Qualification.objects.exclude(offered_regions=0).exists()
    assert stored_masks() == expected_masks()


# -- regions' bits -----------------------------------------------------------------------


def test_the_migrated_regions_have_distinct_bits_within_range():
    bits = list(Region.objects.values_list("bit", flat=True))
    assert len(bits) == 9
    assert len(set(bits)) == 9
    assert all(0 <= bit <= 62 for bit in bits)


def test_a_new_region_takes_the_next_free_bit():
    top = max(Region.objects.values_list("bit", flat=True))

    first, second = RegionFactory(), RegionFactory()

    assert (first.bit, second.bit) == (top + 1, top + 2)
    assert Region.objects.get(pk=second.pk).bit == top + 2


def test_the_database_refuses_a_region_bit_above_62():
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionFactory(bit=63)
    assert not Region.objects.filter(bit=63).exists()


def test_the_database_refuses_two_regions_with_one_bit():
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionFactory(bit=region("london").bit)


def test_a_region_with_the_highest_bit_is_counted_and_found(client):
    far = RegionFactory(bit=62, slug="far-away")
    qualification = QualificationFactory(title="Offered far away")
    OfferingFactory(qualification=qualification, provider=ProviderFactory(region=far))
    OfferingFactory(qualification=qualification, provider=provider_in("london"))
    QualificationFactory(title="Offered nowhere")

    assert stored_masks()[qualification.pk] == 2**62 + 2 ** region("london").bit
    assert stored_masks() == expected_masks()
    response = finder(client, "region=far-away")
    assert response.status_code == 200
    assert result_titles(response) == ["Offered far away"]


# -- the finder --------------------------------------------------------------------------


@pytest.fixture
def offered_around():
    """A handful of qualifications offered in various regions, one of them withdrawn."""
    london, tyne, yorkshire = (
        provider_in("london"),
        provider_in("north-east"),
        provider_in("yorkshire-and-the-humber"),
    )
    closed, national = provider_in("south-west", is_archived=True), provider_in(None)
    offers = {
        "In London": [london],
        "In London and the North East": [london, tyne],
        "In the North East and Yorkshire": [tyne, yorkshire],
        "Closed in the South West": [closed],
        "Distance only": [national],
        "Offered nowhere": [],
    }
    for title, providers in offers.items():
        qualification = QualificationFactory(title=title)
        for provider in providers:
            OfferingFactory(qualification=qualification, provider=provider)
    withdrawn = QualificationFactory(title="Withdrawn in London", withdrawn=True)
    OfferingFactory(qualification=withdrawn, provider=london)


def expected_titles(*slugs: str) -> list[str]:
    """The current qualifications whose expected regions include any of the regions."""
    bits = [region(slug).bit for slug in slugs]
    masks = expected_masks()
    return sorted(
        q.title for q in Qualification.objects.current() if any(masks[q.pk] // 2**bit % 2 for bit in bits)
    )


@pytest.mark.parametrize(
    "slugs",
    [
        ("london",),
        ("north-east",),
        ("yorkshire-and-the-humber",),
        ("south-west",),
        ("east-midlands",),
        ("london", "north-east"),
    ],
)
def test_finder_lists_exactly_the_qualifications_offered_in_the_chosen_regions(client, offered_around, slugs):
    response = finder(client, "&".join(f"region={slug}" for slug in slugs))

    assert response.status_code == 200
    assert sorted(result_titles(response)) == expected_titles(*slugs)


def test_finder_region_filter_is_not_vacuous(client, offered_around):
    # the oracle itself: London holds two current qualifications, the South West none
    assert expected_titles("london") == ["In London", "In London and the North East"]
    assert expected_titles("south-west") == []


def test_finder_counts_each_region_from_the_offerings(client, offered_around):
    response = finder(client)

    assert response.status_code == 200
    counts = checkbox_counts(response, "region")
    assert counts == {r.slug: len(expected_titles(r.slug)) for r in Region.objects.all()}
