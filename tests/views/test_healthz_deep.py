"""/healthz?deep=1 also reports search index drift; plain /healthz stays "ok"."""
from sqlalchemy import select

from cone.services import demo
from cone.services.models import Client, db
from tests.integrity.loads import damage


def test_deep_health_check_is_200_on_an_exact_index(client, app_ctx):
    demo.seed(3, seed=1)
    r = client.get("/healthz?deep=1")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert r.text == "database: ok\nsearch index: 0 entries differ\n"


def test_deep_health_check_is_503_with_the_count_when_the_index_drifted(client, app_ctx):
    demo.seed(3, seed=1)
    first, _, last = db.session.scalars(select(Client.id).order_by(Client.id)).all()
    damage(first, last)
    r = client.get("/healthz?deep=1")
    assert r.status_code == 503
    assert r.text == "database: ok\nsearch index: 2 entries differ\n"
    plain = client.get("/healthz")
    assert plain.status_code == 200 and plain.text == "ok"
