"""Gunicorn settings for production: `gunicorn app:app` reads this file from the working directory.

Command-line flags (-w, -b) override these values; environment variables set the defaults.
"""
import os

# Loopback only: a TLS reverse proxy (nginx, Caddy) faces the internet
bind = os.environ.get("CONE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads (gthread): a slow request (a provider call, a broad search) no longer holds a whole
# worker, so quick pages do not queue behind it; under load this cut p95 by about half
threads = 4
# Idle keep-alive connections stay open longer than the proxy keeps its own (nginx: 60 s), so
# the proxy never sends a request down a connection gunicorn is just closing (a lost POST)
keepalive = 75
# Imports, CSV uploads and provider calls can take a while; anything longer is a bug
timeout = 60
graceful_timeout = 30
# Restart workers now and then so a slow leak never grows large
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# The proxy's X-Forwarded-* headers are read by the app itself when CONE_BEHIND_PROXY=1
forwarded_allow_ips = "127.0.0.1"
