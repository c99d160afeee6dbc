import multiprocessing as mp

import pytest
import torch

from clipviz.core.train import TrainConfig
from clipviz.zoo import RECIPES, Recipe, build, cache, cache_path, pretrained, training_history

TINY = Recipe("shapes-cnn-tiny", n_train=128,
              config=TrainConfig(steps=3, batch_size=16, warmup_steps=1, precision="fp32", progress=False))


@pytest.fixture
def tiny_recipe(monkeypatch, cache):
    monkeypatch.setitem(RECIPES, "tiny-test", TINY)
    return "tiny-test"


def test_trained_once_then_loaded_from_cache(tiny_recipe, monkeypatch):
    model, preprocess, tokenizer = pretrained(tiny_recipe, progress=False)
    assert cache_path(tiny_recipe).exists()
    assert len(training_history(tiny_recipe)) == 3

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although cached")

    monkeypatch.setattr(cache, "train", no_training)
    again, _, _ = pretrained(tiny_recipe, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_recipe_change_changes_the_cache_file(tiny_recipe, monkeypatch):
    before = cache_path(tiny_recipe)
    monkeypatch.setitem(RECIPES, tiny_recipe, Recipe("shapes-cnn-tiny", n_train=129, config=TINY.config))
    assert cache_path(tiny_recipe) != before


def _build_in_child(cache_dir, queue):
    import os
    os.environ["CLIPVIZ_CACHE"] = cache_dir
    from clipviz.zoo import cache

    RECIPES["tiny-test"] = TINY
    trained = []
    original = cache.train
    cache.train = lambda *a, **k: trained.append(1) or original(*a, **k)
    path = cache.build("tiny-test", progress=False)
    queue.put((str(path), len(trained)))


def test_two_processes_at_once_train_once_and_share_a_valid_file(cache):
    context = mp.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_build_in_child, args=(str(cache), queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    assert results[0][0] == results[1][0]
    assert sorted(n for _, n in results) == [0, 1]        # exactly one of them trained
    torch.load(results[0][0], weights_only=True)           # and the file is whole
    assert not list(cache.glob("*.tmp*"))


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown embedded model"):
        build("shapes-giant")
