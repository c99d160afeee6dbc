"""Two processes on gloo (loopback) against one process on the concatenated batch."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from clipviz.core.distributed import World, check_batch
from clipviz.core.loss import clip_loss
from clipviz.core.model import create_model, encode_text, load_checkpoint, normalize_images, tokenize
from clipviz.world import ShapesWorld

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(*args, nproc: int = 2, timeout: int = 240) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--master_addr=127.0.0.1", f"--master_port={free_port()}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})


def single_process_reference():
    data = ShapesWorld(seed=0).dataset("train", n=8)
    model, _, tokenizer = create_model("shapes-vit-plain", seed=0)
    images = normalize_images(model, data.image_batch(range(8), 64))
    loss = clip_loss(model.encode_image(images), encode_text(model, tokenize(tokenizer, data.captions)),
                     model.logit_scale.exp())
    loss.backward()
    return loss.item(), {n: p.grad for n, p in model.named_parameters() if p.grad is not None}


def test_two_ranks_equal_one_process_on_the_global_batch(tmp_path):
    out = tmp_path / "grads.pt"
    run = torchrun(str(HERE / "distributed_worker.py"), "grads", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    expected_loss, expected_grads = single_process_reference()
    for setting, result in torch.load(out, weights_only=True).items():
        assert result["loss"] == pytest.approx(expected_loss, rel=1e-5), setting
        assert result["grads"].keys() == expected_grads.keys()
        for name, grad in expected_grads.items():
            error = (result["grads"][name] - grad).norm() / grad.norm().clamp_min(1e-12)
            assert error <= 1e-5, f"{setting}: {name} differs by {error:.2e}"


def test_two_rank_cli_training_writes_a_checkpoint_that_loads_in_one_process(tmp_path):
    run = torchrun("-m", "clipviz", "train", "--model", "shapes-vit-plain", "--pairs", "64", "--steps", "3",
                   "--batch-size", "8", "--precision", "fp32", "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["config.json", "history.csv", "step_000003.pt"]
    two_ranks = load_checkpoint(tmp_path / "run" / "step_000003.pt")
    # the same run in this one process: same global batches, same exact gradients
    from clipviz.cli import parse_data
    from clipviz.core.train import TrainConfig, train

    one, _, _ = create_model("shapes-vit-plain", seed=0)
    initial = {k: v.clone() for k, v in one.state_dict().items()}
    train(one, parse_data("shapes", n=64), TrainConfig(steps=3, batch_size=8, precision="fp32", progress=False))
    for name, weight in one.state_dict().items():
        assert torch.allclose(two_ranks.state_dict()[name], weight, atol=1e-5), name
    assert not torch.equal(two_ranks.state_dict()["text_projection"], initial["text_projection"])


def test_ranks_with_different_data_are_refused():
    run = torchrun(str(HERE / "distributed_worker.py"), "mismatch")
    assert run.returncode != 0
    assert "the processes hold different data: [16, 17]" in run.stderr


@pytest.mark.parametrize("batch_size, message", [
    (2, "smaller than the world size"), (5, "does not split evenly"), (4, "1 pair per process")])
def test_bad_batch_sizes_are_refused(batch_size, message):
    world = World(rank=0, size=4 if batch_size != 2 else 3)
    with pytest.raises(ValueError, match=message):
        check_batch(world, batch_size, n_pairs=100)


def test_local_loss_without_gathered_gradients_is_refused():
    from clipviz.core.distributed import global_clip_loss

    with pytest.raises(ValueError, match="needs gather_with_grad"):
        global_clip_loss(torch.randn(2, 4), torch.randn(2, 4), torch.tensor(1.0), World(0, 2), True, False)


def test_two_rank_cli_training_streams_shards_split_between_the_ranks(tmp_path):
    from clipviz.data import CsvDataset, write_shards
    from test_data import SAMPLE

    spec = write_shards(CsvDataset(SAMPLE), tmp_path / "shards", per_shard=6)     # 4 shards: 2 per rank
    run = torchrun("-m", "clipviz", "train", "--model", "shapes-vit-plain", "--data", spec, "--steps", "2",
                   "--batch-size", "8", "--precision", "fp32", "--device", "cpu", "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "device cpu, precision fp32" in run.stdout
    assert (tmp_path / "run" / "step_000002.pt").exists()
