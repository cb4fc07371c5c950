"""The training engine: fit loop, batches, config (checkpoints, TBPTT and DDP alongside)."""

from rnnkit.training.batches import Batches, TensorBatches
from rnnkit.training.config import TrainConfig
from rnnkit.training.engine import FitResult, StepOutput, fit, to_device

__all__ = ["Batches", "FitResult", "StepOutput", "TensorBatches", "TrainConfig", "fit", "to_device"]
