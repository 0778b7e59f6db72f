"""Realistic demo data for seed-demo and the benchmarks.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.demo.generator import (BATCH, MAX_CLIENTS, DemoError, seed)

__all__ = [
    "BATCH", "MAX_CLIENTS", "DemoError", "seed"
]
