"""A database that refuses some rows itself, as a constraint or a too-long value would: a real
failure at the database, on either engine, without touching the code under test."""
from sqlalchemy import text

from cone.services.models import db
from tests.helpers import ON_POSTGRES


def refuse_in_database(table: str, condition: str, name: str) -> None:
    """A trigger named name that makes INSERTs into table fail where condition (on new.) holds."""
    if ON_POSTGRES:
        db.session.execute(text(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition.replace('new.', 'NEW.')} THEN RAISE EXCEPTION 'refused by test'; "
            "END IF; RETURN NEW; END $$"))
        db.session.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                                f"FOR EACH ROW EXECUTE FUNCTION {name}()"))
    else:
        db.session.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                                f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    db.session.commit()


def drop_refusal(table: str, name: str) -> None:
    db.session.rollback()
    db.session.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}" if ON_POSTGRES
                            else f"DROP TRIGGER IF EXISTS {name}"))
    if ON_POSTGRES:
        db.session.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))
    db.session.commit()


def refusing():
    """For a fixture: yields refuse_in_database, and drops its triggers afterwards (PostgreSQL
    keeps its schema from one test to the next)."""
    made = []

    def refuse(table: str, condition: str, name: str) -> None:
        made.append((table, name))
        refuse_in_database(table, condition, name)
    yield refuse
    for table, name in made:
        drop_refusal(table, name)
