"""The client list: search, filters, sort, paging, the search index and CSV export.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.search.integrity import check, client_count, rebuild
from cone.services.search.listing import ResultPage, ResultRow, filter_options, search_clients
from cone.services.search.query import DUE, PER_PAGE, SORTS, SOURCES, ClientQuery, clean
from cone.services.search.sql import naive_match, words

__all__ = [
    "ResultPage", "ResultRow", "filter_options", "search_clients", "DUE", "PER_PAGE", "SORTS",
    "SOURCES", "ClientQuery", "clean", "naive_match", "words", "check", "client_count", "rebuild",
]
