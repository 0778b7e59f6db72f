"""Client list at scale: seed demo clients, then time 26 searches and filters, indexed and naive.

    .venv/bin/python bench/list_search.py [--clients 100000] [--runs 15] [--postgres-url URL]
        [--sqlite-file PATH] [--reuse] [--query Q ...] [--no-naive] [--no-stats]

Seeds a fresh SQLite file and a fresh PostgreSQL database (created here, named cone_bench
by default, dropped at the end) with the seed-demo generator, signs in through the Flask test
client and, for each query, measures the server time of the htmx rows fragment (p50, p95).
The same query is then run the naive way (LIKE '%word%' over the same columns, no index) and
rendered the same way; the ratio is naive p50 / indexed p50. Sizes are gzip-compressed bytes.
A last table sets both engines' p50/p95 side by side.

--reuse keeps the databases: --sqlite-file and the PostgreSQL database are seeded only while
they hold no clients and are left in place, so a 100,000-client set is seeded once and
measured again after each change. --no-stats measures SQLite on a copy of its file without
the planner's statistics: SQLite gathers none by itself, so a register that grew by hand
has none, and a plan that is quick only with them is slow there.
"""
import argparse
import gzip
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinja2_fragments.flask import render_block  # noqa: E402
from sqlalchemy import create_engine, event, inspect, select, text  # noqa: E402
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
    # short prefixes typed live, each matching thousands: the page is a walk in name order
    "q=jo", "q=me", "q=hi", "q=gre", "q=bea", "q=eng",
]
HX = {"HX-Request": "true", "HX-Target": "client-results"}
STATIC = ["css/cone.css", "js/app.js", "js/combobox.js", "vendor/htmx.min.js"]


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def server_ms(pids):
    """CPU ms the local PostgreSQL backends have used so far (Linux scheduler statistics)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # a remote server, or no schedstat
            pass
    return total / 1e6


def timed(fn, runs, cpu=None, server=None, pids=()):
    """Wall-clock ms of each run; cpu and server, if given, collect this process's CPU ms
    and the database backends' CPU ms as well."""
    fn()  # warm caches and the statement cache
    out = []
    for _ in range(runs):
        start, start_cpu, start_server = time.perf_counter(), time.process_time(), server_ms(pids)
        fn()
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
        if server is not None:
            server.append(server_ms(pids) - start_server)
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


def seed(clients):
    """Seconds spent filling an empty database; 0 when it already holds clients (--reuse)."""
    if inspect(db.engine).has_table(Client.__tablename__) and db.session.scalar(
            select(db.func.count()).select_from(Client)):
        return 0.0  # made before: create_all() would refill every search document
    db.create_all()
    db.session.add(User(email="bench@example.com", name="Bench", password_hash="x", role="admin"))
    db.session.commit()
    start = time.perf_counter()
    demo.seed(clients, seed=1)
    seeded = time.perf_counter() - start
    db.session.commit()
    # fresh statistics, as after a day of autovacuum; on PostgreSQL also its VACUUM: the
    # visibility map, and the GIN indexes' pending entries merged (a search reads those one
    # by one, so a load that leaves a full list slows every search until autovacuum runs)
    vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(vacuum)
    return seeded


def bench(url, clients, runs, queries=QUERIES, naive=True):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    pids = set()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            event.listen(db.engine, "connect", lambda conn, _: pids.add(conn.info.backend_pid))
        seeded = seed(clients)
        user_id = db.session.scalar(select(User.id))
        http = app.test_client()
        with http.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(user_id), True
        rows = []
        for query in queries:
            cpu, server = [], []
            fast = timed(lambda: http.get(f"/clients?{query}", headers=HX), runs, cpu, server, pids)
            slow = timed(lambda: naive_fragment(app, query), max(3, runs // 3)) if naive else None
            body = http.get(f"/clients?{query}", headers=HX).data
            count = search.search_clients(params_of(app, query))
            shown = f"{count.total:,}{'' if count.exact else '+'}"
            rows.append((query or "(all)", shown, pct(fast, 50), pct(fast, 95),
                         pct(slow, 50) if slow else None,
                         statistics.median(slow) / statistics.median(fast) if slow else None,
                         gz(body), pct(cpu, 95), pct(server, 95) if pids else None))
        page = http.get("/clients").data
        assets = sum(gz(http.get(f"/static/{name}").data) for name in STATIC)
        total = db.session.scalar(select(db.func.count()).select_from(Client))
        db.session.remove()
        db.engine.dispose()
    return db_name(url), total, seeded, rows, gz(page), assets


def db_name(url):
    return make_url(url).get_backend_name()


def report(name, total, seeded, rows, page, assets):
    print(f"\n{name}: {total:,} clients" + (f" (seeded in {seeded:.0f} s)" if seeded else ""))
    # cpu: this process's CPU time, p95; on a busy machine it shows the work without the waiting
    # db: the same for the PostgreSQL server's backend, when it runs on this machine
    # (SQLite works inside the process; PostgreSQL's share is in the server, not in it)
    print(f"{'query':42} {'matches':>8} {'p50 ms':>7} {'p95 ms':>7} {'cpu95':>6} {'db95':>5} {'naive':>8} "
          f"{'ratio':>6} {'gz B':>6}")
    for query, shown, p50, p95, naive, ratio, size, cpu, server in rows:
        served = "-" if server is None else f"{server:5.1f}"
        naive, ratio = ("-", "-") if naive is None else (f"{naive:8.1f}", f"{ratio:5.0f}x")
        print(f"{query:42} {shown:>8} {p50:7.1f} {p95:7.1f} {cpu:6.1f} {served:>5} {naive:>8} {ratio:>6} "
              f"{size:6}")
    p95s = [r[3] for r in rows]
    text_ratios = [r[5] for r in rows if "q=" in r[0] and r[5] is not None]
    print(f"worst p95 {max(p95s):.1f} ms; median p95 {statistics.median(p95s):.1f} ms" + (
        f"; text queries: naive/indexed median {statistics.median(text_ratios):.0f}x, "
        f"min {min(text_ratios):.0f}x" if text_ratios else ""))
    print(f"/clients first load gzipped: page {page:,} B + CSS/JS {assets:,} B = {page + assets:,} B")


def side_by_side(results):
    """Both engines' p50/p95 per query, and which is slower at p95."""
    names = [r[0] for r in results]
    print(f"\n{'query':42} " + " ".join(f"{n + ' p50':>16} {n + ' p95':>16}" for n in names))
    for lines in zip(*(r[3] for r in results)):
        print(f"{lines[0][0]:42} " + " ".join(f"{line[2]:16.1f} {line[3]:16.1f}" for line in lines))
    for name, *_, rows, _page, _assets in results:
        print(f"{name}: worst p95 {max(r[3] for r in rows):.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000, help="demo clients to seed")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each query")
    parser.add_argument("--postgres-url", help="a database to create, fill and drop",
                        default="postgresql+psycopg://postgres@127.0.0.1/cone_bench")
    parser.add_argument("--sqlite-file", type=Path, help="a SQLite file to use (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep both databases: seed only an empty one, never drop")
    parser.add_argument("--query", action="append", help="time only this query (repeatable)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument("--no-stats", action="store_true",
                        help="SQLite: measure a copy of the file without planner statistics")
    args = parser.parse_args()
    queries, naive = args.query or QUERIES, not args.no_naive
    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_file or Path(tmp) / "bench.db"
            if args.no_stats:
                bench(f"sqlite:///{path.resolve()}", args.clients, args.runs, [])  # seeds only
                path = without_stats(path, Path(tmp))
            results.append(bench(f"sqlite:///{path.resolve()}", args.clients, args.runs, queries,
                                 naive))
            report(*results[-1])
    if not args.skip_postgres:
        results.append(postgres(args, queries, naive))
        report(*results[-1])
    if len(results) > 1:
        side_by_side(results)


def without_stats(path: Path, tmp: Path) -> Path:
    """A copy of the SQLite file without the planner's statistics. SQLite gathers none by
    itself: a register that grew by hand has none, and the plans must hold without them."""
    copy = tmp / "no_stats.db"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as conn:
        for name in ("sqlite_stat1", "sqlite_stat4"):
            conn.execute(f"DROP TABLE IF EXISTS {name}")
    return copy


def postgres(args, queries, naive):
    """Measure on a database made for the run (dropped after) or, with --reuse, the one kept."""
    url = make_url(args.postgres_url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                             {"name": url.database})
        if not args.reuse:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        if not (exists and args.reuse):
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    try:
        return bench(url.render_as_string(hide_password=False), args.clients, args.runs, queries,
                     naive)
    finally:
        if not args.reuse:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        server.dispose()


if __name__ == "__main__":
    main()
