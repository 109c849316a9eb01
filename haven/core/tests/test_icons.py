"""Every page names its icons, /favicon.ico is answered, and the app's icons exist."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from PIL import Image

pytestmark = pytest.mark.django_db


def static_path(url):
    return finders.find(url.removeprefix(static("")))


def test_favicon_ico_goes_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert static_path(response.url)
    with Image.open(static_path(response.url)) as icon:
        assert icon.format == "ICO"


@pytest.mark.parametrize("path", ["/accounts/login/", "/public/resources/"])
def test_pages_link_their_icons(client, path):
    content = client.get(path).content.decode()
    for name in ["outreach/icon.svg", "core/icons/apple-touch-icon.png"]:
        assert static(name) in content


def test_the_manifest_icons_exist_at_their_sizes(client):
    icons = client.get("/manifest.webmanifest").json()["icons"]
    purposes = {icon.get("purpose", "any") for icon in icons}
    assert purposes == {"any", "maskable"}
    for icon in icons:
        path = static_path(icon["src"])
        assert path, icon["src"]
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
