"""clipviz: teach and analyse CLIP with a tiny trainable model and a generated world.

    world = clipviz.ShapesWorld(seed=0)
    train_set = world.dataset("train", n=20_000)
    model, preprocess, tokenizer = clipviz.create_model("shapes-cnn-tiny")
    history = clipviz.train(model, train_set, clipviz.TrainConfig(steps=450))
    model, preprocess, tokenizer = clipviz.pretrained("shapes-cnn-tiny")   # cached or trained now
    report = clipviz.evaluate(model, world.dataset("test"), world.classnames(), ["a photo of a {}"])
"""

from . import data, loss, metrics, model, world, zeroshot
from .data import CsvDataset, FolderDataset, PairDataset
from .evaluate import evaluate
from .model import create_model, load_checkpoint, save_weights, tokenizer_for
from .pretrained import pretrained
from .train import TrainConfig, train
from .world import ShapesWorld

__version__ = "0.1.0"
__all__ = ["ShapesWorld", "PairDataset", "CsvDataset", "FolderDataset", "create_model",
           "load_checkpoint", "save_weights", "tokenizer_for", "TrainConfig", "train",
           "pretrained", "evaluate", "data", "loss", "metrics", "model", "world", "zeroshot"]
