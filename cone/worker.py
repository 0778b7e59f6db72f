"""The Huey consumer's entry point: `huey_consumer cone.worker.huey -w 2`.

Builds the app once for the consumer process, so tasks run with its configuration.
"""
from cone import create_app, jobs

huey = jobs.huey
jobs.serve_app(create_app())
