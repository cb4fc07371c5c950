"""Frozen dataclass configs ↔ TOML files and command-line flags.

Every model and task has one frozen dataclass config. The CLI builds its flags from the
dataclass fields (``hidden_size`` → ``--hidden-size``), so flags, TOML keys and Python names
are one vocabulary. Precedence: dataclass defaults < ``--config FILE.toml`` < explicit flags.

A field whose type is itself a dataclass (for example ``train: TrainConfig``) is flattened:
its fields become top-level flags, and in TOML they may be written flat or under a table
named after the field (``[train]``).

Field metadata understood here: ``help`` (flag help text), ``choices`` (allowed values),
``flag`` (a flag name other than the derived one, e.g. ``"--layers"``).
"""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from rnnkit.errors import ConfigError

T = TypeVar("T")
_UNSET = object()


def was_given(value: Any) -> bool:
    """Whether a flag built by :func:`add_config_flags` was given on the command line."""
    return value is not _UNSET


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``int | None`` → (int, True); anything else → (tp, False)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _is_config(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def flag_name(field: dataclasses.Field) -> str:
    return field.metadata.get("flag", "--" + field.name.replace("_", "-"))


def _coerce(name: str, tp: Any, value: Any) -> Any:
    """Check and convert one value (from TOML or a flag string) to the field type."""
    base, optional = _unwrap_optional(tp)
    if value is None or (optional and isinstance(value, str) and value.lower() == "none"):
        if optional:
            return None
        raise ConfigError(f"{name}: a value is required")
    origin = typing.get_origin(base)
    if origin is tuple:
        item = typing.get_args(base)[0]
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}: expected a list, got {value!r}")
        return tuple(_coerce(name, item, v) for v in value)
    if origin is typing.Literal:
        allowed = typing.get_args(base)
        by_text = {str(a): a for a in allowed}
        if value not in allowed and str(value) in by_text:  # flags arrive as text: "3" → 3
            value = by_text[str(value)]
        if value not in allowed:
            raise ConfigError(f"{name}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return value
    if base is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    if base in (int, float, str, Path):
        if base is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{name}: expected an integer, got {value!r}")
        if base in (int, float) and isinstance(value, bool):
            raise ConfigError(f"{name}: expected a number, got {value!r}")
        try:
            return base(int(value) if base is int and isinstance(value, float) else value)
        except (TypeError, ValueError):
            kind = {int: "an integer", float: "a number", str: "text", Path: "a path"}[base]
            raise ConfigError(f"{name}: expected {kind}, got {value!r}") from None
    return value


def add_config_flags(parser: argparse.ArgumentParser, cls: type, *, skip: tuple[str, ...] = (),
                     defaults: dict[str, Any] | None = None) -> None:
    """Add one flag per (flattened) field of ``cls``; defaults stay unset so TOML can win.
    ``defaults`` are an outer config's own defaults for this nested part (shown in help)."""
    hints = _field_types(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        tp = hints[f.name]
        if _is_config(tp):
            add_config_flags(parser, tp, skip=skip, defaults=_field_default(f))
            continue
        base, _ = _unwrap_optional(tp)
        kw: dict[str, Any] = {"dest": f.name, "default": _UNSET, "help": _flag_help(f, defaults or {})}
        if typing.get_origin(base) is typing.Literal:
            kw["choices"] = [str(a) for a in typing.get_args(base)]
        elif "choices" in f.metadata:
            kw["choices"] = list(f.metadata["choices"])
        if base is bool:
            kw["action"] = argparse.BooleanOptionalAction
        elif "choices" not in kw:  # with choices argparse shows {a,b,c}
            kw["metavar"] = f.name.upper()
        parser.add_argument(flag_name(f), **kw)


def _flag_help(f: dataclasses.Field, defaults: dict[str, Any]) -> str | None:
    """The field's help text, followed by its default (what a flag left out means)."""
    text = f.metadata.get("help")
    if f.name in defaults:
        default = defaults[f.name]
    elif f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return text
    if default is None or default == "" or default == () or isinstance(default, bool):
        return text
    shown = f"default {default}".replace("%", "%%")
    return f"{text}; {shown}" if text else shown


def _build(cls: type[T], values: dict[str, Any], where: str) -> T:
    hints = _field_types(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if _is_config(tp):
            sub = values.get(f.name, {})
            if not isinstance(sub, dict):
                raise ConfigError(f"{where}: [{f.name}] must be a table")
            flat = {k: v for k, v in values.items() if k in {g.name for g in dataclasses.fields(tp)}}
            base = _field_default(f)  # the outer config's own defaults for this part
            kwargs[f.name] = _build(tp, {**base, **flat, **sub}, where)
        elif f.name in values:
            kwargs[f.name] = _coerce(f.name, tp, values[f.name])
    nested = {n for f in dataclasses.fields(cls) if _is_config(hints[f.name])
              for n in _all_names(hints[f.name])}
    unknown = sorted(set(values) - names - nested)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)} for {cls.__name__}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"{where}: {e}") from None


def _field_default(f: dataclasses.Field) -> dict[str, Any]:
    """A nested config field's default as a flat dict ({} when it has none)."""
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return {g.name: getattr(d, g.name) for d in [f.default_factory()] for g in dataclasses.fields(d)}
    if f.default is not dataclasses.MISSING:
        return {g.name: getattr(f.default, g.name) for g in dataclasses.fields(f.default)}
    return {}


def _all_names(cls: type) -> set[str]:
    hints = _field_types(cls)
    out = set()
    for f in dataclasses.fields(cls):
        out.add(f.name)
        if _is_config(hints[f.name]):
            out |= _all_names(hints[f.name])
    return out


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file with a one-line error on a missing or malformed file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: not valid TOML ({e})") from None


def build_config(cls: type[T], *, toml: dict[str, Any] | None = None,
                 flags: argparse.Namespace | dict[str, Any] | None = None) -> T:
    """Build a frozen ``cls`` from defaults, a TOML mapping, then explicitly given flags."""
    values: dict[str, Any] = dict(toml or {})
    given = vars(flags) if isinstance(flags, argparse.Namespace) else dict(flags or {})
    allowed = _all_names(cls)
    for k, v in given.items():
        if v is _UNSET or k not in allowed:
            continue
        # a flag beats both a flat TOML key and one inside a [table]
        for table in [t for t in values.values() if isinstance(t, dict)]:
            table.pop(k, None)
        values[k] = v
    return _build(cls, values, "config")


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON/TOML-friendly dict (tuples → lists, Paths → str)."""
    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (tuple, list)):
            return [conv(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        return v
    return conv(cfg)


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Inverse of :func:`config_to_dict` (used when loading a model directory)."""
    return _build(cls, data, cls.__name__)
