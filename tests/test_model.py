import math
import os
import subprocess
import sys
import time
import warnings

import open_clip
import pytest
import torch
from PIL import Image

from clipviz.data import CsvDataset
from clipviz.evaluation.embed import encode_images, encode_texts
from clipviz.core.model import (TINY_MODELS, WeightsNotFoundError, count_parameters, create_model,
                           encode_text, load_checkpoint, normalize_images, save_weights, tokenize)
from clipviz.world import ShapesWorld
from test_data import SAMPLE


@pytest.mark.parametrize("name", TINY_MODELS)
def test_tiny_models_build_and_embed(name):
    model, preprocess, tokenizer = create_model(name)
    assert model.logit_scale.item() == pytest.approx(math.log(1 / 0.07), rel=1e-6)
    images = ShapesWorld().dataset("test", n=4).image_batch(range(4), 64)
    image_features = model.encode_image(normalize_images(model, images))
    text_features = model.encode_text(tokenize(tokenizer, ["a red circle", "빨간 원"]))
    dim = open_clip.get_model_config(name)["embed_dim"]
    assert image_features.shape == (4, dim) and text_features.shape == (2, dim)
    counts = count_parameters(model)
    assert counts["image tower"] + counts["text tower"] + 1 == counts["total"]


def test_same_seed_same_initial_weights():
    a, _, _ = create_model("shapes-cnn-tiny", seed=1)
    b, _, _ = create_model("shapes-cnn-tiny", seed=1)
    c, _, _ = create_model("shapes-cnn-tiny", seed=2)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.visual.trunk.conv1[0].weight, c.visual.trunk.conv1[0].weight)


def test_trimmed_text_encoding_equals_open_clips():
    model, _, tokenizer = create_model("shapes-cnn-tiny")
    captions = ShapesWorld(language="mix").generate("train", 64)[1]["caption"].tolist()
    tokens = tokenize(tokenizer, captions)
    assert torch.allclose(encode_text(model, tokens), model.encode_text(tokens), atol=1e-5)


def test_long_captions_are_truncated_with_one_warning(monkeypatch):
    import clipviz.core.model

    monkeypatch.setattr(clipviz.core.model, "_warned_truncation", set())   # as in a fresh process
    _, _, tokenizer = create_model("shapes-cnn-tiny")
    long = " ".join(["red circle"] * 40)
    with pytest.warns(UserWarning, match="truncated"):
        tokens = tokenize(tokenizer, [long])
    assert tokens.shape == (1, 48)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tokenize(tokenizer, [long])   # said once is enough


def test_wrong_image_size_is_a_clear_error():
    model, _, _ = create_model("shapes-cnn-tiny")
    with pytest.raises(ValueError, match=r"images must be \(B, 3, 64, 64\)"):
        normalize_images(model, torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match="got \\(2, 1, 64, 64\\)"):
        normalize_images(model, torch.zeros(2, 1, 64, 64, dtype=torch.uint8))


def test_checkpoint_loads_in_open_clip_and_clipviz(tmp_path):
    model, _, _ = create_model("shapes-cnn-tiny", seed=3)
    path = save_weights(model, tmp_path / "w.pt")
    theirs = open_clip.create_model("shapes-cnn-tiny", pretrained=str(path))
    ours = load_checkpoint(path)
    for reference in (theirs, ours):
        for key, value in model.state_dict().items():
            assert torch.equal(value, reference.state_dict()[key]), key


def test_safetensors_checkpoint(tmp_path):
    from safetensors.torch import save_file

    model, _, _ = create_model("shapes-cnn-tiny", seed=4)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, tmp_path / "w.safetensors")
    loaded = load_checkpoint(tmp_path / "w.safetensors", name="shapes-cnn-tiny")
    assert torch.equal(loaded.logit_scale, model.logit_scale)


def test_open_clip_training_checkpoint_with_module_prefixes(tmp_path):
    """open_clip's trainer writes {"epoch", "name", "state_dict", "optimizer"} with
    DistributedDataParallel's `module.` prefix on every key."""
    model, _, _ = create_model("shapes-cnn-tiny", seed=5)
    path = tmp_path / "epoch_3.pt"
    torch.save({"epoch": 3, "name": "run", "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()},
                "optimizer": {}}, path)
    loaded, _, _ = create_model("shapes-cnn-tiny", pretrained=str(path))
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())
    assert loaded.clipviz_pretrained == str(path)


def test_a_file_of_another_architecture_is_one_sentence(tmp_path):
    reference = open_clip.create_model("ViT-S-32-alt")
    path = tmp_path / "open_clip_pytorch_model.bin"
    torch.save(reference.state_dict(), path)
    with pytest.raises(ValueError) as error:
        create_model("shapes-vit-plain", pretrained=str(path))
    message = str(error.value)
    assert "\n" not in message and "for 224 px images" in message and "for 64 px images" in message
    assert "shapes-vit-plain is a ViT image tower" in message and "context 77" in message


def test_a_bare_state_dict_asks_for_its_model_name(tmp_path):
    model, _, _ = create_model("shapes-cnn-tiny")
    torch.save(model.state_dict(), tmp_path / "weights.bin")
    with pytest.raises(ValueError, match=r"bare state_dict .* pass the model name"):
        load_checkpoint(tmp_path / "weights.bin")
    assert torch.equal(load_checkpoint(tmp_path / "weights.bin", name="shapes-cnn-tiny").logit_scale, model.logit_scale)


class Payload:   # any class instance needs unpickling code to load
    pass


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "model_name": "shapes-cnn-tiny", "extra": Payload()}, path)
    with pytest.raises(ValueError, match="pickled Python objects"):
        load_checkpoint(path)


def test_real_open_clip_architecture_through_the_same_path(tmp_path):
    """A full-size open_clip model (224 px, random weights we write) loads from a file
    and encodes our CSV sample through the same functions as the tiny models."""
    reference = open_clip.create_model("ViT-S-32-alt")
    path = tmp_path / "open_clip_pytorch_model.bin"
    torch.save(reference.state_dict(), path)
    model, preprocess, tokenizer = create_model("ViT-S-32-alt", pretrained=str(path))
    assert torch.equal(model.visual.conv1.weight, reference.visual.conv1.weight)
    dataset = CsvDataset(SAMPLE)
    features = encode_images(model, dataset.subset(n=4))
    dim = open_clip.get_model_config("ViT-S-32-alt")["embed_dim"]
    assert features.shape == (4, dim) and torch.allclose(features.norm(dim=1), torch.ones(4))
    assert encode_texts(model, tokenizer, ["a red circle"]).shape == (1, dim)
    assert preprocess(Image.open(dataset.meta.filepath[0])).shape == (3, 224, 224)


def test_missing_pretrained_weights_say_what_to_do(tmp_path):
    """Offline, with an empty hub cache: a clear message, quickly, no hub traceback."""
    code = ("from clipviz.core.model import create_model\n"
            "create_model('ViT-B-32', pretrained='openai')\n")
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    start = time.time()
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and time.time() - start < 60
    assert "WeightsNotFoundError" in result.stderr
    assert "pretrained='openai'" in result.stderr and "pass the checkpoint file" in result.stderr
    assert "huggingface_hub" not in result.stderr.split("WeightsNotFoundError")[0].split("Traceback")[-1]


@pytest.mark.parametrize("pretrained, message", [
    ("/no/such/file.pt", "checkpoint file not found"),
    ("laion9000", "neither a checkpoint file nor a known pretrained tag"),
])
def test_bad_pretrained_arguments(pretrained, message):
    with pytest.raises(WeightsNotFoundError, match=message):
        create_model("ViT-B-32", pretrained=pretrained)


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model 'shapes-huge'"):
        create_model("shapes-huge")


def test_token_table_shows_bpe_pieces_between_start_and_end():
    from clipviz.core.model import token_table

    _, _, tokenizer = create_model("shapes-cnn-tiny")
    table = token_table(tokenizer, "a red circle")
    assert table.token.tolist() == ["<start_of_text>", "a␣", "red␣", "circle␣", "<end_of_text>"]
    korean = token_table(tokenizer, "빨간 원")
    assert len(korean) > 4   # byte-level pieces: more tokens than words
    assert "\\x" not in "".join(korean.token) and korean.token.iloc[-2] == "원␣"
    split = [t for t in korean.token if "of 3" in t]                   # a syllable split over pieces
    assert split and all(t[0] in "빨간" for t in split)
    # the pieces of each split syllable add up to its three bytes, in order
    assert [t for t in korean.token[1:-2]] == ["빨 (bytes 1-2 of 3)", "빨 (byte 3 of 3)", "간 (bytes 1-2 of 3)",
                                                "간 (byte 3 of 3)␣"]


def test_text_mlps_in_bf16_stay_close_to_fp32():
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    tokens = tokenize(tokenizer, ["a small red circle on the left", "something blue", "왼쪽에 있는 작은 빨간 원"])
    exact, mixed = encode_text(model, tokens), encode_text(model, tokens, mlp_bf16=True)
    assert torch.nn.functional.cosine_similarity(exact, mixed).min() > 0.999
    assert not torch.equal(exact, mixed)               # the bf16 path really ran


def test_trained_token_rows_are_recorded_and_travel_with_the_checkpoint(tmp_path):
    from clipviz.core.model import from_checkpoint, trained_tokens
    from clipviz.core.train import TrainConfig, train

    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    assert trained_tokens(model).numel() == 0                                  # nothing trained yet
    data = ShapesWorld(seed=0).dataset("train", n=64)
    train(model, data, TrainConfig(steps=1, batch_size=16, progress=False, precision="fp32"))
    expected = torch.unique(tokenize(tokenizer, data.captions))
    assert torch.equal(trained_tokens(model), expected)
    loaded = from_checkpoint(save_weights(model, tmp_path / "m.pt"))[0]
    assert torch.equal(trained_tokens(loaded), expected)
    bare = tmp_path / "bare.pt"
    torch.save(model.state_dict(), bare)
    assert trained_tokens(create_model("shapes-cnn-tiny", pretrained=str(bare))[0]) is None   # unknown: all
