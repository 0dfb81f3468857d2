import pytest

from fenrun.webhooks.models import Endpoint
from fenrun.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def endpoint(db, receiver):
    def make(events, **kwargs):
        e = Endpoint.objects.create(name="POS", url=receiver.url, events=events, **kwargs)
        receiver.secret = e.secret
        return e

    return make
