"""The local web app and HTTP API (`plens serve`).

`create_app()` builds the FastAPI application; the page and its scripts live in `static/` and are
served by the app itself, so everything works without an internet connection.
"""

from __future__ import annotations

from persuasion_lens.web.app import DEFAULT_MAX_BYTES, create_app

__all__ = ["DEFAULT_MAX_BYTES", "create_app"]
