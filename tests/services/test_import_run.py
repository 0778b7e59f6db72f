"""The import run's write path: batches in one transaction, a SAVEPOINT per record, ImportRecord
rows an undo can rely on, counts per batch, resume without duplicates, the search index exact."""
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from cone.services import clients, imports, search
from cone.services.imports.plan import finished
from cone.services.imports.run import interrupted, resume_import, run_import
from cone.services.imports.preview import ImportRefused
from cone.services.imports.undo import undo_run
from cone.services.models import (ActivityEvent, Client, ClientContact, Contact, ExternalLink,
                                  ImportRecord, ImportRun, db, utcnow)
from cone.services.providers.accounting import ContactPerson
from tests.helpers import count, customer, MESSY, messy_customers, ON_POSTGRES, queued
from tests.refusal import drop_refusal, refusing


def go(customers, admin, decisions=None, batch_size=3) -> ImportRun:
    run = queued(customers, admin, decisions)
    run_import(run.id, batch_size=batch_size)
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


def records(run) -> dict[int, ImportRecord]:
    return {r.index: r for r in db.session.scalars(
        select(ImportRecord).where(ImportRecord.run_id == run.id))}


def bare_client(name: str, **fields) -> Client:
    """A client with no contacts and no source, as a register grown by hand may hold."""
    client = Client(kind="business", status="customer", display_name=name, legal_name=name,
                    **fields)
    db.session.add(client)
    db.session.commit()
    return client


@pytest.fixture
def refusals(app_ctx):
    yield from refusing()


def test_a_record_the_database_refuses_rolls_back_alone_in_its_batch(admin, refusals):
    refusals("client", "new.display_name = 'Doe, Jane 3'", "refuse_jane")
    done = go(messy_customers(7), admin, batch_size=7)  # all seven in one batch
    assert (done.status, done.created, done.failed, done.processed) == ("done", 6, 1, 7)
    got = records(done)
    assert got[3].outcome == "failed" and got[3].client_id is None
    assert got[3].message == "An unexpected error occurred: see the server log."
    # nothing of the refused record is left: no contact, no link, no event
    assert count(Client) == 6 and count(Contact) == 6 and count(ExternalLink) == 6
    assert count(ActivityEvent, ActivityEvent.action == "imported") == 6
    assert count(Contact, Contact.last_name == "Archer-3") == 0
    assert not any("Doe, Jane" in s for s in db.session.scalars(select(ActivityEvent.summary)))
    assert [f["name"] for f in finished(done).failures] == ["Doe, Jane 3"]
    assert search.check(db.session) == 0


def test_what_each_outcome_records_for_an_undo(admin):
    manual = bare_client("Acme Widgets Ltd", company_number="01234567")
    bare = clients.create_client(
        "business", {"legal_name": "Bare Bones Ltd", "company_number": "07654321"},
        clients.ContactsInput(new=[clients.NewContact(first_name="Pat", last_name="Lee")],
                              primary="new:0"), user=admin)
    first = go([customer("U1", "Update Me Ltd", email="old@example.com"),
                customer("S1", "Skip Me Ltd")], admin, decisions={1: "skip"})
    assert records(first)[1].outcome == "skipped"
    customers = [
        customer("N1", "Zoë's Café & Bar", people=(ContactPerson("Zoë", "Ñúñez", None, None),)),
        customer("L1", "Acme Widgets Limited", company_number="01234567",
                 people=(ContactPerson("Pat", "Lee", "pat@acme.example", None),)),
        customer("U1", "Update Me Ltd", email="new@example.com"),
        customer("L2", "Bare Bones Ltd", company_number="07654321"),
    ]
    rows = imports.build_preview(customers)
    assert [r.classification for r in rows] == ["new", "match", "linked", "match"]
    done = go(customers, admin, decisions={1: "link", 3: "link"})
    got = records(done)
    new = db.session.get(Client, got[0].client_id)
    assert (got[0].outcome, got[0].link_was_new, got[0].version) == ("created", True, new.version)
    assert got[0].link_id == new.active_link.id
    assert got[0].contact_ids == [cc.contact_id for cc in new.contact_links] != []
    db.session.refresh(manual)
    linked = got[1]
    assert (linked.outcome, linked.client_id, linked.link_was_new) == ("linked", manual.id, True)
    assert linked.link_id == manual.active_link.id and linked.version == manual.version
    assert {"field": "legal_name", "before": "Acme Widgets Ltd",
            "after": "Acme Widgets Limited"} in linked.changes
    # the client had no contacts, so the platform's person became one: the undo removes it
    assert linked.contact_ids == [cc.contact_id for cc in manual.contact_links]
    updated = got[2]
    assert updated.outcome == "updated" and updated.link_was_new is False
    assert updated.changes == [{"field": "email", "before": "old@example.com",
                                "after": "new@example.com"}]
    assert updated.contact_ids is None and updated.link_id is not None
    assert got[3].client_id == bare.id and got[3].contact_ids is None


def test_relinking_a_record_reuses_its_inactive_link(admin):
    client = bare_client("Round Again Ltd")
    old = ExternalLink(client_id=client.id, provider="xero", tenant_id="T1", external_id="R1",
                       active=False)
    db.session.add(old)
    db.session.commit()
    rows = imports.build_preview([customer("R1", "Round Again Ltd")])
    assert rows[0].classification == "match"
    done = go([customer("R1", "Round Again Ltd")], admin, decisions={0: "link"})
    record = records(done)[0]
    assert (record.outcome, record.link_id, record.link_was_new) == ("linked", old.id, False)


def progress_seen(run_id: int, **kw) -> list[tuple]:
    """Run the import; after each commit, what another connection sees of the run."""
    seen = []

    def watch(session):
        with db.engine.connect() as other:
            seen.append(tuple(other.execute(text(
                "SELECT processed, created, (SELECT count(*) FROM import_record r "
                "WHERE r.run_id = import_run.id), heartbeat_at IS NOT NULL "
                f"FROM import_run WHERE id = {run_id}")).one()))
    event.listen(db.session, "after_commit", watch)
    try:
        run_import(run_id, **kw)
    finally:
        event.remove(db.session, "after_commit", watch)
    # (savepoints end with after_commit too: they show the last batch's state again)
    return sorted(set(seen))


def test_counts_and_heartbeat_are_written_with_each_batch(admin):
    progress = progress_seen(queued(messy_customers(7), admin).id, batch_size=3)
    assert [s[:3] for s in progress] == [(0, 0, 0), (3, 3, 3), (6, 6, 6), (7, 7, 7)]
    assert all(s[3] for s in progress)


def test_a_slow_batch_commits_early_on_sqlite(admin):
    """Past its time a batch commits what it has written (at least one record), so SQLite's
    write lock is never held long, even on a busy machine; PostgreSQL's batches stay full."""
    progress = progress_seen(queued(messy_customers(4), admin).id, batch_size=500,
                             batch_seconds=1e-9)
    steps = (0, 4) if ON_POSTGRES else range(5)
    assert [s[:3] for s in progress] == [(n, n, n) for n in steps]


def test_a_rerun_duplicates_nothing_and_writes_no_events(admin):
    first = go(messy_customers(8), admin)
    assert first.created == 8
    before = (count(Client), count(Contact), count(ClientContact), count(ExternalLink),
              count(ActivityEvent))
    again = go(messy_customers(8), admin)
    assert (again.created, again.updated, again.skipped, again.failed) == (0, 0, 8, 0)
    assert (count(Client), count(Contact), count(ClientContact), count(ExternalLink),
            count(ActivityEvent)) == before


def test_one_activity_event_per_record_written(admin):
    done = go(messy_customers(5), admin)
    assert count(ActivityEvent, ActivityEvent.action == "imported") == done.created == 5
    ids = set(db.session.scalars(select(ActivityEvent.client_id)
                                 .where(ActivityEvent.action == "imported")))
    assert ids == {r.client_id for r in records(done).values()}
    changed = messy_customers(5)
    changed[2] = customer("X2", changed[2].name, email="moved@example.com",
                          people=changed[2].people)
    again = go(changed, admin)
    assert again.updated == 1
    resynced = db.session.scalars(select(ActivityEvent)
                                  .where(ActivityEvent.action == "resynced")).one()
    assert resynced.client_id == records(again)[2].client_id


def test_the_search_index_matches_after_creating_linking_and_updating(admin):
    bare_client("Ørsted Ænergy ApS 5")
    go(messy_customers(7), admin, decisions={5: "link"})
    assert search.check(db.session) == 0
    changed = [customer(c.external_id, c.name + " (renamed)", email=c.email,
                        people=c.people) for c in messy_customers(7)]
    go(changed, admin)
    assert search.check(db.session) == 0


def test_a_stopped_run_resumes_without_duplicates(admin, refusals):
    # The database refuses the third batch's records: the run stops with two batches written
    refusals("import_record", 'new."index" = 7', "stop_run")
    run = queued(messy_customers(10), admin)
    run_import(run.id, batch_size=3)
    db.session.expire_all()
    stopped = db.session.get(ImportRun, run.id)
    assert (stopped.status, stopped.processed, stopped.created) == ("failed", 6, 6)
    assert interrupted(stopped) and count(Client) == 6
    drop_refusal("import_record", "stop_run")
    resume_import(stopped, user=admin)
    run_import(run.id, batch_size=3)
    db.session.expire_all()
    done = db.session.get(ImportRun, run.id)
    assert (done.status, done.processed, done.created, done.failed) == ("done", 10, 10, 0)
    assert count(Client) == 10 and count(ImportRecord) == 10
    assert count(ExternalLink) == 10 and count(Contact) == 10
    assert not interrupted(done)
    assert search.check(db.session) == 0


def test_an_undone_run_cannot_be_resumed(admin, refusals):
    refusals("import_record", 'new."index" = 4', "stop_run")
    run = queued(messy_customers(6), admin)
    run_import(run.id, batch_size=2)
    drop_refusal("import_record", "stop_run")
    undo_run(run.id, user=admin)
    db.session.expire_all()
    stopped = db.session.get(ImportRun, run.id)
    assert stopped.status == "failed" and stopped.undone_at is not None
    with pytest.raises(ImportRefused, match="was undone"):
        resume_import(stopped, user=admin)
    assert count(Client) == 0


def test_only_a_silent_run_counts_as_interrupted(admin):
    run = queued(messy_customers(2), admin)
    now = utcnow()
    assert not interrupted(run, now + timedelta(minutes=5))  # queued: a worker may be busy
    assert interrupted(run, now + timedelta(minutes=11))
    run.status, run.heartbeat_at = "running", now
    db.session.commit()
    assert not interrupted(run, now + timedelta(seconds=90))
    assert interrupted(run, now + timedelta(minutes=3))
    with pytest.raises(imports.ImportRefused, match="not interrupted"):
        resume_import(run, user=admin)  # its heartbeat is fresh: it may still be working
    run.heartbeat_at = now - timedelta(minutes=3)
    db.session.commit()
    resume_import(run, user=admin)
    assert run.status == "queued"
    with pytest.raises(imports.ImportRefused):
        resume_import(run, user=admin)  # claimed once only
    run_import(run.id)
    db.session.refresh(run)
    assert (run.status, run.created) == ("done", 2)
    with pytest.raises(imports.ImportRefused):
        resume_import(run, user=admin)


def written(run) -> list[dict]:
    """Everything a run's created records wrote, less ids and times: to compare two runs."""
    out = []
    for record in sorted(records(run).values(), key=lambda r: r.index):
        if record.outcome != "created":
            continue
        client = db.session.get(Client, record.client_id)
        skip = {"id", "created_at", "updated_at", "last_synced_at", "client_id"}

        def columns(obj):
            return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}
        out.append({
            "client": columns(client), "links": [columns(li) for li in client.external_links],
            "contacts": sorted(((columns(cc.contact), cc.role, cc.is_primary)
                                for cc in client.contact_links), key=repr),
            "events": [(e.action, e.summary, e.changes, e.contact_id is not None) for e in
                       db.session.scalars(select(ActivityEvent).where(
                           ActivityEvent.client_id == client.id).order_by(ActivityEvent.id))],
            "record": (record.link_was_new, len(record.contact_ids or []), record.version,
                       record.warnings)})
    return out


def test_new_clients_written_together_are_written_as_one_by_one(admin, refusals):
    """bulk_create.py writes a batch's new clients in one INSERT per table; when the database
    refuses one of them, the batch writes them one by one through apply.create. Both must leave
    exactly the same rows."""
    people = (ContactPerson("Ann", "Archer", "ann@example.com", "0161 496 0000"),
              ContactPerson("Bob", "O'Brien", None, "call Bob"))
    customers = [customer(f"Q{i}", name, email=f"a{i}@example.com, b{i}@example.com",
                          company_number="SC12345X" if i % 2 else None, people=people)
                 for i, name in enumerate(MESSY)]
    together = go(customers, admin, batch_size=50)
    assert together.created == len(MESSY) and together.warned == len(MESSY)
    expected = written(together)
    undo_run(together.id, user=admin)
    assert count(Client) == 0
    refusals("client", "new.display_name = 'Refused Ltd'", "refuse_one")
    one_by_one = go(customers + [customer("R", "Refused Ltd")], admin, batch_size=50)
    assert (one_by_one.created, one_by_one.failed) == (len(MESSY), 1)
    assert written(one_by_one) == expected
    assert search.check(db.session) == 0
