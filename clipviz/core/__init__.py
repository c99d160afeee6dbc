"""The model and how it learns.

    model.py        open_clip's CLIP with clipviz's tiny towers registered; checkpoints, tokens
    hybrid_vit.py   the hybrid ViT tower (ResNet stages, then a transformer), registered with timm
    loss.py         the symmetric contrastive loss (== open_clip's ClipLoss), NegCLIP's variant
    distributed.py  torchrun: process groups, sharded batches, features gathered across ranks
    train.py        the training loop: TrainConfig, train(), checkpoints that resume exactly
    classifier.py   image classifiers: supervised baselines, a CLIP fine-tuned from its zero-shot head
"""
