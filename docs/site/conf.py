"""Sphinx configuration of the lotusar documentation site (issue 19).

Built by ``scripts/build-docs.sh`` (``make docs``) with ``-c docs/site`` and the source directory
``docs/``, so the site holds the developer design notes (``docs/*.md``, read as they are), the
executed tutorials (``docs/tutorials/*.md``, MyST text notebooks) and the API reference
generated from the docstrings. Everything is offline: the theme (furo) ships its assets, no
math renderer is loaded from a CDN, and :func:`_no_remote_assets` fails the build if any page
would fetch a script, style sheet, image or font from another host.
"""

from __future__ import annotations

import os
import re
import sys
import types
from pathlib import Path

from sphinx.errors import ExtensionError

CONF_DIR = Path(__file__).resolve().parent
DOCS_DIR = CONF_DIR.parent
ROOT = DOCS_DIR.parent
TUTORIALS_DIR = DOCS_DIR / "tutorials"

# The tutorials' kernels inherit this environment: they import the small teaching helper
# (docs/tutorials/lessonkit.py) from wherever jupyter runs them.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TUTORIALS_DIR), os.environ.get("PYTHONPATH", "")) if p)
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures inline in the pages

project = "lotusar"
author = "the lotusar engineers"
copyright = "2026, the lotusar engineers"  # noqa: A001 (Sphinx's name)
release = "0.1.0"

root_doc = "site/index"
extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["site/_build", "site/locales", "site/_templates", "site/_extra", "site/_static",
                    "**/.ipynb_checkpoints", "**/__pycache__"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}

# MyST: heading anchors so the design notes' "#section" links resolve (checked, not ignored).
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# Tutorials: executed at every build; an error in a cell fails the build with its traceback.
# "cache" mode stores executed notebooks in site/_build/.jupyter_cache, which the build script
# empties first: the English build executes everything, the Vietnamese build re-uses the result.
nb_execution_mode = os.environ.get("LOTUSAR_DOCS_EXECUTION", "cache")
nb_execution_cache_path = str(CONF_DIR / "_build" / ".jupyter_cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_ipywidgets_js = {}  # no require.js / widget manager from a CDN

# API reference from the docstrings (pages in site/api/generated/, written at build time).
# Each module documents what it defines (not what its package re-exports, which would describe
# one object twice). lotusar's docstrings are plain text with equations (|x|, ∂, subscripts),
# not reStructuredText: `_docstring_as_text` shows them verbatim instead of letting docutils
# misread "|r|" as a substitution.
templates_path = ["_templates"]
autosummary_generate = True
autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False

html_theme = "furo"
html_title = "lotusar guide"
html_static_path = ["_static"]
html_extra_path = ["_extra"]
html_css_files = ["lotusar.css"]
html_last_updated_fmt = None
html_copy_source = False

# Translations: `sphinx-build -b gettext` writes the catalogue templates, translators fill
# site/locales/<lang>/LC_MESSAGES/**.po, `-D language=vi` builds the translated site.
locale_dirs = ["site/locales/"]
gettext_compact = False
gettext_uuid = False

# `python -m lotusar` runs the CLI when lotusar/__main__.py is imported; the recursive API
# reference would import it. A stand-in marked as a Sphinx mock makes autosummary skip it.
_main_stub = types.ModuleType("lotusar.__main__")
_main_stub.__sphinx_mock__ = True
sys.modules.setdefault("lotusar.__main__", _main_stub)

_REMOTE = re.compile(r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)=["']((?:https?:)?//[^"']+)""", re.I)
_CSS_REMOTE = re.compile(r"""url\(\s*["']?((?:https?:)?//[^)"']+)""", re.I)


def _no_remote_assets(app, exception):
    """Fail the build if a page or style sheet would load anything from another host."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    bad = []
    for page in out.rglob("*.html"):
        bad += [f"{page.relative_to(out)}: {u}" for u in _REMOTE.findall(page.read_text(errors="replace"))]
    for css in out.rglob("*.css"):
        bad += [f"{css.relative_to(out)}: {u}" for u in _CSS_REMOTE.findall(css.read_text(errors="replace"))]
    if bad:
        raise ExtensionError("remote assets in the built site (must be served locally): " + "; ".join(bad[:10]))


def _docstring_as_text(app, what, name, obj, options, lines):
    """Show a plain-text docstring verbatim (a literal block), keeping its line layout."""
    if lines:
        lines[:] = ["::", ""] + ["   " + line for line in lines] + [""]


def setup(app):
    app.connect("autodoc-process-docstring", _docstring_as_text)
    app.connect("build-finished", _no_remote_assets)
