"""Clients created and edited through the web while seed-demo runs in another process are
searchable afterwards, and the index is exact: the load never pauses anyone else's upkeep."""
import pytest
from sqlalchemy import select

from cone.services import demo
from cone.services.models import Client, db
from cone.services.search import check
from tests.integrity.loads import NEW, finish, found, wait_for_progress

pytestmark = pytest.mark.slow


def loaded_business() -> Client | None:
    """The newest business the load has committed so far, as a request would see it."""
    db.session.expire_all()
    return db.session.scalar(select(Client).where(
        Client.kind == "business", Client.archived_at.is_(None),
        Client.legal_name.not_like("Wren %"), Client.legal_name.not_like("Loaded Renamed %"),
    ).order_by(Client.id.desc()).limit(1))


def test_web_edits_during_a_load_are_all_searchable(app_ctx, admin_client, seeder):
    r = admin_client.post("/clients", data={**NEW, "legal_name": "Wren Before Ltd"})
    before = db.session.get(Client, int(r.headers["Location"].rsplit("/", 1)[1]))
    loader = seeder(6 * demo.BATCH)
    wait_for_progress(loader, demo.BATCH)  # edits start with the load under way
    expected = []  # (words to search for, client id)
    round_ = overlapping = 0
    while (loader.poll() is None or round_ < 2) and round_ < 30:
        round_ += 1
        r = admin_client.post("/clients", data={**NEW, "legal_name": f"Wren Made {round_} Ltd"})
        assert r.status_code == 303
        mine = int(r.headers["Location"].rsplit("/", 1)[1])
        r = admin_client.post(f"/clients/{mine}/edit", data={
            "version": "1", "legal_name": f"Wren Edited {round_} Ltd", "status": "customer",
            "email": "", "company_number": ""})
        assert r.status_code == 303
        r = admin_client.post(f"/clients/{mine}/contacts", data={
            "action": "add_new", "first_name": "Quill", "last_name": f"Penhallow{round_}"})
        assert r.status_code == 303
        expected += [(f"wren edited {round_}", mine), (f"penhallow{round_}", mine)]
        db.session.refresh(before)
        r = admin_client.post(f"/clients/{before.id}/edit", data={
            "version": str(before.version), "legal_name": f"Wren Before {round_} Ltd",
            "status": "customer", "email": "", "company_number": ""})
        assert r.status_code == 303
        theirs = loaded_business()
        if theirs is not None:
            r = admin_client.post(f"/clients/{theirs.id}/edit", data={
                "version": str(theirs.version), "legal_name": f"Loaded Renamed {round_} Ltd",
                "status": theirs.status, "email": "",
                "company_number": theirs.company_number or ""})
            assert r.status_code == 303
            r = admin_client.post(f"/clients/{theirs.id}/contacts", data={
                "action": "add_new", "first_name": "Tamsin", "last_name": f"Trevithick{round_}"})
            assert r.status_code == 303
            expected += [(f"loaded renamed {round_}", theirs.id),
                         (f"trevithick{round_}", theirs.id)]
            overlapping += loader.poll() is None
    finish(loader)
    assert overlapping, "no edit happened while the load was running"

    assert check(db.session) == 0
    expected.append((f"wren before {round_}", before.id))
    missing = [(q, client_id) for q, client_id in expected if not found(q, client_id)]
    assert not missing
