"""Values every public page shows: the demonstration banner and the service navigation."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from bundles.models import BundleImport

#: (label, URL name) of the service navigation, in order.
NAVIGATION = [
    ("Clusters and roles", "roles:scheme-index"),
    ("Find a qualification", "qualifications:finder"),
    ("Role moves", "roles:role-move"),
    ("Providers", "qualifications:provider-directory"),
    ("Reports", "reports:index"),
    ("The Common Core", "commoncore:framework"),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def _navigation(path: str) -> list[NavItem]:
    items = []
    for label, name in NAVIGATION:
        url = reverse(name)
        items.append(NavItem(label, url, path.startswith(url)))
    return items


def site(request: HttpRequest) -> dict:
    # Lazy: only the public pages, which show them, pay for them.
    return {
        "demonstration_data": lambda: BundleImport.objects.filter(demonstration=True).exists(),
        "navigation": lambda: _navigation(request.path),
    }
