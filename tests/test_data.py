import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from clipviz.data import CsvDataset, FolderDataset, load_dataset
from clipviz.core.model import create_model, normalize_images
from clipviz.world import ShapesWorld

SAMPLE = Path(__file__).parents[1] / "data" / "sample" / "captions.csv"


def test_sample_csv_loads_with_labels_and_groups():
    dataset = CsvDataset(SAMPLE, label_key="label", group_key="group")
    assert len(dataset) == 24
    image, caption = dataset[0]
    assert image.shape == (3, 64, 64) and image.dtype == torch.float32 and 0 <= image.min() <= image.max() <= 1
    assert caption == pd.read_csv(SAMPLE, sep="\t")["title"][0]
    assert set(dataset.meta["group"]) <= {"light", "dark"}
    batch = dataset.image_batch([0, 1, 2], 32)
    assert batch.shape == (3, 3, 32, 32) and batch.dtype == torch.uint8


def test_csv_rows_with_the_same_image_share_an_image_id(tmp_path):
    Image.new("RGB", (40, 30), "red").save(tmp_path / "a.png")
    Image.new("RGB", (30, 30), "blue").save(tmp_path / "b.png")
    (tmp_path / "c.csv").write_text("filepath,title\na.png,a red box\nb.png,blue\na.png,something red\n")
    dataset = CsvDataset(tmp_path / "c.csv", sep=",")
    assert dataset.image_ids.tolist() == [0, 1, 0]
    # non-square images are resized and centre-cropped, as CLIP's preprocessing does
    assert dataset.image_batch([0], 16).shape == (1, 3, 16, 16)


def test_csv_missing_column_names_the_existing_ones(tmp_path):
    (tmp_path / "c.csv").write_text("path\tcaption\nx.png\thi\n")
    with pytest.raises(ValueError, match=r"no column\(s\) \['filepath', 'title'\]; it has \['path', 'caption'\]"):
        CsvDataset(tmp_path / "c.csv")


def test_csv_missing_image_names_file_and_row(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "c.csv").write_text("filepath\ttitle\na.png\tok\nnope.png\tmissing\n")
    with pytest.raises(FileNotFoundError, match=r"row 1: .*nope\.png"):
        CsvDataset(tmp_path / "c.csv")


def test_unreadable_image_names_the_file(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    (tmp_path / "c.csv").write_text("filepath\ttitle\nbad.png\ta caption\n")
    dataset = CsvDataset(tmp_path / "c.csv")
    with pytest.raises(ValueError, match=r"cannot read image .*bad\.png \(pair 0\)"):
        dataset[0]
    with pytest.raises(ValueError, match=r"cannot read image .*bad\.png \(pair 0\)"):
        dataset.image_batch([0], 16)                  # the training path says it the same way


def test_empty_caption_is_rejected(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "c.csv").write_text("filepath\ttitle\na.png\t   \n")
    with pytest.raises(ValueError, match="empty or non-string caption"):
        CsvDataset(tmp_path / "c.csv")


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "1"])
def test_non_rgb_images_are_converted(tmp_path, mode):
    Image.new(mode, (10, 10)).save(tmp_path / "x.png")
    (tmp_path / "x.txt").write_text("a caption\n")
    image, _ = FolderDataset(tmp_path)[0]
    assert image.shape == (3, 10, 10)


def test_folder_with_several_captions_per_image(tmp_path):
    for name in ("a", "b"):
        Image.new("RGB", (12, 12)).save(tmp_path / f"{name}.png")
    (tmp_path / "a.txt").write_text("first\nsecond\n\n")
    (tmp_path / "b.txt").write_text("only\n")
    dataset = load_dataset(f"folder:{tmp_path}")
    assert dataset.captions == ["first", "second", "only"]
    assert dataset.image_ids.tolist() == [0, 0, 1]


def test_folder_image_without_caption_file(tmp_path):
    Image.new("RGB", (12, 12)).save(tmp_path / "a.png")
    with pytest.raises(FileNotFoundError, match="has no caption file a.txt"):
        FolderDataset(tmp_path)


def test_subset_by_count_fraction_and_attribute():
    dataset = ShapesWorld(seed=0).dataset("train", n=600)
    assert len(dataset.subset(n=100)) == 100
    assert len(dataset.subset(fraction=0.25)) == 150
    dark = dataset.subset(background="dark", shape=["circle", "star"])
    assert set(dark.meta.background) == {"dark"} and set(dark.meta["shape"]) == {"circle", "star"}
    # the view shares the images: pair i of the view is the same picture as in the parent
    j = int(dark.meta.image_id[3])
    assert np.array_equal(dark.image_batch([3], 64)[0], dataset.image_batch([j], 64)[0])
    with pytest.raises(ValueError, match=re.escape("unknown value(s) ['hexagon'] for 'shape'")):
        dataset.subset(shape="hexagon")
    with pytest.raises(ValueError, match="unknown attribute 'flavour'"):
        dataset.subset(flavour="sweet")


def test_world_dataset_items_and_meta():
    dataset = ShapesWorld(seed=0).dataset("test", n=10)
    image, caption = dataset[4]
    assert image.shape == (3, 64, 64) and caption == dataset.meta.caption[4]
    assert {"image_id", "caption", "label", "background", "heldout"} <= set(dataset.meta.columns)


def test_bad_specs():
    with pytest.raises(ValueError, match="unknown data spec"):
        load_dataset("s3://bucket")
    with pytest.raises(FileNotFoundError):
        load_dataset("csv:/nonexistent.csv")


def test_split_keeps_the_captions_of_an_image_together(tmp_path):
    for name in "abcd":
        Image.new("RGB", (8, 8)).save(tmp_path / f"{name}.png")
        (tmp_path / f"{name}.txt").write_text("one\ntwo\n")
    first, second = FolderDataset(tmp_path).split(0.5, seed=1)
    assert len(first) == len(second) == 4
    assert set(first.meta.filepath).isdisjoint(second.meta.filepath)
    with pytest.raises(ValueError, match="0 < fraction < 1"):
        FolderDataset(tmp_path).split(1.0)


def test_training_batches_reach_the_image_tower_channels_last():
    model, _, _ = create_model("shapes-cnn-tiny")
    batch = ShapesWorld().dataset("test", n=4).image_batch(range(4), 64)
    images = normalize_images(model, batch)   # the convolutions' fast layout survives normalising
    assert images.is_contiguous(memory_format=torch.channels_last)


def test_decoded_cache_reads_each_image_once_and_again_when_edited(tmp_path, monkeypatch):
    import clipviz.data as data_module
    from clipviz.data import DecodedCache

    monkeypatch.setattr(data_module, "DECODED", DecodedCache())
    reads = []
    original = data_module.read_resized
    monkeypatch.setattr(data_module, "read_resized", lambda path, size: reads.append(path) or original(path, size))
    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("a red thing")
    dataset = FolderDataset(tmp_path)
    first = dataset.image_batch([0, 0], 16)
    again = dataset.image_batch([0], 16)
    assert len(reads) == 1 and torch.equal(first[0], again[0])
    Image.new("RGB", (40, 30), (10, 10, 200)).save(tmp_path / "a.png")
    import os
    os.utime(tmp_path / "a.png", ns=(10**18, 10**18))                     # a new modification time
    assert dataset.image_batch([0], 16)[0, 2].float().mean() > 150 and len(reads) == 2


def test_warming_decodes_every_image_once_and_training_then_reads_none(tmp_path, monkeypatch):
    import clipviz.data as data_module
    from clipviz.data import DecodedCache

    monkeypatch.setattr(data_module, "DECODED", DecodedCache())
    reads = []
    original = data_module.read_resized
    monkeypatch.setattr(data_module, "read_resized", lambda path, size: reads.append(path) or original(path, size))
    for i, colour in enumerate([(200, 10, 10), (10, 200, 10), (10, 10, 200)]):
        Image.new("RGB", (40, 30), colour).save(tmp_path / f"{i}.png")
        (tmp_path / f"{i}.txt").write_text(f"thing {i}")
    dataset = FolderDataset(tmp_path)
    assert dataset.warm(16, progress=False)
    assert sorted(reads) == sorted(str(p) for p in dataset.meta.filepath)             # each file once
    warmed = dataset.image_batch([2, 0, 1], 16)
    assert len(reads) == 3                                                            # read from memory
    monkeypatch.setattr(data_module, "DECODED", DecodedCache())
    assert torch.equal(warmed, dataset.image_batch([2, 0, 1], 16))                    # the same pixels
    monkeypatch.setattr(data_module, "DECODED", DecodedCache(max_bytes=16 * 16 * 3 * 2))
    assert not dataset.warm(16, progress=False)                                       # would not fit


def test_decoded_cache_drops_the_least_recently_used_past_its_budget():
    from clipviz.data import DecodedCache

    cache = DecodedCache(max_bytes=250)
    for key in "abc":
        cache.get(key, lambda: np.zeros(100, np.uint8))
    assert list(cache.arrays) == ["b", "c"] and cache.bytes == 200
    cache.get("b", lambda: None)                                          # a hit: now the most recent
    cache.get("d", lambda: np.zeros(100, np.uint8))
    assert list(cache.arrays) == ["b", "d"]


def test_large_jpegs_are_decoded_at_a_reduced_scale_close_to_a_full_decode(tmp_path):
    from clipviz.data import read_resized, resize_center_crop

    rng = np.random.default_rng(0)
    photo = np.kron(rng.integers(0, 255, (30, 40, 3)), np.ones((16, 16, 1))).astype(np.uint8)   # 480x640 blocks
    Image.fromarray(photo).save(tmp_path / "p.jpg", quality=92)
    fast = read_resized(tmp_path / "p.jpg", 64)
    with Image.open(tmp_path / "p.jpg") as image:
        full = resize_center_crop(np.asarray(image.convert("RGB")), 64)
    assert fast.shape == (64, 64, 3)
    assert np.abs(fast.astype(int) - full.astype(int)).mean() < 6


# --- WebDataset shards -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """The sample CSV's 24 pairs (five render styles) as three shards of 8, laid out as
    img2dataset writes them; the spec that reads them back."""
    from clipviz.data import write_shards

    return write_shards(CsvDataset(SAMPLE), tmp_path_factory.mktemp("shards"), per_shard=8)


def test_shards_read_back_the_pairs_of_the_csv(shards):
    from clipviz.data import ShardDataset

    csv, shard = CsvDataset(SAMPLE), load_dataset(shards)
    assert shards.endswith("/{00000..00002}.tar") and isinstance(shard, ShardDataset)
    assert shard.captions == csv.captions
    for column in ("label", "group", "style"):
        assert shard.meta[column].tolist() == csv.meta[column].tolist()
    for size in (64, 40):
        assert torch.equal(shard.image_batch(range(24), size), csv.image_batch(range(24), size))
    assert torch.equal(shard[5][0], csv[5][0]) and shard[5][1] == csv[5][1]
    view = shard.subset(style="photo")            # views keep reading the right images
    assert torch.equal(view.image_batch(range(len(view)), 64), csv.subset(style="photo").image_batch(range(len(view)), 64))


def test_shard_specs_expand_braces_and_name_what_is_missing(shards):
    from clipviz.data import shard_urls

    folder = shards.partition(":")[2].rsplit("/", 1)[0]
    assert len(shard_urls(f"{folder}/{{00000..00002}}.tar")) == 3
    assert len(shard_urls(f"{folder}/00000.tar::{folder}/00002.tar")) == 2      # open_clip's "::"
    with pytest.raises(FileNotFoundError, match=r"1 of 4 shard\(s\) not found, e.g. .*00003.tar"):
        load_dataset(f"wds:{folder}/{{00000..00003}}.tar")
    with pytest.raises(ValueError, match="wds:SHARDS"):
        load_dataset("tar:/data")


def test_only_the_first_max_pairs_are_read_into_memory(shards):
    with pytest.warns(UserWarning, match="the first 10 were read"):
        data = load_dataset(shards, max_pairs=10)
    assert data.captions == CsvDataset(SAMPLE).captions[:10]


def epoch_pairs(batches, count: int, tokenizer) -> dict:
    """{image bytes: caption tokens} over `count` batches, checking each caption's tokens."""
    out = {}
    for _ in range(count):
        images, tokens = next(batches)
        assert images.dtype == torch.uint8 and images.shape[1:] == (3, 64, 64) and tokens.shape[0] == len(images)
        out.update({image.numpy().tobytes(): row for image, row in zip(images, tokens)})
    return out


def reference_pairs(tokenizer) -> dict:
    csv = CsvDataset(SAMPLE)
    return {image.numpy().tobytes(): tokens for image, tokens in zip(csv.image_batch(range(24), 64),
                                                                    tokenizer(csv.captions))}


def same_pairs(streamed: dict, expected: dict) -> bool:
    """Same images, each with its own caption's tokens (streamed ones cut after the batch's longest)."""
    return streamed.keys() == expected.keys() and all(
        torch.equal(row, expected[k][:len(row)]) and not expected[k][len(row):].any() for k, row in streamed.items())


@pytest.mark.filterwarnings("ignore:This DataLoader will create")       # 3 workers on a 2-core machine
def test_a_stream_gives_every_pair_once_per_epoch_in_whole_batches(shards):
    import open_clip

    tokenizer = open_clip.get_tokenizer("shapes-cnn-tiny")
    stream = load_dataset(shards, stream=True)
    assert same_pairs(epoch_pairs(stream.batches(8, 64, tokenizer, seed=0), 3, tokenizer), reference_pairs(tokenizer))
    first = [next(stream.batches(8, 64, tokenizer, seed=1))[0] for _ in range(2)]
    assert torch.equal(*first)                                   # a seed gives the same order
    in_workers = stream.batches(8, 64, tokenizer, seed=0, workers=3)   # one shard per DataLoader worker
    assert same_pairs(epoch_pairs(in_workers, 3, tokenizer), reference_pairs(tokenizer))
    in_workers.close()


def test_a_stream_is_split_across_ranks_as_open_clip_splits_it(shards, monkeypatch):
    import open_clip

    tokenizer = open_clip.get_tokenizer("shapes-cnn-tiny")
    stream = load_dataset(shards, stream=True)
    monkeypatch.setenv("WORLD_SIZE", "2")
    seen = []
    for rank, batches in ((0, 2), (1, 1)):            # 3 shards over 2 ranks: 2 + 1 per epoch
        monkeypatch.setenv("RANK", str(rank))
        seen.append(epoch_pairs(stream.batches(8, 64, tokenizer, seed=0, world_size=2), batches, tokenizer))
    assert seen[0].keys().isdisjoint(seen[1].keys())
    assert same_pairs({**seen[0], **seen[1]}, reference_pairs(tokenizer))
    with pytest.raises(ValueError, match="3 shard\\(s\\) for 4 processes"):
        stream.batches(8, 64, tokenizer, world_size=4)


def test_training_streams_shards(shards):
    from clipviz.core.train import TrainConfig, train

    model, _, _ = create_model("shapes-cnn-tiny", seed=0)
    stream = load_dataset(shards, stream=True)
    history = train(model, stream, TrainConfig(steps=4, batch_size=8, warmup_steps=1, progress=False,
                                               precision="fp32"))
    assert len(history) == 4 and history.loss.notna().all()
    with pytest.raises(ValueError, match="hard_negatives needs every caption"):
        train(model, stream, TrainConfig(steps=1, batch_size=8, hard_negatives=True, progress=False))
