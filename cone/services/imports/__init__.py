"""Imports from accounting platforms and CSV files: preview, decisions, runs, resync.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.imports.apply import RecordFailed
from cone.services.imports.preview import (CHOICES, CLASSIFICATIONS, ImportRefused, PreviewRow,
                                           build_preview, create_preview_run, default_decisions,
                                           plan_rows, row_json, set_decisions)
from cone.services.imports.run import (run_import, start_import, summary)
from cone.services.imports.resync import resync_client

__all__ = [
    "RecordFailed", "CHOICES", "CLASSIFICATIONS", "ImportRefused", "PreviewRow",
    "build_preview", "create_preview_run", "default_decisions", "plan_rows", "row_json",
    "set_decisions", "run_import", "start_import", "summary", "resync_client"
]
