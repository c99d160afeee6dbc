"""clipviz: teach and analyse CLIP with a tiny trainable model and a generated world.

    world = clipviz.ShapesWorld(seed=0)
    train_set = world.dataset("train", n=20_000)
    model, preprocess, tokenizer = clipviz.create_model("shapes-cnn-tiny")
    history = clipviz.train(model, train_set, clipviz.TrainConfig(steps=450))
    model, preprocess, tokenizer = clipviz.pretrained("shapes-cnn-tiny")   # cached or trained now
    report = clipviz.evaluate(model, world.dataset("test"), world.classnames(), ["a photo of a {}"])
    clipviz.set_language("ko")          # sentences, tables and figures in Korean from here on

The house, bottom to top (a layer imports only the layers below it):

    _paths, seed, language,           the cache folder; seeding; English and Korean (the message
    stats, references                 catalogue, the glossary); intervals; published numbers
    data, world/                      datasets: your files, and ShapesWorld
    core/                             the model, the loss, training (also under torchrun)
    evaluation/                       features, zero-shot, CLIP_benchmark's metrics, evaluate()
    zoo/                              the embedded models: recipes and their cache
    analysis/                         what the notebooks measure
    teaching/                         figures, widgets, notebook helpers, exports, the talk
    cli                               `python -m clipviz …`
"""

from . import data, world
from .core import loss, model
from .core.model import create_model, load_checkpoint, save_weights, tokenizer_for
from .core.train import TrainConfig, train
from .data import CsvDataset, FolderDataset, PairDataset
from .evaluation import metrics, zeroshot
from .evaluation.report import evaluate
from .language import set_language
from .world import ShapesWorld
from .zoo import pretrained

__version__ = "0.1.0"
__all__ = ["ShapesWorld", "PairDataset", "CsvDataset", "FolderDataset", "create_model",
           "load_checkpoint", "save_weights", "tokenizer_for", "TrainConfig", "train",
           "pretrained", "evaluate", "set_language", "data", "loss", "metrics", "model", "world", "zeroshot"]
