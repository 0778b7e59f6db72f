"""Two app servers on one PostgreSQL database, with Redis-backed jobs and one Huey consumer,
set up as README's "More than one server" says: what one server guarantees still holds.

Real processes throughout: `flask db upgrade` once, two `gunicorn -w 2 app:app` on their own
ports with the same SECRET_KEY, and `huey_consumer cone.worker.huey`. A person signed in on one
server may land on the other, as behind a load balancer: one cookie jar serves both.
Runs only when the suite runs on PostgreSQL (TEST_DATABASE_URL); skips without Redis.
"""
import time
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from cone.services.models import Client, ExternalLink, ImportRun, RateBudget
from tests.helpers import ON_POSTGRES, hx
from tests.scaleout.farm import STAFF, edit_form, wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ON_POSTGRES, reason="the scale-out test runs when the suite "
                                                         "runs on PostgreSQL (TEST_DATABASE_URL)")]

# The Companies House budget when nothing overrides it (cone/wiring.py)
CH_LIMIT, CH_WINDOW = 600, 300
COMPANIES = ["09876543", "03456789", "07654321", "11223344"]


def test_a_session_from_one_server_is_good_on_the_other(farm, person):
    ann = person(farm.a)
    r = ann.post(f"{farm.b}/clients", {"kind": "individual", "first_name": "Jane",
                                       "last_name": "Doe", "status": "prospect", "primary": "self"})
    assert r.status_code == 303, r.text
    assert ann.http.get(f"{farm.a}{urlsplit(r.headers['Location']).path}").status_code == 200


def test_a_stale_save_on_either_server_is_refused_and_nothing_is_lost(farm, person):
    ann, bob = person(farm.a), person(farm.b)
    r = ann.post(f"{farm.a}/clients", {"kind": "individual", "first_name": "Lock", "last_name":
                                       "Smith", "status": "customer", "primary": "self"})
    edit = f"{urlsplit(r.headers['Location']).path}/edit"
    ann_form, bob_form = edit_form(ann, farm.a + edit), edit_form(bob, farm.b + edit)
    assert ann_form["version"] == bob_form["version"]
    saved = ann.http.post(farm.a + edit, data={**ann_form, "internal_reference": "ANN-1"})
    assert saved.status_code == 303, saved.text
    refused = bob.http.post(farm.b + edit, data={**bob_form, "internal_reference": "BOB-1"})
    assert refused.status_code == 409 and "ANN-1" in refused.text
    client_id = int(edit.split("/")[2])
    with farm.db.connect() as conn:
        stored = conn.execute(select(Client.internal_reference, Client.version)
                              .where(Client.id == client_id)).one()
    assert tuple(stored) == ("ANN-1", int(ann_form["version"]) + 1)


def test_failed_sign_ins_on_both_servers_add_up(farm, person):
    anyone = person()
    for server in (farm.a, farm.b, farm.a, farm.b, farm.a):  # five: the free allowance
        assert anyone.sign_in(server, STAFF, "wrong password").status_code == 422
    # right password, either server: each saw fewer than five, together they saw five
    refused = anyone.sign_in(farm.b, STAFF)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert anyone.sign_in(farm.a, STAFF).status_code == 429


def _ch_requests(server: str) -> int:
    return len(httpx.get(f"{server}/_control/requests").json())


def test_jobs_started_on_both_servers_draw_on_one_companies_house_budget(
        farm, person, _ch_server):
    ann = person(farm.a)
    httpx.post(f"{_ch_server}/_control/reset", json={})
    r = ann.post(f"{farm.a}/companies-house/import", {"numbers": "\n".join(COMPANIES)})
    assert r.status_code == 303
    before, gap, left = _ch_requests(_ch_server), 10, 3
    # the shared window has `left` requests to spare and ends in `gap` seconds
    reset_at = int(time.time()) + gap
    with farm.db.begin() as conn:
        values = dict(window_start=reset_at - CH_WINDOW, used=CH_LIMIT - left, blocked_until=0)
        if not conn.execute(update(RateBudget).where(RateBudget.key == "companies_house")
                            .values(**values)).rowcount:
            conn.execute(insert(RateBudget).values(key="companies_house", **values))
    runs = []
    for server in (farm.a, farm.b):
        r = ann.post(f"{server}/companies-house/resync-all")
        assert r.status_code == 303
        runs.append(int(r.headers["Location"].rsplit("/", 1)[1]))
    wait_until(lambda: _ch_requests(_ch_server) >= before + left, gap - 2, "the spare requests")
    time.sleep(max(0.0, reset_at - time.time() - 1.5))
    # both runs wait for the same window to end: neither could spend more than the spare
    with farm.db.connect() as conn:
        statuses = conn.scalars(select(ImportRun.status).where(ImportRun.id.in_(runs))).all()
    assert _ch_requests(_ch_server) == before + left and "done" not in statuses

    def finished():
        with farm.db.connect() as conn:
            return set(conn.scalars(select(ImportRun.status)
                                    .where(ImportRun.id.in_(runs)))) == {"done"}
    wait_until(finished, 20, "both resync runs")
    with farm.db.connect() as conn:
        row = conn.execute(select(RateBudget).where(RateBudget.key == "companies_house")).one()
    # every request after the reset was counted in the one new window
    assert row.window_start >= reset_at
    assert _ch_requests(_ch_server) - before == left + row.used


def test_an_import_started_on_one_server_is_seen_done_on_the_other(
        farm, person, _xero_server):
    httpx.post(f"{_xero_server}/_control/reset", json={})
    ann = person(farm.a)
    r = ann.http.get(f"{farm.a}/integrations/xero/connect")
    answer = httpx.get(r.headers["Location"])
    back = urlsplit(answer.headers["Location"])
    assert ann.http.get(f"{farm.a}{back.path}?{back.query}").status_code == 303
    r = ann.post(f"{farm.a}/integrations/xero/import")
    assert r.status_code == 303 and "/imports/" in r.headers["Location"]
    run_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert ann.post(f"{farm.a}/imports/{run_id}/start").status_code == 303

    def shown_done():
        page = ann.http.get(f"{farm.b}/imports/{run_id}", headers=hx("import-progress"))
        return page.status_code == 200 and "Finished" in page.text and page
    page = wait_until(shown_done, 20, "the import to finish")
    assert page.headers.get("HX-Trigger") == "clients-imported"
    with farm.db.connect() as conn:
        run = conn.execute(select(ImportRun).where(ImportRun.id == run_id)).one()
        linked = conn.scalar(select(func.count()).select_from(ExternalLink)
                             .where(ExternalLink.provider == "xero"))
    assert run.status == "done" and run.created > 0 and linked == run.created + run.linked
