"""The tiny ViT image tower: a hybrid ViT, registered with timm as `clipviz_vit_hybrid_tiny`.

A plain ViT cuts the image into patches and learns everything else from data: with
ShapesWorld's 20,000 pairs and a minute of training it learned colours, not shapes (seen
top-1 ≈ 0.2-0.28 with patches of 8 or 4 pixels, sin-cos positions, average pooling, or a
three-layer convolutional stem; benchmarks/bench_real.py). The ViT paper's *hybrid*
(Dosovitskiy et al. 2021, §3.1) feeds the transformer a CNN's feature map instead of raw
patches; early convolutions are what make ViTs optimise well (Xiao et al. 2021). Here the
first three stages of the default model's ResNet turn a 64 px image into a 4x4 grid of
192-channel features, each projected to a token; a class token and two transformer blocks
of width 128 follow, pooled at the class token as CLIP's ViTs are.

Registered at import, so open_clip builds it from `model_configs/shapes-vit-tiny.json`
(`timm_model_name`) once clipviz is imported.
"""

from __future__ import annotations

from functools import partial

import timm
import torch
from timm.layers import HybridEmbed
from timm.models import register_model
from timm.models.vision_transformer import VisionTransformer

STEM_STAGES = 3   # ResNet stages before the transformer: stride 16, a 4x4 grid at 64 px


def resnet_stem(stages: int = STEM_STAGES) -> torch.nn.Sequential:
    """The stem and first `stages` stages of timm's test_resnet (the default model's tower)."""
    resnet = timm.create_model("test_resnet", num_classes=0)
    return torch.nn.Sequential(resnet.conv1, resnet.bn1, resnet.act1, resnet.maxpool,
                               *[resnet.layer1, resnet.layer2, resnet.layer3][:stages])


@register_model
def clipviz_vit_hybrid_tiny(pretrained: bool = False, **kwargs) -> VisionTransformer:
    """Hybrid ViT: ResNet stages 1-3 → 4x4 tokens of width 128 → 2 blocks, 4 heads, class token."""
    if pretrained:
        raise ValueError("clipviz_vit_hybrid_tiny has no pretrained weights: clipviz trains it")
    for key in ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir"):   # timm's factory passes these
        kwargs.pop(key, None)
    model = VisionTransformer(**{**dict(img_size=64, patch_size=1, embed_dim=128, depth=2, num_heads=4,
                                        embed_layer=partial(HybridEmbed, backbone=resnet_stem())), **kwargs})
    model.default_cfg = model.pretrained_cfg = {}     # what open_clip's TimmModel reads
    for block in model.blocks:   # CPU flash attention's backward took 25 ms a call for these 17 tokens
        block.attn.fused_attn = False
    return model
