"""Paths shared by the browser tests and their fixtures."""

import os
from pathlib import Path

from clipviz.teaching.classroom import Project

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CLIPVIZ_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "reports" / "browser"
PROJECT = Project(ROOT)
