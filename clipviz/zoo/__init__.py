"""The embedded models: named recipes, trained once and cached.

    recipes.py      every embedded model and classifier as data, with the key of its weights
    cache.py        pretrained(name), classifier(name): from the cache, or trained now
"""

from .cache import (build, build_classifier, cache_path, classifier, classifier_path, pretrained,
                    training_history)
from .recipes import (CLASSIFIERS, CLIP_ART, DEFAULT_MODEL, NOTEBOOK_MODELS, RECIPES, SUPERVISED, ClassifierRecipe, Recipe,
                      classifier_recipe, recipe)

__all__ = ["build", "build_classifier", "cache_path", "classifier", "classifier_path", "pretrained",
           "training_history", "CLASSIFIERS", "CLIP_ART", "DEFAULT_MODEL", "NOTEBOOK_MODELS", "RECIPES", "SUPERVISED",
           "ClassifierRecipe", "Recipe", "classifier_recipe", "recipe"]
