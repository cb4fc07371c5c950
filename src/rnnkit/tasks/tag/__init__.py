"""Part-of-speech tagging: an HMM tagger and a BiLSTM tagger on the same data."""

from rnnkit.tasks.tag.bilstm import BiLSTMTagger
from rnnkit.tasks.tag.config import TagConfig
from rnnkit.tasks.tag.evaluate import TagScores, score_tags
from rnnkit.tasks.tag.hmm_tagger import HMMTagger

__all__ = ["BiLSTMTagger", "HMMTagger", "TagConfig", "TagScores", "score_tags"]
