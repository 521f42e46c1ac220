"""Sphinx configuration: builds offline (no intersphinx), Markdown pages through MyST.

CI runs ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are
errors) and ``python -m sphinx -b doctest docs docs/_build/doctest``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dockermodel

project = "dockermodel"
author = "dockermodel contributors"
copyright = "dockermodel contributors"
version = release = dockermodel.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "alabaster"
html_title = f"dockermodel {release}"
html_static_path: list[str] = []

# The docstrings' examples (pulled in by autodoc on the API page) use each
# module's own names unqualified, as a reader of that module would.
doctest_global_setup = """
import dockermodel
from dockermodel.digest import *
from dockermodel.reference import *
from dockermodel.model import *
from dockermodel.errors import *
from dockermodel.cli import load_demo, reference_record
"""
