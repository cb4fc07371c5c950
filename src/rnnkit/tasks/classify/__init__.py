"""Many-to-one classification and regression of time series, texts and pixel sequences."""

from rnnkit.tasks.classify.api import Trained, load, save, train
from rnnkit.tasks.classify.config import ClassifyConfig
from rnnkit.tasks.classify.model import SequenceModel
from rnnkit.tasks.classify.pooling import Pool

__all__ = ["ClassifyConfig", "Pool", "SequenceModel", "Trained", "load", "save", "train"]
