"""`flask cone search-check` and `flask cone search-rebuild`, the latter while the app writes."""
import threading
import time

from sqlalchemy import select

from cone.services import demo
from cone.services.models import Client, db
from cone.services.search import check
from tests.integrity.loads import NEW, damage, found


def cone(runner, *args):
    return runner.invoke(args=["cone", *args])


def test_search_check_on_an_exact_index(runner, app_ctx):
    demo.seed(4, seed=2)
    r = cone(runner, "search-check")
    assert r.exit_code == 0 and r.output == "Search index: matches all 4 clients.\n"


def test_search_check_fails_with_the_count_and_rebuild_repairs_while_the_app_writes(
        runner, app_ctx, admin_client):
    demo.seed(300, seed=2)
    ids = db.session.scalars(select(Client.id).order_by(Client.id)).all()
    damage(ids[3], ids[100])
    r = cone(runner, "search-check")
    assert r.exit_code == 1 and "Search index: 2 of 300 entries differ." in r.output

    made, failures, done = [], [], threading.Event()

    def keep_writing():
        while not done.is_set() and len(made) < 200:
            r = admin_client.post("/clients", data={**NEW, "legal_name": f"Plover {len(made)} Ltd"})
            if r.status_code != 303:
                failures.append(r.status_code)
                return
            made.append(int(r.headers["Location"].rsplit("/", 1)[1]))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    while not (made or failures):  # the rebuild starts with the app already writing
        time.sleep(0.01)
    try:
        r = cone(runner, "search-rebuild", "--batch", "5")
    finally:
        done.set()
        writer.join(30)
    assert r.exit_code == 0, r.output
    assert "  5 of " in r.output and r.output.endswith(" search entries.\n")
    assert not failures and made
    assert check(db.session) == 0
    assert all(found(f"plover {n}", client_id) for n, client_id in enumerate(made))
    r = cone(runner, "search-check")
    assert r.exit_code == 0 and f"matches all {300 + len(made)} clients" in r.output
