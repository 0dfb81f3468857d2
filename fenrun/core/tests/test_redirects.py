"""``next`` sends a visitor back only to a path on this site, and never breaks the redirect."""

import pytest
from django.test import RequestFactory

from fenrun.core.redirects import safe_next


@pytest.mark.parametrize(
    "target", ["0", "NaN", "1e999999999", "cart", "https://evil.example/", "//evil.example/"]
)
def test_anything_but_a_path_here_falls_back(target):
    request = RequestFactory().post("/cart/add/", {"next": target})
    assert safe_next(request, "/cart/") == "/cart/"


def test_a_path_here_is_kept():
    request = RequestFactory().post("/cart/add/", {"next": "/p/cabbage/?x=1"})
    assert safe_next(request, "/cart/") == "/p/cabbage/?x=1"


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["0", "NaN", "1e999999999"])
def test_cart_add_with_a_next_that_is_no_path_redirects_instead_of_a_500(client, target):
    response = client.post("/cart/add/", {"product": "", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
