"""The client list: search, filters, sort, paging, the search index and CSV export.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.search.listing import (DUE, PER_PAGE, SORTS, SOURCES, ClientQuery,
                                          ResultPage, clean, filter_options, search_clients)
from cone.services.search.sql import (naive_match, words)

__all__ = [
    "DUE", "PER_PAGE", "SORTS", "SOURCES", "ClientQuery", "ResultPage", "clean",
    "filter_options", "search_clients", "naive_match", "words"
]
