"""A bulk load killed with SIGKILL part way leaves every committed batch indexed, no half batch,
and the index's triggers working for everyone else."""
import pytest
from sqlalchemy import func, select

from cone.services import demo
from cone.services.models import Client, db
from cone.services.search import check
from tests.integrity.loads import NEW, finish, found, kill_inside_a_batch, wait_for_progress

pytestmark = pytest.mark.slow


def clients() -> list[Client]:
    db.session.expire_all()
    return db.session.scalars(select(Client).order_by(Client.id)).all()


@pytest.mark.parametrize("batches_done", [0, 1, 2], ids=["early", "mid", "late"])
def test_a_killed_load_leaves_an_exact_index_and_working_triggers(app, app_ctx, admin_client,
                                                                   seeder, batches_done):
    loader = seeder(3 * demo.BATCH + 200)
    wait_for_progress(loader, batches_done * demo.BATCH)
    kill_inside_a_batch(app, loader)

    loaded = clients()
    assert len(loaded) % demo.BATCH == 0 and len(loaded) >= batches_done * demo.BATCH
    assert check(db.session) == 0
    shown = [c for c in loaded if c.archived_at is None]
    for c in shown[:: max(1, len(shown) // 4)]:
        assert found(c.display_name, c.id), c.display_name

    r = admin_client.post("/clients", data={**NEW, "legal_name": "Kestrel Afterwards Ltd"})
    assert r.status_code == 303
    assert found("kestrel afterwards", int(r.headers["Location"].rsplit("/", 1)[1]))

    finish(seeder(150))
    assert db.session.scalar(select(func.count(Client.id))) == len(loaded) + 1 + 150
    assert check(db.session) == 0
