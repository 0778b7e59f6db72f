"""The transaction helpers: commit or roll back, and one retry after a lost optimistic-lock race."""
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cone.services.models import Client, Tag, db
from cone.services.tx import retry_on_stale, transaction


def saved_elsewhere(model, **where):
    """The rows another connection sees: only what was committed."""
    with Session(db.engine) as other:
        return list(other.scalars(select(model).filter_by(**where)))


def edit_elsewhere(client_id: int, **values) -> None:
    """Another writer saves the client row (and bumps its version) in its own session."""
    with Session(db.engine) as other:
        client = other.get(Client, client_id)
        for name, value in values.items():
            setattr(client, name, value)
        other.commit()


def test_transaction_commits_what_the_block_did(app_ctx):
    with transaction():
        db.session.add(Tag(name="VAT"))
    assert [t.name for t in saved_elsewhere(Tag)] == ["VAT"]


def test_transaction_rolls_back_and_reraises_on_error(app_ctx):
    with pytest.raises(ZeroDivisionError):
        with transaction():
            db.session.add(Tag(name="Payroll"))
            db.session.flush()  # written, but not committed
            1 / 0
    assert saved_elsewhere(Tag) == []
    assert db.session.scalars(select(Tag)).all() == []  # the session goes on, clean


def test_retry_on_stale_reloads_and_tries_exactly_once_more(make_client):
    client = make_client(legal_name="Acme Ltd")
    attempts = []

    def work():
        attempts.append(client.version)
        if len(attempts) == 1:  # someone saves the client between our read and our UPDATE
            edit_elsewhere(client.id, phone="020 7946 0000")
        client.email = "office@acme.example"
        return client.email

    assert retry_on_stale(work, refresh=lambda: db.session.refresh(client)) == \
        "office@acme.example"
    assert len(attempts) == 2 and attempts[1] == attempts[0] + 1  # the second saw their save
    [saved] = saved_elsewhere(Client, id=client.id)
    assert (saved.email, saved.phone) == ("office@acme.example", "020 7946 0000")
    assert saved.version == attempts[0] + 2


def test_retry_on_stale_gives_up_after_the_second_lost_race(make_client):
    client = make_client(legal_name="Acme Ltd")
    attempts = []

    def work():
        attempts.append(client.version)
        edit_elsewhere(client.id, phone=f"020 7946 000{len(attempts)}")
        client.email = "office@acme.example"

    with pytest.raises(StaleDataError):
        retry_on_stale(work, refresh=lambda: db.session.refresh(client))
    assert len(attempts) == 2
    [saved] = saved_elsewhere(Client, id=client.id)
    assert (saved.email, saved.phone) == (None, "020 7946 0002")  # theirs kept, ours not


def test_retry_on_stale_does_not_retry_other_errors(make_client):
    client = make_client(legal_name="Acme Ltd")
    attempts = []

    def work():
        attempts.append(1)
        client.email = "office@acme.example"
        raise ValueError("refused")

    with pytest.raises(ValueError):
        retry_on_stale(work, refresh=lambda: db.session.refresh(client))
    assert len(attempts) == 1 and saved_elsewhere(Client, id=client.id)[0].email is None
