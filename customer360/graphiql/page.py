"""The GraphiQL page at ``GET /graphql`` and the route that serves its files, offline.

Every script and stylesheet comes from this service (``/graphiql/static/...``) with its SRI
hash, and the Content-Security-Policy sent with the page lets the browser load nothing from
anywhere else: on a network with no route to a CDN the page works, and if a future edit
slipped in an external URL the browser would refuse it rather than silently phone out.
"""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from customer360.graphiql.assets import STATIC_DIR, Asset, page_assets
from customer360.graphiql.examples import EXAMPLE_TABS

STATIC_PATH = "/graphiql/static"
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # GraphiQL and CodeMirror set style attributes
    "img-src 'self' data:",
    "font-src 'self' data:",  # GraphiQL's fonts are data: URLs inside its stylesheet
    "connect-src 'self'",  # the GraphQL endpoint, nothing else
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))


def static_route() -> Mount:
    """``/graphiql/static/...``: the vendored files and the start-up script, from package data."""
    return Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="graphiql-static")


def _tag(asset: Asset, prefix: str) -> str:
    url = html.escape(f"{prefix}{STATIC_PATH}/{asset.path}")
    integrity = html.escape(asset.integrity)
    if asset.kind == "style":
        return f'<link rel="stylesheet" href="{url}" integrity="{integrity}">'
    return f'<script src="{url}" integrity="{integrity}"></script>'


def render_page(root_path: str = "", notice: str | None = None) -> str:
    """The page's HTML; ``root_path`` is the prefix the app is mounted under (usually empty);
    ``notice`` is shown in a bar above the editor (who the requests run as, when that matters)."""
    assets = page_assets()
    styles = "\n    ".join(_tag(a, root_path) for a in assets if a.kind == "style")
    scripts = "\n    ".join(_tag(a, root_path) for a in assets if a.kind == "script")
    config = {"tabs": [tab.as_graphiql_tab() for tab in EXAMPLE_TABS]}
    # JSON inside <script> ends at the first "</", so "<" is written as its JSON escape
    config_json = json.dumps(config).replace("<", "\\u003c")
    banner = f'<div id="c360-notice" role="status">{html.escape(notice)}</div>\n    ' if notice else ""
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Customer 360 GraphiQL</title>
    <link rel="icon" href="data:,">
    {styles}
    <style>body {{ margin: 0; display: flex; flex-direction: column; height: 100vh; }}
      #graphiql {{ flex: 1; min-height: 0; }}
      #c360-notice {{ padding: 6px 12px; background: #fff4ce; border-bottom: 1px solid #e0c060;
        font: 14px sans-serif; }}</style>
  </head>
  <body>
    {banner}<div id="graphiql">Loading GraphiQL...</div>
    <script type="application/json" id="c360-graphiql-config">{config_json}</script>
    {scripts}
  </body>
</html>
"""


def graphiql_response(request: Request, notice: str | None = None) -> HTMLResponse:
    """The page, with the policy that keeps the browser on this service."""
    return HTMLResponse(
        render_page(request.scope.get("root_path", ""), notice),
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )
