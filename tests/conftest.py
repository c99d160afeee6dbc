import os

import pytest
import torch

# a fixed thread count keeps runs comparable and bit-for-bit reproducible
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty embedded-model cache for the test."""
    monkeypatch.setenv("CLIPVIZ_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"
