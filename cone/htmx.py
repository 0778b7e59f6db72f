"""The one place that reads HX-* headers: answer with the whole page or one region."""
from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_region(fragments: dict[str, str] | None) -> str | None:
    """The block to render alone, or None for the whole page.

    Keyed on HX-Target, never on HX-Request alone: boosted navigation and history
    restore send HX-Request too and must get the whole page.
    """
    htmx = request.htmx
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return (fragments or {}).get(htmx.target)
    return None


def is_htmx() -> bool:
    """True for any htmx-issued request (boosted or targeted)."""
    return bool(request.htmx)


def render(template: str, *, fragments: dict[str, str] | None = None, status: int = 200,
           headers: dict | None = None, **context):
    """Render template, or only the block named for the request's HX-Target."""
    block = wants_region(fragments)
    body = render_block(template, block, **context) if block else render_template(template, **context)
    resp = make_response(body, status)
    # Vary: the same URL serves fragment and page, caches must keep them apart
    resp.vary.update(["HX-Request", "HX-Target"])
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp
