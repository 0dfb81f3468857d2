"""The back office's front page links only to the staff pages the role may open."""

import pytest
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.core.testing import grant_role

pytestmark = pytest.mark.django_db

LINKS = {
    "commissions:plan_list": {"店長", "財務"},
    "commissions:unsettled_orders": {"店長", "財務"},
    "wallet:staff_queues": {"店長", "財務"},
    "analytics:dashboard": {"店長", "財務", "行銷"},
}


@pytest.mark.parametrize("role", ["店長", "財務", "出貨", "行銷"])
def test_the_admin_index_links_to_what_the_role_may_open(role):
    client = Client()
    client.force_login(grant_role(UserFactory(), role))
    html = client.get(reverse("admin:index")).content.decode()
    for name, roles in LINKS.items():
        url = reverse(name)
        assert (f'href="{url}"' in html) == (role in roles), (role, name)
        # and the link, where shown, opens
        if role in roles:
            assert client.get(url).status_code == 200, (role, name)
