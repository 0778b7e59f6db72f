"""Fixtures for the whole suite, one module per concern in tests/fixtures/; helpers that test
modules import live in tests/helpers.py."""

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.users",
    "tests.fixtures.factories",
    "tests.fixtures.companies_house",
    "tests.fixtures.platforms",
    "tests.fixtures.migrations",
]
