"""Image–caption datasets: one base class, four sources (ShapesWorld, CSV, folder, WebDataset shards).

Every dataset is a list of (image, caption) *pairs*; several pairs may share an image
(an image with several captions, as retrieval benchmarks have). `meta` is a pandas
DataFrame with one row per pair and at least the columns `image_id` and `caption`.

Two ways to read images:
- `dataset[i]` → (image, caption), the torch convention; the image is
  `transform(PIL image)` when a transform is set, else a float tensor (3, H, W) in [0, 1].
- `dataset.image_batch(pair_indices, size)` → uint8 tensor (B, 3, size, size), the fast
  path the trainer and encoders use: no per-sample PIL work for in-memory images.

WebDataset shards (tar files of `KEY.jpg` + `KEY.txt` [+ `KEY.json`], img2dataset's output and
open_clip's `--train-data`) come two ways: `ShardStream` streams them for training, split
across torchrun ranks and DataLoader workers as open_clip does; `ShardDataset` reads the
first pairs of them into memory for what needs a finite table (evaluation, the notebooks).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import os
import random
import threading
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch.utils.data import Dataset
from tqdm.auto import tqdm

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def _check_captions(captions: pd.Series, where: pd.Series) -> None:
    bad = [i for i, c in enumerate(captions) if not isinstance(c, str) or not c.strip()]
    if bad:
        first = ", ".join(f"{where.iloc[i]} ({captions.iloc[i]!r})" for i in bad[:3])
        raise ValueError(f"{len(bad)} empty or non-string caption(s), e.g. {first}")


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8; grey, RGBA and palette images are converted, not rejected."""
    return np.asarray(image.convert("RGB"))


def resize_center_crop(array: np.ndarray, size: int) -> np.ndarray:
    """Shortest side to `size` (bicubic), then a centred square crop — CLIP's recipe."""
    h, w = array.shape[:2]
    if h == w == size:
        return array
    scale = size / min(h, w)
    image = Image.fromarray(array).resize((max(size, round(w * scale)), max(size, round(h * scale))),
                                          Image.BICUBIC)
    left, top = (image.width - size) // 2, (image.height - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)))


class PairDataset(Dataset):
    """Base class: (image, caption) pairs described by `meta`; subclasses load images."""

    reads_files = False    # True where reading an image means decoding a file (worth worker processes)

    def __init__(self, meta: pd.DataFrame, transform=None):
        if len(meta) == 0:
            raise ValueError("the dataset is empty")
        self.meta = meta.reset_index(drop=True)
        self.transform = transform

    # subclasses implement: image id → (H, W, 3) uint8
    def load_array(self, image_id: int) -> np.ndarray:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def captions(self) -> list[str]:
        return self.meta["caption"].tolist()

    @property
    def image_ids(self) -> np.ndarray:
        """(P,) image id of each pair; pairs with equal ids show the same image."""
        return self.meta["image_id"].to_numpy()

    def __getitem__(self, index: int):
        array = self.load_array(int(self.meta.at[index, "image_id"]))
        if self.transform is not None:
            image = self.transform(Image.fromarray(array))
        else:
            image = torch.from_numpy(array.copy()).permute(2, 0, 1).float() / 255
        return image, self.meta.at[index, "caption"]

    def image_batch(self, indices, size: int) -> torch.Tensor:
        """uint8 (B, 3, size, size) for the pairs at `indices`, resized and centre-cropped."""
        ids = self.image_ids[np.asarray(indices)]
        arrays = np.stack([resize_center_crop(self.load_array(int(i)), size) for i in ids])
        # a view, not a copy: its channels-last strides are the layout oneDNN's convolutions
        # run fastest in (image tower forward+backward ~1.45x faster than contiguous NCHW)
        return torch.from_numpy(arrays).permute(0, 3, 1, 2)

    def warm(self, size: int, progress: bool = True) -> bool:
        """Decode this dataset's images ahead of a training run that reads them several times;
        images held in memory have nothing to decode (False). See `FileDataset.warm`."""
        return False

    @property
    def stored_size(self) -> int | None:
        """The side of the square images this dataset holds in memory, where it holds them so
        (then `image_batch` at this size is a copy, and a GPU resizes faster than PIL);
        None for images decoded from files, which come in any size."""
        return None

    def subset(self, n: int | None = None, fraction: float | None = None, seed: int = 0,
               **filters) -> "PairDataset":
        """A view on some pairs, sharing the images.

        Args:
            n / fraction: keep this many (or this share) of the pairs, chosen at random
                with `seed` after filtering; neither keeps all.
            **filters: column=value or column=[values], e.g. `background="dark"`.
        Returns:
            A dataset of the same class whose `meta` holds the chosen rows.
        """
        keep = np.ones(len(self.meta), bool)
        for column, wanted in filters.items():
            if column not in self.meta.columns:
                raise ValueError(f"unknown attribute {column!r}; known: {list(self.meta.columns)}")
            wanted = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            known = set(self.meta[column].dropna().unique())
            unknown = [w for w in wanted if w not in known]
            if unknown:
                raise ValueError(f"unknown value(s) {unknown} for {column!r}; "
                                 f"values present: {sorted(known, key=str)}")
            keep &= self.meta[column].isin(wanted).to_numpy()
        rows = np.flatnonzero(keep)
        if fraction is not None:
            if not 0 < fraction <= 1:
                raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
            n = max(1, round(fraction * len(rows)))
        if n is not None:
            if n > len(rows):
                raise ValueError(f"asked for n={n} pairs but only {len(rows)} match")
            rows = np.sort(np.random.default_rng(seed).choice(rows, size=n, replace=False))
        if len(rows) == 0:
            raise ValueError(f"no pairs match the filters {filters}")
        return self.select(rows)

    def split(self, fraction: float = 0.5, seed: int = 0) -> tuple["PairDataset", "PairDataset"]:
        """Two disjoint views by image (captions of one image stay together): `fraction` of
        the images in the first, the rest in the second."""
        images = np.unique(self.image_ids)
        if len(images) < 2 or not 0 < fraction < 1:
            raise ValueError(f"need at least 2 images and 0 < fraction < 1 (got {len(images)}, {fraction})")
        first = np.random.default_rng(seed).permutation(images)[:max(1, round(fraction * len(images)))]
        in_first = np.isin(self.image_ids, first)
        return self.select(np.flatnonzero(in_first)), self.select(np.flatnonzero(~in_first))

    def select(self, rows) -> "PairDataset":
        """A dataset of the same class over `rows` of meta, sharing the images."""
        view = copy.copy(self)
        view.meta = self.meta.iloc[rows].reset_index(drop=True)
        return view


class ArrayDataset(PairDataset):
    """Images held in memory as one array (N, H, W, 3) uint8, indexed by `meta.image_id`."""

    def __init__(self, images: np.ndarray, meta: pd.DataFrame, transform=None):
        super().__init__(meta, transform=transform)
        self.images = images

    def load_array(self, image_id: int) -> np.ndarray:
        return self.images[image_id]

    @property
    def stored_size(self) -> int | None:
        return self.images.shape[1] if self.images.shape[1] == self.images.shape[2] else None

    def image_batch(self, indices, size: int) -> torch.Tensor:
        if size != self.stored_size:
            return super().image_batch(indices, size)
        ids = self.image_ids[np.asarray(indices)]
        return torch.from_numpy(self.images[ids]).permute(0, 3, 1, 2)  # (B, 3, H, W) uint8


class DecodedCache:
    """Images decoded and resized once, kept by (path, modification time, size): after the
    first epoch a folder of photos trains as fast as images in memory. Past `max_bytes` the
    least recently used go first; an edited file has a new time and is read again. Safe to
    use from the reading thread of `prefetched` and the main thread at once."""

    def __init__(self, max_bytes: int = 2 << 30):
        self.max_bytes, self.bytes, self.arrays = max_bytes, 0, OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, load) -> np.ndarray:
        """The array stored under `key`, or `load()`'s (called outside the lock), stored."""
        with self._lock:
            if key in self.arrays:
                self.arrays.move_to_end(key)
                return self.arrays[key]
        array = load()
        with self._lock:
            if key not in self.arrays:
                self.arrays[key] = array
                self.bytes += array.nbytes
            while self.bytes > self.max_bytes and len(self.arrays) > 1:
                self.bytes -= self.arrays.popitem(last=False)[1].nbytes
        return array


DECODED = DecodedCache()


def prefetched(read, keys):
    """Yield read(key) for each key in order, reading the next one in a second thread while
    the caller works on this one: a training step or an encoding batch overlaps the decoding
    of the next batch's images (PIL releases the GIL while it decodes)."""
    keys = list(keys)
    with ThreadPoolExecutor(1) as reader:
        upcoming = reader.submit(read, keys[0]) if keys else None
        for k in range(len(keys)):
            batch = upcoming.result()
            if k + 1 < len(keys):
                upcoming = reader.submit(read, keys[k + 1])
            yield batch


def pinned(batch):
    """`batch` (a tensor, or a tuple/list holding some) with its tensors in pinned memory, from
    which a copy to the GPU does not wait for the GPU (`.to(device, non_blocking=True)`)."""
    if isinstance(batch, torch.Tensor):
        return batch.pin_memory()
    if isinstance(batch, (tuple, list)):
        return type(batch)(pinned(b) for b in batch)
    return batch


class _Keyed(Dataset):
    """read(keys[k]) as the k-th item of a map-style dataset, for DataLoader workers."""

    def __init__(self, read, keys):
        self.read, self.keys = read, keys

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, k: int):
        return self.read(self.keys[k])


def _fork_context():
    """Workers started by fork: they share the parent's memory (datasets, decoded images)
    instead of receiving a pickled copy, and readers may be closures."""
    import multiprocessing

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def loaded(read, keys, workers: int = 0, pin: bool = False):
    """Yield read(key) for each key in order, read ahead of the caller.

    Args:
        read: key → a batch (a tensor, or a tuple holding tensors and index arrays).
        keys: what to read, in order.
        workers: 0 reads in one background thread (`prefetched`: the CPU path, where the
            step itself uses every core); N > 0 reads in N DataLoader worker processes (on a
            GPU, decoding and resizing files must keep pace with fast steps, as open_clip's
            workers do). Arrays come back as tensors either way.
        pin: put each batch in pinned memory (for a GPU: non-blocking host→device copies),
            in the reading thread or the DataLoader's pinning thread, off the critical path.
    """
    keys = list(keys)
    if workers == 0 or len(keys) < 2:
        convert = (lambda b: pinned(_as_tensors(b))) if pin else _as_tensors
        yield from prefetched(lambda key: convert(read(key)), keys)
        return
    loader = torch.utils.data.DataLoader(_Keyed(read, keys), batch_size=None, num_workers=min(workers, len(keys)),
                                         pin_memory=pin, multiprocessing_context=_fork_context())
    yield from loader


def _as_tensors(batch):
    """numpy arrays in a batch as tensors, as a DataLoader's collation returns them."""
    if isinstance(batch, np.ndarray):
        return torch.from_numpy(batch)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_as_tensors(b) for b in batch)
    return batch


def read_resized(path, size: int) -> np.ndarray:
    """(size, size, 3) uint8 of an image file (a path or a file object): CLIP's resize and
    centre crop (`resize_center_crop`). A JPEG at least twice that size is decoded at a reduced scale
    first (libjpeg's DCT scaling, the sides kept >= size): for a 640x480 photo at 64 px
    several times faster than decoding it whole."""
    with Image.open(path) as image:
        if image.format == "JPEG" and min(image.size) >= 2 * size:
            image.draft("RGB", (size, size))
        return resize_center_crop(to_rgb_array(image), size)


class FileDataset(PairDataset):
    """Images on disk, one row of `meta` per (image, caption) pair; `meta.filepath`.
    `image_batch` reads each image once per size (`DECODED`)."""

    reads_files = True

    def load_array(self, image_id: int) -> np.ndarray:
        with self._reading(image_id):
            with Image.open(self._source(image_id)) as image:
                return to_rgb_array(image)

    def _source(self, image_id: int):
        """What PIL opens for an image: its path (here) or a file object."""
        return self._paths[image_id]

    def _cache_key(self, image_id: int) -> tuple:
        """The image's key in `DECODED`: path and modification time (an edited file is read again)."""
        path = self._paths[image_id]
        return path, os.stat(path).st_mtime_ns

    def _name(self, image_id: int) -> str:
        return str(self._paths[image_id])

    def image_batch(self, indices, size: int) -> torch.Tensor:
        ids = self.image_ids[np.asarray(indices)]
        return torch.from_numpy(np.stack([self._resized(int(i), size) for i in ids])).permute(0, 3, 1, 2)

    def warm(self, size: int, progress: bool = True) -> bool:
        """Decode every image of this dataset into `DECODED` at `size`, in one thread per
        core, before training reads them: a training run that sees each image several
        times then reads memory from its first step, and no decoding competes with the
        training step's threads for the cores. Skipped (False) when the decoded images
        would not fit the cache."""
        ids = np.unique(self.image_ids)
        if len(ids) * size * size * 3 > DECODED.max_bytes:
            return False
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:      # PIL decodes without the GIL
            done = pool.map(lambda i: self._resized(int(i), size), ids)
            for _ in tqdm(done, total=len(ids), desc="decoding images", disable=not progress, mininterval=0.5):
                pass
        return True

    def _resized(self, image_id: int, size: int) -> np.ndarray:
        with self._reading(image_id):
            return DECODED.get((*self._cache_key(image_id), size), lambda: read_resized(self._source(image_id), size))

    @contextmanager
    def _reading(self, image_id: int):
        """Turns a failure to read an image into one sentence naming the file and its pair."""
        try:
            yield
        except (OSError, ValueError) as error:
            row = int(np.flatnonzero(self.image_ids == image_id)[0]) if image_id in self.image_ids else "?"
            raise ValueError(f"cannot read image {self._name(image_id)} (pair {row}): {error}") from None

    def _index_images(self) -> None:
        codes, uniques = pd.factorize(self.meta["filepath"])
        self.meta.insert(0, "image_id", codes)
        self._paths = list(uniques)


class CsvDataset(FileDataset):
    """open_clip's CSV convention: one (image path, caption) pair per row.

    Args:
        path: the CSV file; relative image paths are relative to its folder.
        img_key / caption_key: column names (open_clip: "filepath", "title").
        sep: separator (open_clip's default is a tab).
        label_key: optional column with each image's true class, copied to meta.label.
        group_key: optional column with a group attribute (for audits), meta.group.
        Every other column is kept in `meta` under its own name.
    """

    def __init__(self, path, img_key: str = "filepath", caption_key: str = "title",
                 sep: str = "\t", label_key: str | None = None, group_key: str | None = None,
                 transform=None):
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"CSV file not found: {path}")
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
        wanted = [k for k in (img_key, caption_key, label_key, group_key) if k]
        missing = [k for k in wanted if k not in table.columns]
        if missing:
            raise ValueError(f"{path} has no column(s) {missing}; it has {list(table.columns)} "
                             f"(separator {sep!r}: pass sep=',' for a comma-separated file)")
        files = [(path.parent / p) if not Path(p).is_absolute() else Path(p) for p in table[img_key]]
        absent = [(row, f) for row, f in enumerate(files) if not f.is_file()]
        if absent:
            listing = ", ".join(f"row {r}: {f}" for r, f in absent[:3])
            raise FileNotFoundError(f"{len(absent)} image file(s) listed in {path} are missing, e.g. {listing}")
        meta = pd.DataFrame({"filepath": [str(f) for f in files], "caption": table[caption_key]})
        _check_captions(meta["caption"], "row " + pd.Series(range(len(meta))).astype(str))
        for column in table.columns.drop([img_key, caption_key]):   # extra columns travel along
            meta[column] = table[column]
        if label_key:
            meta["label"] = table[label_key]
        if group_key:
            meta["group"] = table[group_key]
        super().__init__(meta, transform=transform)
        self._index_images()


class FolderDataset(FileDataset):
    """A folder of images, each with a same-stem `.txt` file holding one caption per line."""

    def __init__(self, root, transform=None):
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"image folder not found: {root}")
        images = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {root}")
        rows = []
        for image in images:
            caption_file = image.with_suffix(".txt")
            if not caption_file.is_file():
                raise FileNotFoundError(f"image {image} has no caption file {caption_file.name}")
            lines = [line.strip() for line in caption_file.read_text(encoding="utf-8").splitlines()]
            lines = [line for line in lines if line]
            if not lines:
                raise ValueError(f"caption file {caption_file} is empty")
            rows += [(str(image), line) for line in lines]
        meta = pd.DataFrame(rows, columns=["filepath", "caption"])
        super().__init__(meta, transform=transform)
        self._index_images()


IMAGE_KEYS = ("jpg", "jpeg", "png", "webp")     # the image entries of a sample, as open_clip looks for them
CAPTION_KEY = "txt"


def shard_urls(spec: str) -> list[str]:
    """The shards a spec names: brace expansion ("/data/{00000..00099}.tar"), several specs
    joined by "::" (open_clip's convention). Local files must exist; URLs and "pipe:"
    commands are handed to webdataset as they are."""
    import braceexpand

    urls = [url for part in spec.split("::") for url in braceexpand.braceexpand(part.strip()) if url]
    if not urls:
        raise ValueError(f"no shards in {spec!r}: give tar files, e.g. wds:/data/shards/{{00000..00099}}.tar")
    local = [u for u in urls if "://" not in u and not u.startswith("pipe:")]
    missing = [u for u in local if not Path(u).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} of {len(urls)} shard(s) not found, e.g. {missing[0]}")
    return urls


def _samples(urls):
    """Raw samples (dicts of bytes by extension, with __key__ and __url__) of the shards, in order."""
    import webdataset as wds

    return wds.DataPipeline(wds.SimpleShardList(urls), wds.tarfile_to_samples())


def _image_bytes(sample: dict) -> bytes | None:
    return next((sample[k] for k in IMAGE_KEYS if k in sample), None)


class ShardDataset(FileDataset):
    """The first pairs of WebDataset shards, held in memory as their encoded bytes.

    Evaluation and the notebooks need a finite, indexable table (retrieval ranks every
    image against every caption; the notebooks subset and split by image), which a stream
    is not; so these pairs are read once, in shard order, up to `max_pairs`, keeping each
    image's compressed bytes (a JPEG photo is ~20× smaller than its pixels) and decoding it
    like a file when read (`DECODED` keeps it decoded). Training streams the shards instead
    (`ShardStream`), with no limit.

    Args:
        spec: the shards, e.g. "/data/shards/{00000..00099}.tar" (`shard_urls`).
        max_pairs: read at most this many pairs (a warning says when the shards hold more).
        transform: as for every PairDataset.
    meta: image_id, caption, key (the sample's key), shard, and the flat fields of each
    sample's .json (img2dataset's url, width, ...; label / group / style columns written by
    `write_shards`).
    """

    def __init__(self, spec: str, max_pairs: int = 10_000, transform=None):
        urls = shard_urls(spec)
        rows, self._bytes = [], []
        for sample in _samples(urls):
            image, caption = _image_bytes(sample), sample.get(CAPTION_KEY)
            if image is None or caption is None:       # as open_clip: samples without either are skipped
                continue
            if len(rows) == max_pairs:
                warnings.warn(f"{spec} holds more than {max_pairs} pairs: the first {max_pairs} were read "
                              f"(raise the limit: max_pairs=, or --n on the command line)", stacklevel=2)
                break
            extra = json.loads(sample["json"]) if "json" in sample else {}
            fields = {k: v for k, v in extra.items() if isinstance(v, (str, int, float, bool)) and k not in
                      ("image_id", "caption", "key", "shard")}
            rows.append({"caption": caption.decode("utf-8").strip(), "key": sample["__key__"],
                         "shard": sample["__url__"], **fields})
            self._bytes.append(image)
        if not rows:
            raise ValueError(f"no (image, caption) pairs in {spec}: samples need an image ({', '.join(IMAGE_KEYS)}) "
                             f"and a .{CAPTION_KEY} caption")
        meta = pd.DataFrame(rows)
        _check_captions(meta["caption"], "sample " + meta["key"])
        meta.insert(0, "image_id", np.arange(len(meta)))
        self._origins = list(zip(meta["shard"], meta["key"]))     # by image id; views share it
        super().__init__(meta, transform=transform)

    def _source(self, image_id: int):
        return io.BytesIO(self._bytes[image_id])

    def _cache_key(self, image_id: int) -> tuple:
        return self._origins[image_id]          # (shard, sample key): unique across the shards

    def _name(self, image_id: int) -> str:
        shard, key = self._origins[image_id]
        return f"{key} in {shard}"


def _decode_pair(size: int):
    """sample → (uint8 (size, size, 3), caption), or None for a sample lacking either."""
    def decode(sample: dict):
        image, caption = _image_bytes(sample), sample.get(CAPTION_KEY)
        if image is None or caption is None:
            return None
        return read_resized(io.BytesIO(image), size), caption.decode("utf-8").strip()
    return decode


class ShardStream:
    """WebDataset shards streamed for training, the way open_clip's `--train-data` reads them.

    Each epoch shuffles the shard list with one seed on every rank, gives each torchrun rank
    every W-th shard (`webdataset.split_by_node`) and each of its DataLoader workers every
    N-th of those (`split_by_worker`), shuffles samples in a buffer, decodes and resizes the
    images in the workers and yields whole batches; epochs follow one another without end
    (training counts steps). So, unlike a `PairDataset`, it has no length, no `meta` and no
    per-step batch order: a run is reproducible for a seed and a worker count, and a resumed
    run continues on a fresh shuffle seeded by the step it resumes at, as open_clip's do.

    Args:
        spec: the shards, e.g. "/data/shards/{00000..00099}.tar" (`shard_urls`).
        shuffle_buffer: samples held for shuffling (open_clip: 5,000 when training).
    """

    def __init__(self, spec: str, shuffle_buffer: int = 2000):
        self.spec, self.urls, self.shuffle_buffer = spec, shard_urls(spec), shuffle_buffer

    def __repr__(self) -> str:
        return f"ShardStream({self.spec!r}, {len(self.urls)} shards)"

    def batches(self, batch_size: int, size: int, tokenize, seed: int = 0, start: int = 0, world_size: int = 1,
                workers: int = 0, pin: bool = False):
        """An endless iterator of this process's batches: (uint8 images (b, 3, size, size),
        tokens (b, l)), cut after the batch's longest caption.

        Args:
            batch_size: pairs per batch on this process (the global batch / world_size).
            size: image side (the model's).
            tokenize: list[str] → LongTensor (b, L), run in the workers.
            seed, start: seed the shard order and the sample shuffles (start: the step a
                resumed run starts at).
            world_size: torchrun processes (each needs at least one shard).
            workers: DataLoader processes (0: one background thread); fewer where there are
                fewer shards than workers on a rank.
            pin: pinned memory, for non-blocking copies to a GPU.
        """
        if len(self.urls) < world_size:
            raise ValueError(f"{len(self.urls)} shard(s) for {world_size} processes: every process needs at least "
                             f"one shard (write more, smaller shards)")
        workers = min(workers, len(self.urls) // world_size)
        stream = _PairStream(self.urls, batch_size, size, tokenize, seed, start, self.shuffle_buffer)
        if workers == 0:
            return _ahead(iter(stream), pin)
        return _each(torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers, pin_memory=pin,
                                                 multiprocessing_context=_fork_context()))


class _PairStream(torch.utils.data.IterableDataset):
    """One process's (or DataLoader worker's) endless stream of batches from the shards."""

    def __init__(self, urls, batch_size, size, tokenize, seed, start, shuffle_buffer):
        self.urls, self.batch_size, self.size, self.tokenize = urls, batch_size, size, tokenize
        self.seed, self.start, self.shuffle_buffer = seed, start, shuffle_buffer

    def __iter__(self):
        import webdataset as wds
        from webdataset.utils import pytorch_worker_info

        rank, _, worker, _ = pytorch_worker_info()
        for epoch in itertools.count():
            order = list(self.urls)
            random.Random(f"{self.seed}-{self.start}-{epoch}").shuffle(order)      # the same on every rank
            pipeline = wds.DataPipeline(
                wds.SimpleShardList(order), wds.split_by_node, wds.split_by_worker, wds.tarfile_to_samples(),
                wds.shuffle(self.shuffle_buffer, initial=min(self.shuffle_buffer, 100),
                            rng=random.Random(f"{self.seed}-{self.start}-{epoch}-{rank}-{worker}")),
                wds.map(_decode_pair(self.size)), wds.select(lambda pair: pair is not None),
                wds.batched(self.batch_size, collation_fn=self._collate, partial=False))
            count = 0
            for batch in pipeline:
                count += 1
                yield batch
            if count == 0:
                raise ValueError(f"the shards of this process hold fewer than {self.batch_size} pairs: "
                                 f"lower the batch size or use fewer processes")

    def _collate(self, pairs):
        images = torch.from_numpy(np.stack([image for image, _ in pairs])).permute(0, 3, 1, 2)   # (b, 3, S, S)
        tokens = self.tokenize([caption for _, caption in pairs])                               # (b, L)
        return images, tokens[:, :max(1, int((tokens != 0).sum(1).max()))]


def _each(loader):
    """A DataLoader's items as a generator: closing it stops the workers."""
    yield from loader


def _ahead(iterator, pin: bool):
    """The items of an endless iterator, each read in a background thread while the caller
    works on the previous one (and pinned there when `pin`)."""
    with ThreadPoolExecutor(1) as reader:
        def read():
            item = next(iterator)
            return pinned(item) if pin else item
        upcoming = reader.submit(read)
        while True:
            item = upcoming.result()
            upcoming = reader.submit(read)
            yield item


def write_shards(dataset: PairDataset, folder, per_shard: int = 1000, columns=("label", "group", "style")) -> str:
    """Write a dataset as WebDataset shards, as img2dataset lays them out: per pair KEY.png
    (or the image file's own bytes and suffix), KEY.txt (the caption) and KEY.json (`columns`
    of meta that the dataset has, plus the caption).

    Args:
        dataset: any PairDataset (one sample per pair).
        folder: where the shards go, as 00000.tar, 00001.tar, ...
        per_shard: pairs per shard.
    Returns:
        The spec that reads them back: "wds:FOLDER/{00000..0000N}.tar".
    """
    import webdataset as wds

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    count = (len(dataset) + per_shard - 1) // per_shard
    for shard in range(count):
        with wds.TarWriter(str(folder / f"{shard:05d}.tar")) as sink:
            for row in range(shard * per_shard, min((shard + 1) * per_shard, len(dataset))):
                sink.write(_sample(dataset, row, columns))
    return f"wds:{folder}/{{00000..{count - 1:05d}}}.tar" if count > 1 else f"wds:{folder}/00000.tar"


def _sample(dataset: PairDataset, row: int, columns) -> dict:
    """One pair as a WebDataset sample of encoded bytes."""
    meta = dataset.meta.iloc[row]
    if "filepath" in meta and Path(meta["filepath"]).suffix.lower().lstrip(".") in IMAGE_KEYS:
        path = Path(meta["filepath"])
        suffix, image = path.suffix.lower().lstrip("."), path.read_bytes()
    else:
        buffer = io.BytesIO()
        Image.fromarray(dataset.load_array(int(meta["image_id"]))).save(buffer, format="PNG")
        suffix, image = "png", buffer.getvalue()
    fields = {c: meta[c].item() if hasattr(meta[c], "item") else meta[c] for c in columns if c in meta}
    return {"__key__": f"{row:09d}", suffix: image, "txt": meta["caption"].encode("utf-8"),
            "json": json.dumps({"caption": meta["caption"], **fields}).encode("utf-8")}


def load_dataset(spec: str, transform=None, stream: bool = False, max_pairs: int = 10_000, **kwargs):
    """A dataset from a short spec (ShapesWorld: see world.py).

    Args:
        spec: "csv:PATH", "folder:PATH" or "wds:SHARDS" (tar files, brace expansion:
            "wds:/data/shards/{00000..00099}.tar").
        stream: for "wds:", a `ShardStream` (training) instead of the first `max_pairs`
            pairs in memory (`ShardDataset`: evaluation, notebooks).
        max_pairs: for "wds:" without stream, how many pairs to read.
        **kwargs: CsvDataset's column options.
    Returns:
        A PairDataset, or a ShardStream.
    """
    kind, _, path = spec.partition(":")
    if kind == "wds" and path:
        return ShardStream(path) if stream else ShardDataset(path, max_pairs=max_pairs, transform=transform)
    if stream:
        raise ValueError(f"only WebDataset shards stream (wds:PATTERN); {spec!r} is read as a table")
    if kind == "csv" and path:
        return CsvDataset(path, transform=transform, **kwargs)
    if kind == "folder" and path:
        return FolderDataset(path, transform=transform)
    raise ValueError(f"unknown data spec {spec!r}: use csv:PATH, folder:PATH or wds:SHARDS "
                     f"(e.g. wds:/data/shards/{{00000..00099}}.tar)")
