"""Time `seed-demo` on a scratch database and print clients per second.

Also printed: the longest batch, rows made and written (SQLite's writer holds its lock for
less than that while web requests wait: keep it well under a second), and whether the search
index matches the rows afterwards.

    .venv/bin/python bench/seed_demo.py [--clients 100000] [--database-url URL]

Without --database-url a temporary SQLite file is used. A PostgreSQL URL must name an empty
database (the benchmark refuses one that has tables).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, inspect, select  # noqa: E402

from cone import create_app  # noqa: E402
from cone.services import demo, search  # noqa: E402
from cone.services.models import Client, ClientContact, Contact, db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            if inspect(db.engine).get_table_names():
                sys.exit(f"Error: {url} is not empty.")
            engine = db.engine.dialect.name
            upgrade()
            start = time.perf_counter()
            ends = [start]
            demo.seed(args.clients, seed=1, progress=lambda n: ends.append(time.perf_counter()))
            elapsed = time.perf_counter() - start
            longest = max(b - a for a, b in zip(ends, ends[1:]))
            differ = search.check(db.session)
            counts = [db.session.scalar(select(func.count()).select_from(m))
                      for m in (Client, Contact, ClientContact)]
            db.engine.dispose()
    print(f"{engine}: {args.clients:,} clients "
          f"in {elapsed:.1f} s ({args.clients / elapsed:,.0f}/s); rows: {counts[0]:,} clients, "
          f"{counts[1]:,} contacts, {counts[2]:,} links; longest batch {longest:.2f} s; "
          f"search index: {differ} entries differ")


if __name__ == "__main__":
    main()
