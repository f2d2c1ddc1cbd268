"""Read a YAML file into a pydantic model once, with errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def problems(exc: ValidationError) -> str:
    """Every validation error as `field.path: message (got value)`, joined by `; `."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']} (got {err.get('input')!r:.80})"
        for err in exc.errors()
    )


def load_yaml_model(path: Path, model: type[Model], *, what: str, error: type[Exception]) -> Model:
    """Parse `path` as a YAML mapping and validate it as `model`; any problem raises `error`."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text: {exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise error(f"{what} {path} must be a mapping, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{what} {path} is invalid: {problems(exc)}") from exc
