"""The documentation site (``make docs``, issue 19) served at ``/guide``.

- ``GET /guide``: redirect to ``/guide/``.
- ``GET /guide/{path}``: a file of the built site (HTML, its images, scripts, style sheets and
  search index), ``index.html`` for a folder; translated sites live in ``/guide/<lang>/``.

The site is a static Sphinx build: the folder named by ``$LOTUSAR_GUIDE_DIR``, by default
``docs/site/_build/html`` of the source tree this package runs from. A path that leaves the
folder, or a site that has not been built, is a 404 with a one-line reason.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

DEFAULT_GUIDE_DIR = Path(__file__).resolve().parents[4] / "docs" / "site" / "_build" / "html"

router = APIRouter(tags=["guide"])


def guide_dir() -> Path:
    """The built documentation site: $LOTUSAR_GUIDE_DIR or the source tree's docs/site/_build/html."""
    return Path(os.environ.get("LOTUSAR_GUIDE_DIR") or DEFAULT_GUIDE_DIR)


def resolve_guide_file(root: Path, path: str) -> Path:
    """The file of the site at ``path`` (``index.html`` for a folder); 404 outside the site or missing."""
    if not (root / "index.html").is_file():
        raise HTTPException(404, f"documentation site not built in {root}: run `make docs`")
    base = root.resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base):
        raise HTTPException(404, f"not part of the documentation site: {path}")
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        raise HTTPException(404, f"no such page in the documentation site: {path}")
    return target


@router.get("/guide", include_in_schema=False)
def guide_root() -> RedirectResponse:
    return RedirectResponse("/guide/", status_code=307)


@router.get("/guide/{path:path}", include_in_schema=False)
def guide_file(path: str) -> FileResponse:
    return FileResponse(resolve_guide_file(guide_dir(), path))
