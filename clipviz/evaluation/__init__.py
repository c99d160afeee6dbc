"""Measuring a model: features, zero-shot classifiers, CLIP_benchmark's metrics, one report.

    embed.py        datasets and texts → unit-norm features (cached on disk for the notebooks)
    zeroshot.py     template banks, class embeddings, labels and predictions, ensembles
    metrics.py      acc1/acc5/mean per-class recall, retrieval recall@k, linear probe, calibration
    report.py       evaluate(): zero-shot and retrieval on a dataset in one call
"""
