"""``rnnkit forecast train|evaluate|predict``: time-series forecasting with intervals.

    rnnkit forecast train --dataset airline --model lstm --lags 24 --horizon 24 --seed 0 --out DIR --json m.json
    rnnkit forecast train --csv data.csv --target sales --time date [--covariates a,b] --strategy mimo --out DIR
    rnnkit forecast evaluate --model DIR [--csv new.csv] --json m.json     (holdout of the last horizon points)
    rnnkit forecast predict --model DIR --horizon 12 [--csv new.csv] [--output fc.csv]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from rnnkit import atomic
from rnnkit.cli.common import (
    add_model_flags,
    add_train_flags,
    finish_train,
    print_table,
    start_train,
    write_metrics_json,
)
from rnnkit.config import config_from_dict
from rnnkit.data import registry
from rnnkit.errors import ConfigError
from rnnkit.tasks.forecast import ForecastConfig, Series, backtest, compare, read_csv
from rnnkit.tasks.forecast.forecaster import Forecaster, make_net, period_of
from rnnkit.tasks.forecast.metrics import forecast_metrics
from rnnkit.tasks.forecast.plots import plot_forecast, plot_history
from rnnkit.tasks.forecast.transform import Transform
from rnnkit.training.checkpoint import load_model_dir

BASELINES = ("naive", "seasonal-naive", "ar-linear")
METRICS = ("mae", "rmse", "mape", "smape", "mase", "coverage80", "coverage95")


def _csv_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--csv", type=Path, help="CSV file with the series")
    p.add_argument("--target", help="target column of --csv")
    p.add_argument("--time", help="time column of --csv (rows are sorted by it)")
    p.add_argument("--covariates", default="", help="comma-separated covariate columns of --csv")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forecast", help="time-series forecasting", description=__doc__)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    tr = actions.add_parser("train", help="train, evaluate on the holdout, compare with baselines")
    _csv_flags(tr)
    add_train_flags(tr, ForecastConfig)
    tr.set_defaults(func=_train)
    ev = actions.add_parser("evaluate", help="holdout metrics of a trained model (refits nothing)")
    add_model_flags(ev)
    _csv_flags(ev)
    ev.set_defaults(func=_evaluate)
    pr = actions.add_parser("predict", help="forecast with 80/95 %% intervals as CSV")
    add_model_flags(pr, json=False)
    _csv_flags(pr)
    pr.add_argument("--horizon", type=int, default=None, help="steps to forecast (default: the trained horizon)")
    pr.add_argument("--output", type=Path, help="write the CSV here instead of stdout")
    pr.set_defaults(func=_predict)


def load_series(dataset: str | None, args: argparse.Namespace) -> Series:
    if getattr(args, "csv", None) is not None:
        if not args.target:
            raise ConfigError("--csv needs --target COLUMN")
        cov = tuple(c.strip() for c in args.covariates.split(",") if c.strip())
        return read_csv(args.csv, args.target, args.time, cov)
    if dataset is None:
        raise ConfigError("give --dataset NAME (see `rnnkit datasets list`) or --csv PATH --target COL")
    return registry.load(dataset, "series")


def _train(args: argparse.Namespace) -> int:
    setup = start_train(args, ForecastConfig)
    cfg = setup.config
    series = load_series(cfg.dataset, args)
    metrics, fc, pred, history = backtest(cfg, series, out=setup.out)
    rows = [{"model": cfg.model, **{k: round(v, 4) for k, v in metrics.items()}}]
    rows += compare(cfg, series, tuple(m for m in BASELINES if m != cfg.model))
    print_table(rows, title=f"{series.name}: last {cfg.horizon} points held out, {cfg.backtest} fold(s)")
    files = {**fc.files(), "series.json": json.dumps(_series_dict(series))}
    finish_train(setup, task="forecast", model=fc.net if fc.net is not None else torch.nn.Module(),
                 metrics={k: metrics[k] for k in METRICS}, files=files)
    if setup.out is not None:
        o = len(series.y) - cfg.horizon
        plot_forecast(setup.out / "forecast.png", series.y[:o], pred, series.y[o:], f"{series.name} — {cfg.model}")
        if plot_history(setup.out / "training.png", history):
            print(f"wrote {setup.out / 'training.png'}")
        print(f"wrote {setup.out} (forecast.png)")
    return 0


def _series_dict(s: Series) -> dict:
    cov = None if s.covariates is None else s.covariates.tolist()
    return {"name": s.name, "y": s.y.tolist(), "covariates": cov, "covariate_names": list(s.covariate_names),
            "period": s.period}


def load_forecaster(path: Path) -> tuple[Forecaster, Series]:
    md = load_model_dir(path, task="forecast")
    cfg = config_from_dict(ForecastConfig, md.config)
    s = json.loads(md.read_text("series.json"))
    import numpy as np

    cov = None if s["covariates"] is None else np.array(s["covariates"], dtype=np.float64)
    series = Series(s["name"], np.array(s["y"], dtype=np.float64), cov, tuple(s["covariate_names"]), s["period"])
    t = json.loads(md.read_text("transform.json"))
    tr = None if t is None else Transform(**{k: tuple(v) if isinstance(v, list) else v for k, v in t.items()})
    net = None
    if tr is not None:
        net = make_net(cfg, 1 + (0 if cov is None else cov.shape[1]))
        net.load_state_dict(md.state_dict)
        net.eval()
    return Forecaster(cfg, tr, net, json.loads(md.read_text("period.json"))), series


def _series_for(args: argparse.Namespace, trained: Series) -> Series:
    """``--csv``'s series (else the training series), with the covariates the model reads."""
    if args.csv is None:
        return trained
    series = load_series(None, args)
    if series.covariate_names != trained.covariate_names:
        want = ",".join(trained.covariate_names)
        raise ConfigError(f"the model was trained with --covariates {want}; pass the same" if want else
                          "the model was trained without covariates; drop --covariates")
    return series


def _evaluate(args: argparse.Namespace) -> int:
    fc, series = load_forecaster(args.model)
    series = _series_for(args, series)
    h = fc.cfg.horizon
    if len(series.y) <= h + 2:
        raise ConfigError(f"need more than {h + 2} points to hold out {h}")
    past = series.head(len(series.y) - h)
    m = forecast_metrics(series.y[-h:], fc.forecast(past, h, seed=fc.cfg.train.seed), past.y, period_of(fc.cfg, series))
    print_table([{"model": fc.cfg.model, **{k: round(v, 4) for k, v in m.items()}}],
                title=f"{series.name}: last {h} points (model not refitted)")
    write_metrics_json(args.json, m, 0.0)
    return 0


def _predict(args: argparse.Namespace) -> int:
    fc, series = load_forecaster(args.model)
    series = _series_for(args, series)
    h = args.horizon or fc.cfg.horizon
    if h < 1:
        raise ConfigError(f"--horizon must be ≥ 1, got {h}")
    p = fc.forecast(series, h, seed=fc.cfg.train.seed)
    lines = ["step,forecast,lo80,hi80,lo95,hi95"]
    lines += [f"{k + 1},{p.mean[k]:.6g},{p.lo80[k]:.6g},{p.hi80[k]:.6g},{p.lo95[k]:.6g},{p.hi95[k]:.6g}"
              for k in range(h)]
    text = "\n".join(lines) + "\n"
    if args.output is not None:
        atomic.write_text(args.output, text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


__all__ = ["load_forecaster", "load_series", "register"]
