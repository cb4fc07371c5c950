"""rnnkit: recurrent sequence modelling from the lecture equations.

Public API (explicit re-exports): see ``rnnkit.nn`` for layers, ``rnnkit.hmm`` for hidden
Markov models, ``rnnkit.training`` for the engine and ``rnnkit.data`` for datasets.
"""

from rnnkit.errors import (
    ConfigError,
    DataError,
    DatasetUnavailable,
    ModelFileError,
    RnnkitError,
    ShapeError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "DatasetUnavailable",
    "ModelFileError",
    "RnnkitError",
    "ShapeError",
    "__version__",
]
