"""Where in the image does a prompt match? Explanation maps, scored against true masks.

- **Grad-CAM** (Selvaraju et al. 2017) for convolutional image towers: the activations of
  the last stage before pooling, A (C, h, w), weighted by the spatial mean of the gradient
  of the image–prompt cosine similarity, summed over channels, ReLU.
- **Gradient-weighted attention relevance** (Chefer et al. 2021) for ViT towers (open_clip's,
  and timm's inside clipviz's hybrid ViT): starting from the identity, each block adds Ā·R
  with Ā = mean over heads of (∇A ⊙ A)⁺; the class token's row over the patches is the map.

Maps are returned at the tower's own resolution (h, w): a 64 px image is a 2×2 grid for
the tiny ResNets (stride 32), 4×4 for the tiny hybrid ViT (stride 16), 7×7 for ViT-B/32 at
224 px. The scores:
- **pointing game** (Zhang et al. 2016): is the map's highest cell on the named object
  (does its mask overlap that cell)? — also asked of the other object, and of random maps;
- **mask IoU**: the map upsampled to the image, cut at half its range, against the mask.

Upsampling adds no detail, so a 2×2 map cannot outline a shape however well it points. To
compare towers of different strides, their maps are also average-pooled to a **common
grid** (the coarsest of them) and scored the same way; beside each IoU stands the IoU of
the true mask itself pooled to that grid (`mask_at_grid`): what the grid allows.

A **dense head** tests the presentation's caveat that dense prediction favours task-specific
fine-tuning: a 1x1 convolution from the frozen image tower's finer feature maps into the
joint space, scored against the prompt's text features at every cell and trained for a few
hundred steps on the world's masks (`train_dense_head`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import open_clip
import pandas as pd
import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer

from ..core.device import device_of
from ..core.model import image_size, model_input, tokenize
from ..evaluation.embed import encode_texts
from ..evaluation.zeroshot import PHOTO_TEMPLATE, fill
from ..language import _
from ..stats import bootstrap_ci, paired_delta_ci, verdict


def grad_cam(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
    """Grad-CAM from a layer's activations and the gradient of the score with respect to
    them, both (B, C, h, w): ReLU(Σ_c mean_hw(∂score/∂A_c) · A_c) → (B, h, w)."""
    weights = gradients.mean(dim=(2, 3), keepdim=True)                    # (B, C, 1, 1)
    return F.relu((weights * activations).sum(1))


def attention_relevance(attentions: list[torch.Tensor], gradients: list[torch.Tensor], prefix: int = 1) -> torch.Tensor:
    """Chefer et al.'s relevance from each block's attention probabilities and their
    gradients, (B, heads, N, N) each with token 0 the class token and `prefix` tokens before
    the patches: (B, N − prefix) relevance of the patches for the class token."""
    batch, n = attentions[0].shape[0], attentions[0].shape[2]
    relevance = torch.eye(n, dtype=attentions[0].dtype, device=attentions[0].device).expand(batch, n, n)
    for attention, gradient in zip(attentions, gradients):
        weighted = (gradient * attention).clamp(min=0).mean(1)             # (B, N, N)
        relevance = relevance + weighted @ relevance
    return relevance[:, 0, prefix:]


def _timm_vit(visual) -> VisionTransformer | None:
    """The timm ViT inside an open_clip tower (clipviz's hybrid ViT), or None."""
    trunk = getattr(visual, "trunk", None)
    return trunk if isinstance(visual, open_clip.timm_model.TimmModel) and isinstance(trunk, VisionTransformer) else None


def _last_conv_stage(visual) -> torch.nn.Module | None:
    """The module whose output is the last feature map before pooling, or None (a ViT)."""
    if isinstance(visual, open_clip.modified_resnet.ModifiedResNet):
        return visual.layer4
    if isinstance(visual, open_clip.timm_model.TimmModel) and _timm_vit(visual) is None \
            and hasattr(visual.trunk, "feature_info"):
        return visual.trunk.get_submodule(visual.trunk.feature_info[-1]["module"])
    return None


def map_method(model) -> str:
    """"grad-cam" for convolutional towers, "attention relevance" for ViTs (open_clip's and timm's)."""
    if _last_conv_stage(model.visual) is not None:
        return "grad-cam"
    if isinstance(model.visual, open_clip.transformer.VisionTransformer) or _timm_vit(model.visual) is not None:
        return "attention relevance"
    raise ValueError(f"no explanation method for a {type(model.visual).__name__} image tower "
                     f"(Grad-CAM needs a convolutional one, attention relevance a ViT)")


@contextmanager
def _recorded_attention(visual):
    """While active, every attention block of a ViT tower stores its attention probabilities
    (B, heads, N, N), with their gradient kept, in the yielded list; also yields the patch
    grid and the number of tokens before the patches."""
    store = []
    vit = _timm_vit(visual)
    if vit is not None:          # timm: the unfused path computes the probabilities; record its dropout's input
        handles, fused = [], [block.attn.fused_attn for block in vit.blocks]
        for block in vit.blocks:
            block.attn.fused_attn = False
            handles.append(block.attn.attn_drop.register_forward_pre_hook(
                lambda module, args: (args[0].retain_grad(), store.append(args[0])) and None))
        try:
            yield store, tuple(vit.patch_embed.grid_size), vit.num_prefix_tokens
        finally:
            for block, was_fused, handle in zip(vit.blocks, fused, handles):
                block.attn.fused_attn = was_fused
                handle.remove()
        return
    with _recorded_open_clip_attention(visual.transformer, store):
        yield store, tuple(visual.grid_size), 1


@contextmanager
def _recorded_open_clip_attention(transformer, store: list):
    """open_clip's blocks compute their attention explicitly while active, storing the
    probabilities in `store` (nn.MultiheadAttention returns them as a view that the gradient
    does not pass through)."""
    def recording(block):
        mha = block.attn

        def attention(q_x, k_x=None, v_x=None, attn_mask=None):
            batch, n, width = q_x.shape
            heads = mha.num_heads
            q, k, v = (t.view(batch, n, heads, width // heads).transpose(1, 2)           # (B, heads, N, d)
                       for t in F.linear(q_x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1))
            logits = q @ k.transpose(-2, -1) / (width // heads) ** 0.5
            weights = (logits if attn_mask is None else logits + attn_mask).softmax(-1)
            weights.retain_grad()
            store.append(weights)
            return mha.out_proj((weights @ v).transpose(1, 2).reshape(batch, n, width))
        return attention

    if not transformer.batch_first:
        raise ValueError("attention relevance needs a batch-first transformer")
    for block in transformer.resblocks:
        block.attention = recording(block)            # an instance attribute shadows the method
    try:
        yield
    finally:
        for block in transformer.resblocks:
            del block.attention


def explanation_maps(model, tokenizer, images: torch.Tensor, prompts: list[str]) -> np.ndarray:
    """One map per image for its prompt, at the tower's resolution: (B, h, w) in [0, 1].

    Args:
        images: uint8 (B, 3, H, W); prompts: B texts (image b is explained for prompt b).
    The score explained is the cosine similarity of image b and prompt b.
    """
    if len(prompts) != len(images):
        raise ValueError(f"{len(prompts)} prompts for {len(images)} images: give one prompt per image")
    method = map_method(model)
    model.eval()
    device = device_of(model)
    with torch.no_grad():
        text = F.normalize(model.encode_text(tokenize(tokenizer, prompts).to(device)), dim=-1)   # (B, D)
    x = model_input(model, images, device).requires_grad_(False)
    if method == "grad-cam":
        stage, saved = _last_conv_stage(model.visual), {}
        handle = stage.register_forward_hook(lambda module, args, out: saved.update(a=out) or out.retain_grad())
        try:
            score = (F.normalize(model.encode_image(x), dim=-1) * text).sum()
        finally:
            handle.remove()
        score.backward()
        maps = grad_cam(saved["a"].detach(), saved["a"].grad)
    else:
        with _recorded_attention(model.visual) as (attentions, grid, prefix):
            score = (F.normalize(model.encode_image(x), dim=-1) * text).sum()
        score.backward()
        relevance = attention_relevance([a.detach() for a in attentions], [a.grad for a in attentions], prefix)
        maps = relevance.view(-1, *grid)
    model.zero_grad(set_to_none=True)
    return _unit_range(maps.detach().float().cpu().numpy())


def _unit_range(maps: np.ndarray) -> np.ndarray:
    """Each map scaled to [0, 1] (a constant map becomes all zeros)."""
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0)


# --- scores against true masks -----------------------------------------------------------
def cell_coverage(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """(h, w): the share of each map cell that a (H, W) bool mask covers (H, W multiples of h, w)."""
    h, w = grid
    H, W = mask.shape
    if H % h or W % w:
        raise ValueError(f"a {H}x{W} mask does not tile into a {h}x{w} grid")
    return mask.reshape(h, H // h, w, W // w).mean(axis=(1, 3))


def pointing_hit(saliency: np.ndarray, mask: np.ndarray) -> bool:
    """The pointing game at the map's resolution: does the mask overlap the map's highest
    cell (the first one, when several tie)?"""
    row, col = np.unravel_index(np.argmax(saliency), saliency.shape)
    return bool(cell_coverage(mask, saliency.shape)[row, col] > 0)


def upsample(saliency: np.ndarray, size: int) -> np.ndarray:
    """(h, w) → (size, size), bilinear, as the map is drawn over the image."""
    tensor = torch.as_tensor(saliency, dtype=torch.float32)[None, None]
    return F.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False)[0, 0].numpy()


def region_iou(region: np.ndarray, mask: np.ndarray) -> float:
    """IoU of two (H, W) bool regions (0 when both are empty)."""
    union = (region | mask).sum()
    return float((region & mask).sum() / union) if union else 0.0


def mask_iou(saliency: np.ndarray, mask: np.ndarray, threshold: float = 0.5) -> float:
    """IoU of the upsampled map, cut at `threshold` of its range, with a (H, W) bool mask."""
    full = upsample(saliency, mask.shape[0])
    span = full.max() - full.min()
    return region_iou((full - full.min()) >= threshold * span if span > 0 else np.zeros_like(mask), mask)


def pooled(saliency: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """(h, w) → `grid`: each cell the mean of the map over it (adaptive average pooling, so
    grids need not divide each other)."""
    tensor = torch.as_tensor(saliency, dtype=torch.float32)[None, None]
    return F.adaptive_avg_pool2d(tensor, tuple(grid))[0, 0].numpy()


def mask_at_grid(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """The true (H, W) mask seen at `grid`: each cell the share of it that the mask covers,
    a map to score like any other (its IoU is what a map on that grid can show)."""
    return pooled(mask.astype(np.float32), grid)


def common_grid(grids) -> tuple[int, int]:
    """The coarsest of several map grids (h, w): the resolution they all can be pooled to."""
    grids = [tuple(g) for g in grids]
    return min(grids, key=lambda g: g[0] * g[1])


def random_maps(n: int, grid: tuple[int, int], seed: int = 0) -> np.ndarray:
    """(n, h, w) uniform random maps: the chance baseline of both scores."""
    return np.random.default_rng(seed).random((n, *grid))


# --- the pointing game on a ShapesWorld data set ----------------------------------------
def named_object_prompts(meta, seed: int = 0, template: str = PHOTO_TEMPLATE) -> tuple[list[str], np.ndarray]:
    """For two-object scenes: a prompt naming one of the two objects, chosen at random, and
    which one it names (0 or 1)."""
    named = np.random.default_rng(seed).integers(0, 2, len(meta))
    prompts = [fill(template, f"{row['colour']} {row['shape']}" if k == 0 else f"{row['colour2']} {row['shape2']}")
               for k, (_index, row) in zip(named, meta.iterrows())]
    return prompts, named


def scored_maps(model, tokenizer, dataset, world, seed: int = 0, batch_size: int = 64) -> pd.DataFrame:
    """Explanation maps of two-object scenes for a prompt naming one object, scored against
    the world's masks; the same scores for a random map of the same resolution.

    Returns:
        One row per image: prompt, named (0/1), hit (the map's top cell on the named object),
        hit_other (on the other one), iou (with the named object), random_hit, random_iou.
    """
    meta = dataset.meta
    if not (meta["n_objects"] == 2).all():
        raise ValueError("the pointing game here needs two-object scenes (ShapesWorld eval_counts=(0, 1, 0, 0))")
    prompts, named = named_object_prompts(meta, seed)
    size = image_size(model)
    maps = np.concatenate([explanation_maps(model, tokenizer, dataset.image_batch(range(i, min(i + batch_size, len(meta))), size),
                                            prompts[i:i + batch_size]) for i in range(0, len(meta), batch_size)])
    chance = random_maps(len(meta), maps.shape[1:], seed)
    rows = []
    for k, (_index, row) in enumerate(meta.iterrows()):
        masks = world.object_masks(row)
        mine, other = masks[named[k]], masks[1 - named[k]]
        rows.append({"prompt": prompts[k], "named": int(named[k]), "hit": pointing_hit(maps[k], mine),
                     "hit_other": pointing_hit(maps[k], other), "iou": mask_iou(maps[k], mine),
                     "random_hit": pointing_hit(chance[k], mine), "random_iou": mask_iou(chance[k], mine)})
    return pd.DataFrame(rows).assign(map=list(maps))


def named_masks(dataset, world, named) -> np.ndarray:
    """(N, H, W) bool: the mask of the object each prompt names (`named[k]` of image k)."""
    return np.stack([world.object_masks(row)[k] for (_index, row), k in zip(dataset.meta.iterrows(), named)])


def at_grid(scores: pd.DataFrame, masks: np.ndarray, grid: tuple[int, int]) -> pd.DataFrame:
    """`scored_maps`' table with three more columns: iou_common (the map average-pooled to
    `grid`, then scored as `mask_iou`), true_iou (the true mask at the map's own grid, scored
    the same way) and true_iou_common (the true mask at `grid`).

    Args:
        masks: (N, H, W) bool, the named object's mask per row (`named_masks`).
    """
    maps = list(scores["map"])
    return scores.assign(iou_common=[mask_iou(pooled(m, grid), k) for m, k in zip(maps, masks)],
                         true_iou=[mask_iou(mask_at_grid(k, m.shape), k) for m, k in zip(maps, masks)],
                         true_iou_common=[mask_iou(mask_at_grid(k, grid), k) for k in masks])


def pointing_summary(scores: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The pointing game and IoU of `scored_maps`, each with a 95 % bootstrap interval."""
    rows = {"points at the named object": "hit", "points at the other object": "hit_other",
            "a random map points at the named object": "random_hit",
            "IoU with the named object": "iou", "IoU of a random map": "random_iou"}
    return pd.DataFrame({name: dict(zip(("value", "low", "high"), (float(scores[column].mean()),
                                                                  *bootstrap_ci(scores[column], seed=seed))))
                         for name, column in rows.items()}).T


@dataclass
class MapExamples:
    """Images with their prompts and maps, ready to draw; with a world, the masks too."""

    images: np.ndarray                   # uint8 (N, H, W, 3) at the model's input size
    prompts: list
    maps: np.ndarray                     # (N, h, w) in [0, 1]
    object_masks: list | None = None     # N arrays (n_objects, H, W) bool
    named: np.ndarray | None = None      # (N,) the object each prompt names

    @property
    def masks(self) -> np.ndarray | None:
        """(N, H, W) bool: the mask of each prompt's object."""
        return None if self.object_masks is None else np.stack([m[k] for m, k in zip(self.object_masks, self.named)])


def map_examples(model, tokenizer, dataset, n: int = 12, world=None, seed: int = 0) -> MapExamples:
    """The first `n` pairs of `dataset` explained: with a ShapesWorld `world` (two-object
    scenes), for a prompt naming one object as `scored_maps` chooses it; otherwise for
    each image's own caption."""
    shown = dataset.select(np.arange(min(n, len(dataset))))
    batch = shown.image_batch(range(len(shown)), image_size(model))
    if world is None:
        prompts, object_masks, named = list(shown.captions), None, None
    else:
        prompts, named = named_object_prompts(shown.meta, seed)
        object_masks = [world.object_masks(row) for _index, row in shown.meta.iterrows()]
    return MapExamples(batch.permute(0, 2, 3, 1).numpy(), prompts, explanation_maps(model, tokenizer, batch, prompts),
                       object_masks, named)


# --- a dense head trained on the world's masks ------------------------------------------------
def _conv_stages(visual, stride: int) -> list[torch.nn.Module]:
    """The stages of a convolutional image tower whose output stride is at least `stride`."""
    if isinstance(visual, open_clip.modified_resnet.ModifiedResNet):
        stages = [(visual.layer1, 4), (visual.layer2, 8), (visual.layer3, 16), (visual.layer4, 32)]
    elif _last_conv_stage(visual) is not None:
        stages = [(visual.trunk.get_submodule(f["module"]), f["reduction"]) for f in visual.trunk.feature_info]
    else:
        raise ValueError(f"the dense head reads a convolutional image tower's feature maps; a "
                         f"{type(visual).__name__} tower has none here")
    chosen = [module for module, reduction in stages if reduction >= stride]
    if not chosen:
        raise ValueError(f"no stage of this tower has an output stride of {stride} or more")
    return chosen


@torch.no_grad()
def spatial_features(model, images: torch.Tensor, stride: int = 8, batch_size: int = 256) -> torch.Tensor:
    """Frozen feature maps of a convolutional image tower, as a hypercolumn: every stage from
    output stride `stride` to the last, each upsampled (bilinear) to the grid of the first,
    concatenated. uint8 images (N, 3, S, S) → float32 (N, C, S/stride, S/stride) on the CPU."""
    model.eval()
    stages, device, out = _conv_stages(model.visual, stride), device_of(model), []
    for start in range(0, len(images), batch_size):
        saved = []
        handles = [stage.register_forward_hook(lambda module, args, output: saved.append(output)) for stage in stages]
        try:
            model.encode_image(model_input(model, images[start:start + batch_size], device))
        finally:
            for handle in handles:
                handle.remove()
        size = saved[0].shape[-2:]
        out.append(torch.cat([F.interpolate(f.float(), size=size, mode="bilinear", align_corners=False)
                              for f in saved], 1).cpu())
    return torch.cat(out)


class DenseHead(torch.nn.Module):
    """Where in the image is the prompt's object? A 1x1 convolution from standardised frozen
    features into the joint space; the logit of each cell is its dot product with the
    prompt's text features, plus a bias."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, dim: int):
        super().__init__()
        self.register_buffer("mean", mean.view(1, -1, 1, 1))          # (1, C, 1, 1)
        self.register_buffer("std", std.view(1, -1, 1, 1))
        self.project = torch.nn.Conv2d(len(mean), dim, 1)
        self.bias = torch.nn.Parameter(torch.tensor(-2.0))              # most pixels are background

    def standardise(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) / self.std

    def forward(self, features: torch.Tensor, text_features: torch.Tensor, standardised: bool = False) -> torch.Tensor:
        """(B, C, h, w) features and (B, D) text features → (B, h, w) logits.

        <W f + c, t> = <f, Wᵀ t> + <c, t>: the text is taken back to the features' channels
        (B, C), cheaper than projecting every cell into the joint space."""
        x = features if standardised else self.standardise(features)
        weight = self.project.weight[:, :, 0, 0]                          # (D, C)
        return (torch.einsum("bchw,bc->bhw", x, text_features @ weight)
                + (text_features @ self.project.bias)[:, None, None] + self.bias)


@dataclass(frozen=True)
class DenseConfig:
    n_train: int = 1000     # two-object training scenes, each object named once: 2000 masks
    steps: int = 300        # Adam steps of the head alone (the towers stay frozen)
    batch_size: int = 64
    lr: float = 3e-3
    stride: int = 8         # the finest feature maps read: 8x8 cells at 64 px
    seed: int = 0


def _object_prompts(meta: pd.DataFrame, template: str = PHOTO_TEMPLATE) -> list[list[str]]:
    """For two-object scenes: the prompts naming the first and the second object."""
    return [[fill(template, f"{row['colour']} {row['shape']}"), fill(template, f"{row['colour2']} {row['shape2']}")]
            for _index, row in meta.iterrows()]


def _text_rows(model, tokenizer, prompts: list[str]) -> torch.Tensor:
    """Unit-norm text features (N, D) of prompts with many repeats, each distinct one encoded once."""
    distinct = sorted(set(prompts))
    features = encode_texts(model, tokenizer, distinct)
    index = {p: i for i, p in enumerate(distinct)}
    return features[torch.tensor([index[p] for p in prompts])]


def train_dense_head(model, tokenizer, world, config: DenseConfig = DenseConfig()) -> tuple[DenseHead, pd.DataFrame]:
    """A `DenseHead` on `model`'s frozen image tower, trained on the masks of two-object
    training scenes of `world` (each object named once): binary cross-entropy of the logits,
    upsampled to the image (bilinear), against the named object's exact mask.

    Returns:
        (head, history): the head and its loss per step.
    """
    scenes = world.dataset("train", n=config.n_train, counts=(0, 1, 0, 0), quality_p=0.0)
    features = spatial_features(model, scenes.image_batch(range(len(scenes)), image_size(model)), config.stride)
    masks = torch.from_numpy(np.stack([world.object_masks(row) for _index, row in scenes.meta.iterrows()]))  # (N, 2, H, W)
    text = _text_rows(model, tokenizer, [p for pair in _object_prompts(scenes.meta) for p in pair])
    text = text.view(len(scenes), 2, -1)                                                 # (N, 2, D)
    torch.manual_seed(config.seed)
    head = DenseHead(features.mean((0, 2, 3)), features.std((0, 2, 3)) + 1e-6, text.shape[-1])
    features = head.standardise(features)                                                  # once, not per step
    optimizer = torch.optim.Adam(head.parameters(), lr=config.lr)
    generator, losses = torch.Generator().manual_seed(config.seed), []
    for _step in range(config.steps):
        scene = torch.randint(len(scenes), (config.batch_size,), generator=generator)
        which = torch.randint(2, (config.batch_size,), generator=generator)
        logits = F.interpolate(head(features[scene], text[scene, which], standardised=True)[:, None],
                               size=masks.shape[-2:], mode="bilinear", align_corners=False)[:, 0]   # (B, H, W)
        loss = F.binary_cross_entropy_with_logits(logits, masks[scene, which].float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return head.eval(), pd.DataFrame({"step": np.arange(1, config.steps + 1), "loss": losses})


@torch.no_grad()
def scored_dense(head: DenseHead, model, tokenizer, dataset, world, seed: int = 0, stride: int = 8) -> pd.DataFrame:
    """The dense head on the scenes and prompts of `scored_maps` (the same object named in
    each image): one row per image with prompt, named, hit and hit_other (its highest cell,
    as the pointing game), iou (its probability upsampled to the image, ≥ 0.5: what it was
    trained for), and map (its probability per cell, (h, w))."""
    prompts, named = named_object_prompts(dataset.meta, seed)
    features = spatial_features(model, dataset.image_batch(range(len(dataset.meta)), image_size(model)), stride)
    logits = head(features, _text_rows(model, tokenizer, prompts))                        # (N, h, w)
    size = world.image_size
    full = F.interpolate(logits[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0] >= 0
    rows = []
    for k, (_index, row) in enumerate(dataset.meta.iterrows()):
        masks = world.object_masks(row)
        mine, other = masks[named[k]], masks[1 - named[k]]
        cells = logits[k].numpy()
        rows.append({"prompt": prompts[k], "named": int(named[k]), "hit": pointing_hit(cells, mine),
                     "hit_other": pointing_hit(cells, other), "iou": region_iou(full[k].numpy(), mine)})
    return pd.DataFrame(rows).assign(map=list(torch.sigmoid(logits).numpy()))


def localisation_table(scores: dict, seed: int = 0) -> pd.DataFrame:
    """One row per map ({name: a table of `at_grid`}): its grid, the pointing game, IoU at its
    own grid and at the common grid, each with a 95 % interval, and the IoU of the true mask
    at both grids (what each resolution allows)."""
    rows = {}
    for name, table in scores.items():
        row = {"grid": "×".join(map(str, table["map"].iloc[0].shape))}
        for label, column in (("points at the named object", "hit"), ("IoU", "iou"),
                              ("IoU at the common grid", "iou_common")):
            low, high = bootstrap_ci(table[column].astype(float), seed=seed)
            row.update({label: float(table[column].mean()), f"{label}: low": low, f"{label}: high": high})
        row.update({"true mask's IoU at its grid": float(table["true_iou"].mean()),
                    "true mask's IoU at the common grid": float(table["true_iou_common"].mean())})
        rows[name] = row
    return pd.DataFrame(rows).T


def head_against_maps(head_scores: pd.DataFrame, scores: dict, seed: int = 0) -> pd.DataFrame:
    """The dense head's IoU minus each zero-shot map's on the same images and prompts, at
    the maps' own grids and at the common grid, with paired 95 % intervals."""
    rows = {}
    for name, table in scores.items():
        for label, column in (("own grids", "iou"), ("common grid", "iou_common")):
            delta, low, high = paired_delta_ci(head_scores[column], table[column], seed=seed)
            rows[(name, label)] = {"head − map": delta, "low": low, "high": high}
    return pd.DataFrame(rows).T.rename_axis(["map", "IoU at"])


def head_sentences(versus: pd.DataFrame) -> list[str]:
    """What each row of `head_against_maps` says, read from its interval."""
    return [_("dense head − {name}, IoU at {where}: {verdict}", name=name, where=_(where),
              verdict=verdict(row["head − map"], row["low"], row["high"], "the head is better", "the map is better",
                              shares=False))
            for (name, where), row in versus.iterrows()]


def scored_examples(scores: pd.DataFrame, dataset, masks: np.ndarray, n: int = 6) -> MapExamples:
    """The first `n` rows of a scored table (`scored_maps`, `scored_dense`) ready to draw,
    with the named object's mask (`masks`, (N, H, W) bool)."""
    n = min(n, len(scores))
    images = dataset.image_batch(range(n), masks.shape[-1]).permute(0, 2, 3, 1).numpy()
    return MapExamples(images, list(scores["prompt"][:n]), np.stack(scores["map"][:n]),
                       [m[None] for m in masks[:n]], np.zeros(n, int))
