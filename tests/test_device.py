"""The device: "auto" as users expect it, torchrun's rank → GPU mapping, and the device
reaching every tensor the model sees (checked on torch's shape-only "meta" device, which
refuses any CPU tensor mixed in, so no GPU is needed)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import clipviz
from clipviz.cli import main
from clipviz.core import device as device_module
from clipviz.core.device import loader_workers, rank_device, resolve_device
from clipviz.core.model import create_model, model_input, resize_on_device
from clipviz.data import CsvDataset, loaded, resize_center_crop
from clipviz.evaluation.embed import encode_images, encode_texts
from test_data import SAMPLE


@pytest.fixture
def two_fake_gpus(monkeypatch):
    """torch believes there are two CUDA GPUs (nothing touches them: only names are made)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)


@pytest.fixture
def no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "mps_available", lambda: False)


def torchrun_env(monkeypatch, local_rank: int, world_size: int = 2):
    monkeypatch.setenv("WORLD_SIZE", str(world_size))
    monkeypatch.setenv("RANK", str(local_rank))
    monkeypatch.setenv("LOCAL_RANK", str(local_rank))


def test_auto_is_the_cpu_without_an_accelerator(no_accelerator):
    assert resolve_device("auto") == resolve_device(None) == torch.device("cpu")


def test_auto_is_the_gpu_when_there_is_one(two_fake_gpus):
    assert resolve_device("auto") == resolve_device("cuda") == torch.device("cuda", 0)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match=r"CUDA devices 0\.\.1"):
        resolve_device("cuda:2")


def test_auto_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "mps_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")


def test_under_torchrun_auto_and_cuda_are_the_ranks_own_gpu(two_fake_gpus, monkeypatch):
    torchrun_env(monkeypatch, local_rank=1)
    assert resolve_device("auto") == resolve_device("cuda") == torch.device("cuda", 1)


def test_more_local_ranks_than_gpus_is_one_clear_error(two_fake_gpus, monkeypatch):
    torchrun_env(monkeypatch, local_rank=2, world_size=4)
    with pytest.raises(ValueError, match=r"LOCAL_RANK 2 but this node has only 2 visible GPU\(s\)"):
        resolve_device("auto")


def test_rank_device_mapping():
    assert [rank_device(r, cuda_count=4) for r in range(4)] == [torch.device("cuda", r) for r in range(4)]
    with pytest.raises(ValueError, match="--nproc_per_node=1"):
        rank_device(1, cuda_count=1)
    with pytest.raises(ValueError, match="only 0 visible GPU"):
        rank_device(0, cuda_count=0)


def test_a_process_on_another_ranks_gpu_is_refused(two_fake_gpus, monkeypatch):
    from clipviz.core.distributed import init_world

    torchrun_env(monkeypatch, local_rank=1)
    with pytest.raises(ValueError, match="LOCAL_RANK 1 has its model on cuda:0"):
        init_world(torch.device("cuda", 0))


def test_bad_device_names_and_missing_devices_are_one_sentence(no_accelerator):
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    with pytest.raises(ValueError, match="torch sees no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="no Apple MPS device"):
        resolve_device("mps")


def test_no_visible_gpu_means_the_cpu_everywhere():
    code = ("import clipviz, torch; from clipviz.core.device import resolve_device; "
            "m = clipviz.create_model('shapes-cnn-tiny')[0]; "
            "print(resolve_device('auto'), next(m.parameters()).device)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-2:] == ["cpu", "cpu"]


def test_workers_only_where_a_gpu_waits_for_decoded_files(monkeypatch):
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert loader_workers(torch.device("cuda", 0), reads_files=True) == 8
    assert loader_workers(torch.device("cuda", 0), reads_files=False) == 0   # images in memory
    assert loader_workers(torch.device("cpu"), reads_files=True) == 0        # the CPU path: one thread
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")
    assert loader_workers(torch.device("cuda", 0), reads_files=True) == 1


def test_cli_device_flag_is_printed_and_a_missing_gpu_is_one_line(tmp_path, capsys, no_accelerator):
    args = ["train", "--data", f"csv:{SAMPLE}", "--steps", "1", "--batch-size", "8", "--precision", "fp32",
            "--out", str(tmp_path)]
    assert main(args + ["--device", "cpu"]) == 0
    assert "device cpu, precision fp32" in capsys.readouterr().out
    assert main(args + ["--device", "cuda"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: device 'cuda' asked for, but torch sees no CUDA GPU") and "\n" not in error
    for command in (["eval", "--pretrained", "shapes-cnn-tiny"], ["pretrained", "shapes-cnn-tiny"], ["demo"]):
        assert main(command + ["--device", "tpu"]) == 2, command
        assert "unknown device 'tpu'" in capsys.readouterr().err


# --- the device reaches every tensor: meta tensors refuse to meet CPU tensors -------------

def seen_by_the_towers(model) -> list:
    """Records (tower, device, shape) of every input the image tower and the text transformer get."""
    seen = []
    model.visual.register_forward_pre_hook(lambda m, args: seen.append(("image", args[0].device, args[0].shape)))
    model.transformer.register_forward_pre_hook(lambda m, args: seen.append(("text", args[0].device, args[0].shape)))
    return seen


def test_training_runs_both_towers_and_the_backward_pass_on_the_models_device():
    data = clipviz.ShapesWorld(seed=0, image_size=32).dataset("train", n=32)     # 32 px in memory: resized there
    model, _, _ = create_model("shapes-cnn-tiny", device="meta")
    seen = seen_by_the_towers(model)
    # the first value read back is the loss, after the backward pass: meta tensors have none
    with pytest.raises(RuntimeError, match="item.*meta"):
        clipviz.train(model, data, clipviz.TrainConfig(steps=2, batch_size=8, progress=False))
    assert [(tower, device.type) for tower, device, _ in seen] == [("image", "meta"), ("text", "meta")]
    assert tuple(seen[0][2]) == (8, 3, 64, 64)


@pytest.mark.parametrize("encode", ["images", "texts"])
def test_encoding_runs_on_the_models_device(encode):
    data = clipviz.ShapesWorld(seed=0).dataset("test", n=8)
    model, _, tokenizer = create_model("shapes-cnn-tiny", device="meta")
    seen = seen_by_the_towers(model)
    with pytest.raises(NotImplementedError, match="meta tensor"):     # the features' copy back to the CPU
        encode_images(model, data) if encode == "images" else encode_texts(model, tokenizer, data.captions)
    assert {device.type for _, device, _ in seen} == {"meta"} and len(seen) == 1


def test_train_moves_a_model_to_the_device_it_is_given():
    data = clipviz.ShapesWorld(seed=0).dataset("train", n=32)
    model, _, _ = create_model("shapes-cnn-tiny", device="cpu")
    with pytest.raises(RuntimeError, match="item.*meta"):
        clipviz.train(model, data, clipviz.TrainConfig(steps=1, batch_size=8, progress=False), device="meta")
    assert next(model.parameters()).device.type == "meta"


# --- the accelerator's input path against the CPU's -----------------------------------------

def test_resizing_on_the_device_matches_pil():
    data = clipviz.ShapesWorld(seed=0).dataset("train", n=16)
    on_device = resize_on_device(data.image_batch(range(16), 64), 224)
    with_pil = data.image_batch(range(16), 224).float()
    difference = (on_device - with_pil).abs()
    assert difference.mean() < 0.5 and (difference > 2).float().mean() < 1e-3     # grey levels of 255
    wide = np.ascontiguousarray(data.images[0][:40])                               # 40 x 64: centre crop
    reference = torch.from_numpy(resize_center_crop(wide, 32).copy()).permute(2, 0, 1).float()
    assert (resize_on_device(torch.from_numpy(wide).permute(2, 0, 1)[None], 32)[0] - reference).abs().max() <= 2


def test_model_input_on_an_accelerator_resizes_and_normalises_there():
    model, _, _ = create_model("shapes-cnn-tiny", device="cpu")
    images = clipviz.ShapesWorld(seed=0, image_size=32).dataset("train", n=4).image_batch(range(4), 32)
    out = model_input(model, images, torch.device("meta"))
    assert out.device.type == "meta" and tuple(out.shape) == (4, 3, 64, 64) and out.dtype == torch.float32
    with pytest.raises(ValueError, match=r"must be \(B, 3, 64, 64\)"):       # the CPU path: PIL resizes first
        model_input(model, images, torch.device("cpu"))


def test_reading_in_worker_processes_gives_the_batches_of_the_reading_thread():
    data = CsvDataset(SAMPLE)
    batches = [np.arange(k, k + 6) for k in range(0, 24, 6)]
    read = lambda rows: (data.image_batch(rows, 64), rows)      # noqa: E731  (a closure: workers fork)
    in_thread, in_workers = list(loaded(read, batches)), list(loaded(read, batches, workers=2))
    assert len(in_thread) == len(in_workers) == 4
    for (a, rows_a), (b, rows_b) in zip(in_thread, in_workers):
        assert torch.equal(a, b) and torch.equal(rows_a, rows_b)


def test_small_cpu_batches_run_in_fp32_where_bf16_would_be_slower():
    """bf16 autocast pays on a CPU from CPU_BF16_MIN_BATCH images up; a smaller batch asked for
    in bf16 gives exactly the fp32 features, a batch that size or more differs in low bits."""
    from clipviz.core.device import CPU_BF16_MIN_BATCH, bf16_pays

    cpu = torch.device("cpu")
    assert not bf16_pays(cpu, CPU_BF16_MIN_BATCH - 1) and bf16_pays(cpu, CPU_BF16_MIN_BATCH)
    assert bf16_pays(torch.device("meta"), 1)
    model, _, _ = create_model("shapes-cnn-tiny", seed=0, device="cpu")
    world = clipviz.ShapesWorld()
    small, large = world.dataset("test", n=8, seed=1), world.dataset("test", n=CPU_BF16_MIN_BATCH, seed=1)
    assert torch.equal(encode_images(model, small, precision="bf16"), encode_images(model, small, precision="fp32"))
    assert not torch.equal(encode_images(model, large, precision="bf16", batch_size=CPU_BF16_MIN_BATCH),
                           encode_images(model, large, precision="fp32", batch_size=CPU_BF16_MIN_BATCH))
