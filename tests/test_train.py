import math

import numpy as np
import pytest
import torch

from clipviz.core.distributed import TwoTowers
from clipviz.evaluation.embed import pair_features
from clipviz.core.loss import chance_loss, clip_loss
from clipviz.core.model import UsedTokenRows, create_model, encode_text, normalize_images, tokenize
from clipviz.core.train import (MAX_LOGIT_SCALE, TrainConfig, TrainingDiverged, batch_indices,
                           latest_checkpoint, make_optimizer, train, used_token_rows, warmup_cosine)
from clipviz.world import ShapesWorld

SMALL = dict(batch_size=16, steps=8, warmup_steps=2, progress=False, precision="fp32")


@pytest.fixture(scope="module")
def dataset():
    return ShapesWorld(seed=0).dataset("train", n=256)


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_same_seed_same_history_and_weights(dataset):
    runs = []
    for _ in range(2):
        model, _, _ = create_model("shapes-cnn-tiny", seed=0)
        history = train(model, dataset, TrainConfig(**SMALL))
        runs.append((history.drop(columns="seconds"), weights(model)))
    assert runs[0][0].equals(runs[1][0])
    assert all(torch.equal(runs[0][1][k], runs[1][1][k]) for k in runs[0][1])


def test_killed_and_resumed_run_ends_with_the_same_weights(dataset, tmp_path):
    config = dict(SMALL, steps=10, checkpoint_every=3)
    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    reference = train(model, dataset, TrainConfig(**config, out_dir=str(tmp_path / "a")))
    expected = weights(model)

    kill_at = int(np.random.default_rng().integers(4, 10))   # any step after a checkpoint

    def kill(row, model):
        if row["step"] == kill_at:
            raise KeyboardInterrupt

    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    with pytest.raises(KeyboardInterrupt):
        train(model, dataset, TrainConfig(**config, out_dir=str(tmp_path / "b")), callbacks=[kill])
    model, _, _ = create_model("shapes-cnn-tiny", seed=5)   # a different init: the checkpoint must win
    resumed = train(model, dataset, TrainConfig(**config, out_dir=str(tmp_path / "b")), resume=True)
    assert all(torch.equal(expected[k], model.state_dict()[k]) for k in expected)
    assert resumed.drop(columns="seconds").equals(reference.drop(columns="seconds"))
    assert latest_checkpoint(tmp_path / "b").name == "step_000010.pt"
    assert (tmp_path / "b" / "history.csv").exists()


def test_loss_starts_near_log_b_and_training_lowers_it(dataset):
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    batch = dataset.subset(n=128, seed=1)
    image_features, text_features = pair_features(model, tokenizer, batch)
    initial = clip_loss(image_features, text_features, model.logit_scale.exp().detach()).item()
    # unrelated towers: the true pairing scores like a random one
    assert initial == pytest.approx(chance_loss(image_features, text_features, model.logit_scale.exp().detach()), rel=0.02)
    # ≈ ln B plus half the logit variance, ≈ scale²·(1 - mean cosine)/embed_dim: +2 to +4 %
    # over 5 seeds in 192 dimensions (benchmarks/bench_init_loss.py); features without
    # normalisation or a wrong scale give far more
    assert math.log(128) < initial < 1.05 * math.log(128)
    history = train(model, dataset, TrainConfig(**dict(SMALL, steps=40, warmup_steps=5, lr=5e-4)))
    assert history.loss.tail(5).mean() < 0.85 * history.loss.iloc[0]


def test_logit_scale_is_clamped_to_log_100(dataset):
    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    with torch.no_grad():
        model.logit_scale.fill_(10.0)
    history = train(model, dataset, TrainConfig(**dict(SMALL, steps=1)))
    assert model.logit_scale.item() == pytest.approx(MAX_LOGIT_SCALE)
    assert history.temperature.iloc[0] == pytest.approx(0.01)


def test_no_weight_decay_on_gains_biases_and_scale():
    model, _, _ = create_model("shapes-cnn-tiny")
    no_decay, decay = make_optimizer(model, TrainConfig().for_model(model)).param_groups
    assert no_decay["weight_decay"] == 0 and decay["weight_decay"] == 0.1
    assert any(p is model.logit_scale for p in no_decay["params"])
    assert all(p.ndim >= 2 for p in decay["params"])
    assert any(p is model.ln_final.weight for p in no_decay["params"])


def test_training_the_used_token_rows_equals_adamw_on_the_whole_table(dataset):
    """Reference: plain AdamW over every parameter, the 49,408-row token table included."""
    batch = dataset.subset(n=32, seed=2)
    config = TrainConfig(lr=1e-2)
    full, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    rows_model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    tokens = tokenize(tokenizer, batch.captions)
    images = normalize_images(full, batch.image_batch(range(32), 64))
    full_optimizer = make_optimizer(full, config)
    with used_token_rows(rows_model, tokens) as rows:
        towers = TwoTowers(rows_model, encode_text, rows)
        rows_optimizer = make_optimizer(towers, config)
        for _ in range(3):
            for optimizer, loss in ((full_optimizer, clip_loss(full.encode_image(images), encode_text(full, tokens),
                                                               full.logit_scale.exp())),
                                    (rows_optimizer, clip_loss(*towers(images, tokens), rows_model.logit_scale.exp()))):
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            rows.write_back()
        assert not rows_model.token_embedding.weight.requires_grad    # frozen inside the block
    assert rows_model.token_embedding.weight.requires_grad            # and trainable again after it
    used = torch.unique(tokens)
    initial, _, _ = create_model("shapes-cnn-tiny", seed=0)
    table, rows_table = full.token_embedding.weight, rows_model.token_embedding.weight
    torch.testing.assert_close(rows_table[used], table[used], rtol=1e-5, atol=1e-6)
    unused = torch.ones(len(table), dtype=torch.bool)
    unused[used] = False
    assert torch.equal(rows_table[unused], initial.token_embedding.weight[unused])   # untouched
    assert not torch.equal(table[unused], initial.token_embedding.weight[unused])    # AdamW only decayed them
    for (name, p), q in zip(full.named_parameters(), rows_model.parameters()):
        if name != "token_embedding.weight":
            torch.testing.assert_close(q, p, rtol=1e-5, atol=1e-6, msg=name)


def test_used_token_rows_read_back_a_loaded_table():
    model, _, tokenizer = create_model("shapes-cnn-tiny", seed=0)
    tokens = tokenize(tokenizer, ["a red circle"])
    rows = UsedTokenRows(model.token_embedding, tokens)
    with torch.no_grad():
        model.token_embedding.weight.mul_(2)
    rows.read()
    assert torch.equal(rows(tokens), model.token_embedding(tokens))


def test_warmup_then_cosine():
    factor = warmup_cosine(10, 110)
    assert factor(0) == pytest.approx(0.1) and factor(9) == pytest.approx(1.0)
    assert factor(60) == pytest.approx(0.5) and factor(110) == pytest.approx(0.0, abs=1e-12)


def test_batches_cover_an_epoch_without_repeats():
    seen = np.concatenate([batch_indices(0, step, 100, 10) for step in range(10)])
    assert sorted(seen) == list(range(100))
    assert not np.array_equal(batch_indices(0, 10, 100, 10), batch_indices(0, 0, 100, 10))


def test_nan_loss_stops_with_step_lr_and_temperature(dataset, tmp_path):
    def poison(row, model):
        if row["step"] == 4:
            with torch.no_grad():
                model.text_projection.fill_(float("nan"))

    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    config = TrainConfig(**dict(SMALL, checkpoint_every=2), out_dir=str(tmp_path))
    with pytest.raises(TrainingDiverged, match=r"at step 5 \(learning rate .*, temperature .*\)"):
        train(model, dataset, config, callbacks=[poison])
    assert latest_checkpoint(tmp_path).name == "step_000004.pt"   # the last good one is kept


@pytest.mark.parametrize("changes, message", [
    (dict(batch_size=512), "larger than the dataset"),
    (dict(batch_size=1), "at least 2"),
    (dict(precision="fp8"), "precision"),
])
def test_bad_settings(dataset, changes, message):
    model, _, _ = create_model("shapes-cnn-tiny")
    with pytest.raises(ValueError, match=message):
        train(model, dataset, TrainConfig(**{**SMALL, **changes}))


def test_bf16_trains(dataset):
    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    history = train(model, dataset, TrainConfig(**dict(SMALL, precision="bf16")))
    assert np.isfinite(history.loss).all()


def test_loaded_weights_get_the_fine_tuning_recipe_unless_told_otherwise(tmp_path):
    from clipviz.core.model import save_weights
    from clipviz.core.train import FINE_TUNE, SCRATCH

    fresh, _, _ = create_model("shapes-cnn-tiny", seed=0)
    loaded, _, _ = create_model("shapes-cnn-tiny", pretrained=str(save_weights(fresh, tmp_path / "w.pt")))
    assert (TrainConfig().for_model(fresh).lr, TrainConfig().for_model(fresh).warmup_steps) == \
        (SCRATCH["lr"], SCRATCH["warmup_steps"])
    assert TrainConfig().for_model(loaded).lr == FINE_TUNE["lr"] == 1e-5
    assert TrainConfig(lr=3e-4).for_model(loaded).lr == 3e-4                      # explicit values win
    assert TrainConfig(warmup_steps=0).for_model(loaded).warmup_steps == 0


def test_a_locked_image_tower_stays_put_and_is_trainable_again_afterwards(dataset):
    model, _, _ = create_model("shapes-vit-plain", seed=0)     # no batch statistics to move
    before = weights(model)
    train(model, dataset, TrainConfig(**dict(SMALL, steps=3, lock_image=True)))
    after = weights(model)
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("visual."))
    assert not torch.equal(before["text_projection"], after["text_projection"])
    assert all(p.requires_grad for p in model.parameters())
