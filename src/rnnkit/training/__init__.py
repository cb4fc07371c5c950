"""The training engine: fit loop, batches, config, model directories, resume, TBPTT and DDP."""

from rnnkit.training.batches import Batches, TensorBatches
from rnnkit.training.checkpoint import ModelDir, init_from, load_model_dir, save_model_dir
from rnnkit.training.config import TrainConfig
from rnnkit.training.distributed import is_main_process, shard_batch
from rnnkit.training.engine import FitResult, StepOutput, fit, to_device
from rnnkit.training.rng import seed_everything
from rnnkit.training.tbptt import CarriedState, StreamBatches, Window, run_window

__all__ = [
    "Batches", "CarriedState", "FitResult", "ModelDir", "StepOutput", "StreamBatches", "TensorBatches",
    "TrainConfig", "Window", "fit", "init_from", "is_main_process", "load_model_dir", "run_window",
    "save_model_dir", "seed_everything", "shard_batch", "to_device",
]
