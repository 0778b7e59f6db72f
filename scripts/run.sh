#!/usr/bin/env bash
# Set up, make sure a first owner exists, and serve on http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-5000}
bash scripts/setup.sh
.venv/bin/flask --app app cone ensure-admin
echo
echo "Cone is running: sign in at http://127.0.0.1:$PORT/login  (Ctrl+C stops it)"
exec .venv/bin/flask --app app run --host 127.0.0.1 --port "$PORT"
