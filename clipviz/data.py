"""Image–caption datasets: one base class, three sources (ShapesWorld, CSV, folder).

Every dataset is a list of (image, caption) *pairs*; several pairs may share an image
(an image with several captions, as retrieval benchmarks have). `meta` is a pandas
DataFrame with one row per pair and at least the columns `image_id` and `caption`.

Two ways to read images:
- `dataset[i]` → (image, caption), the torch convention; the image is
  `transform(PIL image)` when a transform is set, else a float tensor (3, H, W) in [0, 1].
- `dataset.image_batch(pair_indices, size)` → uint8 tensor (B, 3, size, size), the fast
  path the trainer and encoders use: no per-sample PIL work for in-memory images.
"""

from __future__ import annotations

import copy
import os
import threading
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


def read_resized(path, size: int) -> np.ndarray:
    """(size, size, 3) uint8 of an image file: CLIP's resize and centre crop
    (`resize_center_crop`). A JPEG at least twice that size is decoded at a reduced scale
    first (libjpeg's DCT scaling, the sides kept >= size): for a 640x480 photo at 64 px
    several times faster than decoding it whole."""
    with Image.open(path) as image:
        if image.format == "JPEG" and min(image.size) >= 2 * size:
            image.draft("RGB", (size, size))
        return resize_center_crop(to_rgb_array(image), size)


class FileDataset(PairDataset):
    """Images on disk, one row of `meta` per (image, caption) pair; `meta.filepath`.
    `image_batch` reads each image once per size (`DECODED`)."""

    def load_array(self, image_id: int) -> np.ndarray:
        with self._reading(image_id):
            with Image.open(self._paths[image_id]) as image:
                return to_rgb_array(image)

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
        path = self._paths[image_id]
        with self._reading(image_id):
            return DECODED.get((path, os.stat(path).st_mtime_ns, size), lambda: read_resized(path, size))

    @contextmanager
    def _reading(self, image_id: int):
        """Turns a failure to read an image into one sentence naming the file and its pair."""
        try:
            yield
        except (OSError, ValueError) as error:
            row = int(np.flatnonzero(self.image_ids == image_id)[0]) if image_id in self.image_ids else "?"
            raise ValueError(f"cannot read image {self._paths[image_id]} (pair {row}): {error}") from None

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


def load_dataset(spec: str, transform=None, **kwargs) -> PairDataset:
    """A dataset from a short spec: "csv:PATH" or "folder:PATH" (ShapesWorld: see world.py)."""
    kind, _, path = spec.partition(":")
    if kind == "csv" and path:
        return CsvDataset(path, transform=transform, **kwargs)
    if kind == "folder" and path:
        return FolderDataset(path, transform=transform)
    raise ValueError(f"unknown data spec {spec!r}: use csv:PATH or folder:PATH")
