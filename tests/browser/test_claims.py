"""One number per claim: the talk's numbers, as the notebooks `make test` just executed show
them (runs after nbmake, beside the browser tests that read the same build/executed/)."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_number_the_talk_states_is_shown_by_its_notebook():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("claims", ROOT / "benchmarks" / "claims.py")
    claims = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(claims)
    rows = claims.check(ROOT / "benchmarks" / "results", ROOT / "build" / "executed")
    assert [f"{r['claim']}: {r['value']} ({r['source']}) not shown by {r['notebook']}" for r in rows
            if not r["notebook shows the same"]] == []
