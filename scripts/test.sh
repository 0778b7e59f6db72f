#!/usr/bin/env bash
# Set up and run the whole suite (unit, view, migration, server and browser tests).
# TEST_DATABASE_URL picks the database (SQLite files in a temporary folder by default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-browser.sh
exec .venv/bin/python -m pytest "$@"
