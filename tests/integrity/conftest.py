"""The seed-demo processes a test starts, stopped and reaped whatever the test's outcome."""
import pytest

from tests.integrity.loads import start_seed


@pytest.fixture
def seeder(app):
    """seeder(count) starts `flask cone seed-demo --clients count` on the test database."""
    started = []

    def start(count: int):
        started.append(start_seed(app, count))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stdout and not process.stdout.closed:
            process.stdout.close()
