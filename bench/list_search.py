"""Client list at scale: seed demo clients, then time 20 searches and filters, indexed and naive.

    .venv/bin/python bench/list_search.py [--clients 100000] [--runs 15] [--postgres-url URL]

Seeds a fresh SQLite file and a fresh PostgreSQL database (created here, named cone_bench
by default, dropped at the end) with the seed-demo generator, signs in through the Flask test
client and, for each query, measures the server time of the htmx rows fragment (p50, p95).
The same query is then run the naive way (LIKE '%word%' over the same columns, no index) and
rendered the same way; the ratio is naive p50 / indexed p50. Sizes are gzip-compressed bytes.
"""
import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinja2_fragments.flask import render_block  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cone import create_app  # noqa: E402
from cone.clients.listing import client_query, list_form, state  # noqa: E402
from cone.services import demo, search  # noqa: E402
from cone.services.models import Client, User, db  # noqa: E402

QUERIES = [
    "", "q=smi", "q=smith", "q=a", "q=ltd", "q=acm ltd", "q=jo sm", "q=london", "q=sw1",
    "q=07700 9", "q=gb", "q=sc 1", "kind=individual", "status=prospect&sort=created",
    "tag=VAT&sort=updated", "manager=none", "source=manual&kind=business&page=40",
    "q=car&kind=business&status=customer", "sort=deadline&per_page=100", "q=an&archived=1&page=3",
]
HX = {"HX-Request": "true", "HX-Target": "client-results"}
STATIC = ["css/cone.css", "js/app.js", "js/combobox.js", "vendor/htmx.min.js"]


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def timed(fn, runs, cpu=None):
    """Wall-clock ms of each run; cpu, if given, collects this process's CPU ms as well."""
    fn()  # warm caches and the statement cache
    out = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return out


def params_of(app, query):
    with app.test_request_context(f"/clients?{query}"):
        return search.clean(client_query(list_form()))


def naive_fragment(app, query):
    """Render the rows block from the naive query, as the view would."""
    params = params_of(app, query)
    with app.test_request_context(f"/clients?{query}", headers=HX):
        results = search.search_clients(params, matcher=search.naive_match)
        return render_block("clients/index.html", "results", params=params, args=state(params),
                            results=results, sources=search.SOURCES)


def bench(url, clients, runs):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        db.session.add(User(email="bench@example.com", name="Bench", password_hash="x", role="admin"))
        db.session.commit()
        start = time.perf_counter()
        demo.seed(clients, seed=1)
        seeded = time.perf_counter() - start
        db.session.execute(text("ANALYZE"))  # fresh statistics, as after a day of autovacuum
        db.session.commit()
        user_id = db.session.scalar(select(User.id))
        http = app.test_client()
        with http.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(user_id), True
        rows = []
        for query in QUERIES:
            cpu = []
            fast = timed(lambda: http.get(f"/clients?{query}", headers=HX), runs, cpu)
            slow = timed(lambda: naive_fragment(app, query), max(3, runs // 3))
            body = http.get(f"/clients?{query}", headers=HX).data
            count = search.search_clients(params_of(app, query))
            shown = f"{count.total:,}{'' if count.exact else '+'}"
            rows.append((query or "(all)", shown, pct(fast, 50), pct(fast, 95), pct(slow, 50),
                         statistics.median(slow) / statistics.median(fast), gz(body), pct(cpu, 95)))
        page = http.get("/clients").data
        assets = sum(gz(http.get(f"/static/{name}").data) for name in STATIC)
        total = db.session.scalar(select(db.func.count()).select_from(Client))
        db.session.remove()
        db.engine.dispose()
    return db_name(url), total, seeded, rows, gz(page), assets


def db_name(url):
    return make_url(url).get_backend_name()


def report(name, total, seeded, rows, page, assets):
    print(f"\n{name}: {total:,} clients (seeded in {seeded:.0f} s)")
    # cpu: this process's CPU time, p95; on a busy machine it shows the work without the waiting
    # (SQLite works inside the process; PostgreSQL's share is in the server, not in it)
    print(f"{'query':42} {'matches':>8} {'p50 ms':>7} {'p95 ms':>7} {'cpu95':>6} {'naive':>8} "
          f"{'ratio':>6} {'gz B':>6}")
    for query, shown, p50, p95, naive, ratio, size, cpu in rows:
        print(f"{query:42} {shown:>8} {p50:7.1f} {p95:7.1f} {cpu:6.1f} {naive:8.1f} {ratio:5.0f}x "
              f"{size:6}")
    p95s = [r[3] for r in rows]
    text_ratios = [r[5] for r in rows if "q=" in r[0]]
    print(f"worst p95 {max(p95s):.1f} ms; median p95 {statistics.median(p95s):.1f} ms; "
          f"text queries: naive/indexed median {statistics.median(text_ratios):.0f}x, "
          f"min {min(text_ratios):.0f}x")
    print(f"/clients first load gzipped: page {page:,} B + CSS/JS {assets:,} B = {page + assets:,} B")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000, help="demo clients to seed")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each query")
    parser.add_argument("--postgres-url", help="a database to create, fill and drop",
                        default="postgresql+psycopg://postgres@127.0.0.1/cone_bench")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report(*bench(f"sqlite:///{Path(tmp) / 'bench.db'}", args.clients, args.runs))
    if args.skip_postgres:
        return
    url = make_url(args.postgres_url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    try:
        report(*bench(url.render_as_string(hide_password=False), args.clients, args.runs))
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        server.dispose()


if __name__ == "__main__":
    main()
