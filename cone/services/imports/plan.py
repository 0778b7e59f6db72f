"""What the import page reads from a run's plan: the preview's counts and pages, and once the
run has finished, the rows that failed and the clients it wrote."""
from __future__ import annotations

from dataclasses import dataclass

from cone.services.imports.preview import CLASSIFICATIONS
from cone.services.models import ImportRun
from cone.services.sources import PRODUCT_NAMES

PER_PAGE = 100
WRITTEN_SHOWN = PER_PAGE * 5  # a summary lists this many clients written; the list has the rest


@dataclass
class PreviewPage:
    """One page of a preview's rows, filtered by classification, with the counts of each."""
    show: str                 # the classification shown, "" for all
    counts: dict[str, int]
    rows: list[dict]
    shown_total: int
    page: int
    pages: int
    includes_inactive: bool   # archived or non-customer records were classified, not skipped


@dataclass
class Finished:
    """A finished run's rows: those not imported, and the clients written (the first few)."""
    failures: list[dict]
    written: list[dict]
    written_total: int


def includes_inactive(plan: list[dict]) -> bool:
    """Whether the preview classified archived or non-customer records instead of skipping them."""
    return any((r["customer"].get("archived") or not r["customer"].get("is_customer", True))
               and r["classification"] != "skipped" for r in plan)


def preview_page(run: ImportRun, show: str = "", page: int = 1,
                 per_page: int = PER_PAGE) -> PreviewPage:
    """One page of the rows of one classification ("" for all); past the end, the last page."""
    plan = run.plan or []
    counts = {c: 0 for c in CLASSIFICATIONS}
    for r in plan:
        counts[r["classification"]] = counts.get(r["classification"], 0) + 1
    shown = [r for r in plan if not show or r["classification"] == show]
    pages = max(1, -(-len(shown) // per_page))
    page = min(max(page, 1), pages)
    return PreviewPage(show, counts, shown[(page - 1) * per_page:page * per_page], len(shown),
                       page, pages, includes_inactive(plan))


def finished(run: ImportRun) -> Finished:
    """What a finished platform or CSV run did to each row it could not or did import."""
    plan = run.plan or []
    written = [r for r in plan if r.get("outcome") in ("created", "linked", "updated")]
    return Finished([r for r in plan if r.get("outcome") == "failed"], written[:WRITTEN_SHOWN],
                    len(written))


def source_heading(provider: str) -> str:
    """"Xero", "QuickBooks Online", "CSV file"… for the page's headings."""
    return "CSV file" if provider == "csv" else PRODUCT_NAMES.get(provider, provider)
