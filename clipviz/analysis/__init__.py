"""What the notebooks measure, one module per question (they do not import each other).

    prompt_effects.py  the paper's prompt-engineering effects as paired comparisons (notebook 03)
    audit.py           label sets, group rates and retrieval skew (notebook 04)
    transfer.py        k-shot probes, effective robustness, WiSE-FT (notebook 05)
    explain.py         Grad-CAM and attention relevance scored against masks (notebook 06)
    compositional.py   word order, a blind baseline, counting (notebook 06)
    typographic.py     a written word against the shape it is written on (notebook 06)
    geometry.py        the modality gap, neighbours and what organises a space (notebook 02)
    projection.py      PCA and UMAP maps, trustworthiness (notebook 02)
"""
