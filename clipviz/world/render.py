"""Drawing ShapesWorld images: masks, backgrounds, the five render styles, written words.

All rendering is integer arithmetic on masks and textures computed once per world
(`Renderer`), so the same seed gives byte-identical images on any machine.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .vocabulary import PATTERN_SHAPE, SHAPES, SIZES, STYLES

SIZE_FRACTION = {"small": 0.3, "large": 0.48}       # object diameter / image side
CROWD_FRACTION = 0.26                               # diameter of each object in a 3-4 object scene
MANY_FRACTION = 0.2                                 # diameter of each copy in a "many" scene (3x3 cells)
MIN_IMAGE_SIZE = 16   # below this a small shape is a few pixels and unreadable
SUPERSAMPLE = 4       # anti-aliasing: masks are drawn 4x larger, then averaged
N_TEXTURES = 16       # variants of each random texture (dark backgrounds, paint, sensor noise)
LIGHT = np.array([232, 232, 226], np.uint8)
PATTERN_INK = {"light": (196, 196, 190), "dark": (92, 92, 92)}   # neutral: a pattern has no class colour


def _polygon(shape: str) -> np.ndarray:
    """Vertices (V, 2) of a polygonal shape in [-1, 1]², y pointing down."""
    if shape == "square":
        return np.array([[-.8, -.8], [.8, -.8], [.8, .8], [-.8, .8]])
    if shape == "triangle":
        return np.array([[0, -.95], [.95, .8], [-.95, .8]])
    if shape == "diamond":
        return np.array([[0, -1], [.8, 0], [0, 1], [-.8, 0]])
    if shape == "cross":
        a, b = .33, .95
        return np.array([[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a],
                         [a, b], [-a, b], [-a, a], [-b, a], [-b, -a], [-a, -a]])
    if shape == "star":
        angles = -np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.42)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles) + 0.08], 1)
    raise ValueError(shape)


def _inside_polygon(x: np.ndarray, y: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, vectorised over points."""
    inside = np.zeros(x.shape, bool)
    for (x1, y1), (x2, y2) in zip(vertices, np.roll(vertices, -1, axis=0)):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at_y = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < x_at_y)
    return inside


def _inside(shape: str, n: int) -> np.ndarray:
    """(n, n) bool: which points of an n×n grid over [-1, 1]² lie inside the shape."""
    coords = (np.arange(n) + 0.5) / n * 2 - 1
    x, y = np.meshgrid(coords, coords)
    return x**2 + y**2 <= 0.95**2 if shape == "circle" else _inside_polygon(x, y, _polygon(shape))


def _coverage(inside: np.ndarray, diameter: int) -> np.ndarray:
    """Supersampled bool (d·S, d·S) → uint8 alpha (d, d) by averaging S×S blocks."""
    blocks = inside.reshape(diameter, SUPERSAMPLE, diameter, SUPERSAMPLE).mean((1, 3))
    return np.round(blocks * 255).astype(np.uint8)


def _erode(inside: np.ndarray, radius: int) -> np.ndarray:
    """Binary erosion by a (2r+1)² square: a pixel stays when its whole neighbourhood is in."""
    padded = np.pad(inside, radius)
    out = np.ones_like(inside)
    n = inside.shape[0]
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out &= padded[dy:dy + n, dx:dx + n]
    return out


def shape_mask(shape: str, diameter: int, style: str = "flat") -> np.ndarray:
    """Alpha mask (diameter, diameter) uint8 in 0..255 of one shape drawn in `style`.

    flat, photo, painted: the anti-aliased silhouette. sketch: its outline only, a pencil
    stroke of about a fourteenth of the diameter. pixel: the silhouette on a coarse grid of
    about ten blocks across, hard-edged like pixel art.
    """
    inside = _inside(shape, diameter * SUPERSAMPLE)
    if style == "sketch":
        stroke = max(SUPERSAMPLE, round(diameter * SUPERSAMPLE / 14))
        return _coverage(inside & ~_erode(inside, stroke), diameter)
    if style == "pixel":
        block = max(2, diameter // 10)
        cells = -(-diameter // block)
        coarse = _inside(shape, cells)
        return (np.repeat(np.repeat(coarse, block, 0), block, 1)[:diameter, :diameter] * 255).astype(np.uint8)
    return _coverage(inside, diameter)


class Renderer:
    """Everything a world draws with, built once per (image size, seed): shape masks per
    size and style, dark textures, background patterns, paint and noise textures, and
    the bitmap glyphs of written words."""

    def __init__(self, image_size: int, seed: int):
        if image_size < MIN_IMAGE_SIZE:
            raise ValueError(f"image_size={image_size} is too small to draw on; use at least {MIN_IMAGE_SIZE} pixels.")
        self.n, self.seed = image_size, seed

    def diameter(self, size: str, crowded: bool = False, many: bool = False) -> int:
        fraction = MANY_FRACTION if many else CROWD_FRACTION if crowded else SIZE_FRACTION[size]
        return max(3, round(fraction * self.n))

    @cached_property
    def masks(self) -> dict[tuple[str, int, str], np.ndarray]:
        """(shape, diameter, style) → alpha mask, for every diameter the world uses."""
        diameters = ({self.diameter(size) for size in SIZES} | {self.diameter("small", crowded=True)}
                     | {self.diameter("small", many=True)})
        return {(shape, d, style): shape_mask(shape, d, style)
                for shape in SHAPES for d in diameters for style in STYLES}

    def _rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, 99, stream])

    @cached_property
    def dark_textures(self) -> np.ndarray:
        """(N_TEXTURES, H, W, 3) uint8 dark textured backgrounds: stripes plus noise."""
        rng = np.random.default_rng([self.seed, 99])      # the stream of the first worlds: same textures
        n = self.n
        yy, xx = np.mgrid[0:n, 0:n]
        out = np.empty((N_TEXTURES, n, n, 3), np.uint8)
        for k in range(N_TEXTURES):
            angle, period = rng.uniform(0, np.pi), rng.uniform(4, 10)
            stripes = (np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period) > 0) * 18
            base = rng.integers(35, 60, size=3)
            noise = rng.integers(0, 14, size=(n, n, 1))
            out[k] = np.clip(base + stripes[..., None] + noise, 0, 255)
        return out

    @cached_property
    def pattern_alpha(self) -> dict[str, np.ndarray]:
        """pattern → (H, W, 1) int32 alpha of small shapes tiled across the background,
        offset on alternate rows; "plain" is absent."""
        n = self.n
        d, step = max(3, round(n / 9)), max(4, round(n / 4.5))
        out = {}
        for pattern, shape in PATTERN_SHAPE.items():
            alpha = np.zeros((n + 2 * step, n + 2 * step), np.int32)
            mark = shape_mask(shape, d).astype(np.int32)
            for row, y in enumerate(range(0, n + step, step)):
                for x in range((row % 2) * step // 2, n + step, step):
                    alpha[y:y + d, x:x + d] = np.maximum(alpha[y:y + d, x:x + d], mark)
            out[pattern] = alpha[:n, :n, None]
        return out

    @cached_property
    def paint(self) -> np.ndarray:
        """(N_TEXTURES, H, W, 1) int16 brush-stroke shading in -40..40: streaks along a random angle."""
        rng, n = self._rng(1), self.n
        yy, xx = np.mgrid[0:n, 0:n]
        out = np.empty((N_TEXTURES, n, n, 1), np.int16)
        for k in range(N_TEXTURES):
            angle = rng.uniform(0, np.pi)
            along = xx * np.cos(angle) + yy * np.sin(angle)
            streaks = np.sin(along * 2 * np.pi / rng.uniform(3, 6) + rng.uniform(0, 6.3, size=(n, 1)) * 0.6)
            out[k, ..., 0] = np.round(streaks * 28 + rng.normal(0, 8, size=(n, n))).clip(-40, 40)
        return out

    @cached_property
    def sensor(self) -> np.ndarray:
        """(N_TEXTURES, H, W, 3) int16: a photo's sensor noise plus light falloff to the corners."""
        rng, n = self._rng(2), self.n
        yy, xx = (np.mgrid[0:n, 0:n] + 0.5) / n - 0.5
        falloff = -np.round(110 * (xx**2 + yy**2))[..., None]                  # darker corners
        return np.stack([np.clip(falloff + rng.normal(0, 14, size=(n, n, 3)), -90, 60).astype(np.int16)
                         for _ in range(N_TEXTURES)])

    def background(self, group: str, texture: int, pattern: str) -> np.ndarray:
        """A fresh (H, W, 3) uint8 canvas: the group's background, with its pattern."""
        canvas = (np.broadcast_to(LIGHT, (self.n, self.n, 3)) if group == "light"
                  else self.dark_textures[texture]).copy()
        if pattern != "plain":
            blend(canvas, 0, 0, self.pattern_alpha[pattern], np.array(PATTERN_INK[group]))
        return canvas

    def draw(self, canvas: np.ndarray, shape: str, diameter: int, rgb: np.ndarray, cx: float, cy: float,
             style: str, texture: int) -> tuple[int, int]:
        """One shape composited onto canvas in place, centred near (cx, cy) (fractions of
        the side), in colour `rgb` (3,) int in 0..255; returns its top-left corner (x0, y0)."""
        mask = self.masks[(shape, diameter, style)]
        x0 = min(max(round(cx * self.n - diameter / 2), 0), self.n - diameter)
        y0 = min(max(round(cy * self.n - diameter / 2), 0), self.n - diameter)
        colour = rgb
        if style == "pixel":                       # a small palette, as pixel art has
            colour = np.minimum((rgb // 48) * 48 + 24, 255)
        elif style == "painted":
            colour = rgb + self.paint[texture, y0:y0 + diameter, x0:x0 + diameter]
        elif style == "photo":                     # lit from the top left
            ramp = np.linspace(30, -30, diameter)
            colour = rgb + (ramp[:, None] + ramp[None, :])[..., None].astype(np.int16) // 2
        blend(canvas, x0, y0, mask.astype(np.int32)[..., None], colour)
        return x0, y0

    def finish(self, canvas: np.ndarray, style: str, texture: int) -> None:
        """Whole-image effects of a style, in place: a photo's noise and falloff."""
        if style == "photo":
            canvas[:] = np.clip(canvas + self.sensor[texture], 0, 255)

    def glyphs(self, word: str, scale: int) -> np.ndarray:
        """(h, w) uint8 alpha of `word` in the bitmap font, each pixel repeated `scale` times."""
        return glyphs(word, scale)

    def write(self, canvas: np.ndarray, word: str, scale: int, cx: float, cy: float) -> None:
        """Write `word` centred at (cx, cy) in black on a white box, cropped to the image."""
        h, w = self.glyphs(word, scale).shape
        self.write_box(canvas, word, scale, round(cx * self.n - w / 2) - 1, round(cy * self.n - h / 2) - 1)

    def write_box(self, canvas: np.ndarray, word: str, scale: int, left: int, top: int) -> None:
        """Write `word` in black on a white box whose top-left corner is (left, top) in pixels;
        the box is the glyphs plus a 1 px margin, `label_size` big, cropped to the image."""
        ink = self.glyphs(word, scale).astype(np.int32)
        h, w = ink.shape
        blend(canvas, left, top, np.full((h + 2, w + 2, 1), 255, np.int32), np.array([250, 250, 250]))
        blend(canvas, left + 1, top + 1, ink[..., None], np.array([10, 10, 10]))

    def label_size(self, word: str, scale: int) -> tuple[int, int]:
        """(height, width) in pixels of the white box `write_box` draws for `word`."""
        h, w = self.glyphs(word, scale).shape
        return h + 2, w + 2

    def beside(self, box: tuple[int, int, int], label: tuple[int, int]) -> tuple[int, int]:
        """Where a label of (height, width) goes beside an object's box (x0, y0, diameter)
        without covering it: (left, top) of the label.

        Above or below the box, on the side with more room, centred in that band; when the
        band is shorter than the label, the label touches the box and the image's edge cuts it.
        Centred on the object across, kept inside the image when it fits (else centred on it).
        """
        x0, y0, d = box
        height, width = label
        above, below = y0, self.n - (y0 + d)
        if below >= above:
            top = y0 + d + max(0, (below - height) // 2)
        else:
            top = y0 - height - max(0, (above - height) // 2)
        left = round(x0 + d / 2 - width / 2)
        left = min(max(left, 0), self.n - width) if width <= self.n else (self.n - width) // 2
        return left, top


@lru_cache(maxsize=1)
def _font():
    return ImageFont.load_default_imagefont()   # PIL's built-in bitmap font: no files, same pixels everywhere


def glyphs(word: str, scale: int) -> np.ndarray:
    """(h, w) uint8 alpha of `word` in PIL's bitmap font (11 px tall), each pixel repeated `scale` times."""
    left, top, right, bottom = _font().getbbox(word)
    image = Image.new("L", (right - left, bottom - top))
    ImageDraw.Draw(image).text((-left, -top), word, fill=255, font=_font())
    return np.repeat(np.repeat(np.asarray(image), scale, 0), scale, 1)


# --- a word below any picture: the typographic attack on your own images -------------------
def band_height(scale: int) -> int:
    """Pixels of the white band `label_below` adds: the font's line at `scale`, 3 px above and below."""
    return glyphs("Ay", scale).shape[0] + 6


def label_below(image: np.ndarray, word: str | None, scale: int) -> np.ndarray:
    """`image` (S, S, 3) uint8 shrunk into the top of a white square of the same size, with
    `word` written in the band below it (None: the band left empty, the clean control).

    Nothing is written over the picture: it is only scaled, to (S − band) pixels a side, the
    same way for every word, so the word is the only difference between two calls. A word
    wider than the image is cut at both sides.
    Returns:
        (S, S, 3) uint8.
    """
    side = image.shape[0]
    if image.shape[:2] != (side, side):
        raise ValueError(f"label_below needs a square image, got {image.shape[:2]}")
    band = band_height(scale)
    if band >= side // 2:
        raise ValueError(f"a {band} px band at scale {scale} leaves too little of a {side} px image; use a smaller scale")
    inner = side - band
    canvas = np.full((side, side, 3), 255, np.uint8)
    left = band // 2
    canvas[:inner, left:left + inner] = np.asarray(Image.fromarray(image).resize((inner, inner), Image.BICUBIC))
    if word:
        ink = glyphs(word, scale).astype(np.int32)[..., None]
        blend(canvas, (side - ink.shape[1]) // 2, inner + (band - ink.shape[0]) // 2, ink, np.array([10, 10, 10]))
    return canvas


def label_scale(words, side: int, height: float = 1 / 8) -> int:
    """The largest integer scale of the bitmap font at which every word fits across 90 % of a
    `side` px image and its line is at most `height` of the side (at least 1)."""
    widest = max(glyphs(w, 1).shape[1] for w in words)
    line = glyphs("Ay", 1).shape[0]
    return max(1, min(int(0.9 * side // widest), int(height * side // line)))


def blend(canvas: np.ndarray, x0: int, y0: int, alpha: np.ndarray, colour) -> None:
    """canvas[y0:, x0:] ← canvas·(1−α) + colour·α in place, α (h, w, 1) in 0..255, cropped
    to the canvas; `colour` is an RGB triple in 0..255 or an (h, w, 3) array of the patch's
    colours (clipped to 0..255 here)."""
    n_y, n_x = canvas.shape[:2]
    h, w = alpha.shape[:2]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = min(h, n_y - y0), min(w, n_x - x0)
    if bottom <= top or right <= left:
        return
    a = alpha[top:bottom, left:right]
    if np.ndim(colour) == 3:
        colour = np.clip(colour[top:bottom, left:right], 0, 255)
    region = canvas[y0 + top:y0 + bottom, x0 + left:x0 + right]
    region[:] = (region.astype(np.int32) * (255 - a) + np.asarray(colour, np.int32) * a + 127) // 255


# --- image quality: what ImageNet's photos suffer and OpenAI's templates name -------------
JPEG_QUALITY = 15         # a badly compressed JPEG: 8x8 blocks and ringing, colours still told apart
DCT = np.array([[np.sqrt((1 if k == 0 else 2) / 8) * np.cos((2 * x + 1) * k * np.pi / 16) for x in range(8)]
                for k in range(8)])                  # (8, 8) orthonormal DCT-II
JPEG_LUMA = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                      14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
                      92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)


def degrade(image: np.ndarray, quality: str, centre: tuple[float, float], u: float) -> np.ndarray:
    """`image` (H, W, 3) uint8 as a worse or different picture of the same scene.

    Args:
        quality: one of `QUALITIES` but "many" (drawn, not degraded).
        centre: (x, y) of the named object in pixels (cropping and close-ups frame it).
        u: a uniform number for the variation's free choice (the side a crop cuts).
    Returns:
        A new (H, W, 3) uint8 image. Pure integer or fixed floating-point arithmetic: the
        same inputs give the same bytes.
    """
    x = image.astype(np.int32)
    if quality == "low_resolution":       # a third of the pixels per side, shown blocky
        return _pixelate(image, 3)
    if quality == "blurry":
        return _box_blur(_box_blur(x, 1), 2).astype(np.uint8)
    if quality == "jpeg":
        return _jpeg(image)
    if quality == "dark":
        return (x * 2 // 5).astype(np.uint8)
    if quality == "bright":
        return (255 - (255 - x) * 2 // 5).astype(np.uint8)
    if quality == "low_contrast":
        return (128 + (x - 128) // 2).astype(np.uint8)
    if quality == "high_contrast":
        return np.clip(128 + (x - 128) * 8 // 5, 0, 255).astype(np.uint8)
    if quality == "close_up":             # the object fills the frame
        return _zoom(image, centre, 1.8)
    if quality == "cropped":              # framed off-centre: the object runs off one side
        n = image.shape[0]
        side = [(0.3, 0), (-0.3, 0), (0, 0.3), (0, -0.3)][min(int(u * 4), 3)]
        return _zoom(image, (centre[0] + side[0] * n, centre[1] + side[1] * n), 1.6)
    raise ValueError(f"unknown quality {quality!r}")


def _pixelate(image: np.ndarray, factor: int) -> np.ndarray:
    n = image.shape[0]
    m = n // factor
    small = image[:m * factor, :m * factor].reshape(m, factor, m, factor, 3).astype(np.int32).mean((1, 3))
    big = np.repeat(np.repeat(np.round(small).astype(np.uint8), factor, 0), factor, 1)
    return np.pad(big, ((0, n - m * factor), (0, n - m * factor), (0, 0)), mode="edge")


def _box_blur(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)² square, edges repeated; int32 in, int32 out."""
    size = 2 * radius + 1
    for axis in (0, 1):
        padded = np.pad(x, [(radius, radius) if a == axis else (0, 0) for a in range(3)], mode="edge")
        total = np.cumsum(padded, axis=axis, dtype=np.int64)
        total = np.concatenate([np.zeros_like(np.take(total, [0], axis=axis)), total], axis=axis)
        upper = np.take(total, range(size, total.shape[axis]), axis=axis)
        lower = np.take(total, range(0, total.shape[axis] - size), axis=axis)
        x = ((upper - lower + size // 2) // size).astype(np.int32)
    return x


def _jpeg(image: np.ndarray) -> np.ndarray:
    """JPEG's loss without a codec: YCbCr, chroma at half resolution, 8x8 DCT blocks quantised
    with the standard luminance table at quality `JPEG_QUALITY`."""
    n = image.shape[0]
    rgb = image.astype(np.float64)
    y = rgb @ np.array([0.299, 0.587, 0.114])
    cb = 128 + rgb @ np.array([-0.168736, -0.331264, 0.5])
    cr = 128 + rgb @ np.array([0.5, -0.418688, -0.081312])
    scale = (5000 / JPEG_QUALITY if JPEG_QUALITY < 50 else 200 - 2 * JPEG_QUALITY) / 100
    table = np.maximum(1, np.floor(JPEG_LUMA * scale + 0.5))

    def lossy(channel: np.ndarray) -> np.ndarray:
        size = channel.shape[0]
        padded = -(-size // 8) * 8
        c = np.pad(channel - 128, ((0, padded - size), (0, padded - size)), mode="edge")
        blocks = c.reshape(padded // 8, 8, padded // 8, 8).transpose(0, 2, 1, 3)
        coefficients = np.round(DCT @ blocks @ DCT.T / table) * table
        back = (DCT.T @ coefficients @ DCT).transpose(0, 2, 1, 3).reshape(padded, padded)
        return back[:size, :size] + 128

    def half(channel):        # 2x2 means, then back to full size
        m = n // 2
        small = channel[:2 * m, :2 * m].reshape(m, 2, m, 2).mean((1, 3))
        return np.pad(np.repeat(np.repeat(lossy(small), 2, 0), 2, 1), ((0, n - 2 * m), (0, n - 2 * m)), mode="edge")

    y, cb, cr = lossy(y), half(cb) - 128, half(cr) - 128
    out = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], -1)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _zoom(image: np.ndarray, centre: tuple[float, float], factor: float) -> np.ndarray:
    """The window of 1/factor of the side around `centre` (kept inside the image), scaled
    back to full size by repeating pixels."""
    n = image.shape[0]
    side = n / factor
    x0 = min(max(centre[0] - side / 2, 0), n - side)
    y0 = min(max(centre[1] - side / 2, 0), n - side)
    steps = (np.arange(n) + 0.5) * side / n
    xs = np.minimum((x0 + steps).astype(int), n - 1)
    ys = np.minimum((y0 + steps).astype(int), n - 1)
    return image[ys][:, xs]
