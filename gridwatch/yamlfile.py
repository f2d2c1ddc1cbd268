"""Read a YAML file into a pydantic model once, with errors that name the file and the field; the one
formatter of validation errors (`problems`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Model = TypeVar("Model", bound=BaseModel)


def problems(exc: ValidationError, *, top: str = "(top)", values: bool = True) -> str:
    """Every validation error as `field.path: message (got value)`, joined by `; ` — the one way
    GridWatch names what was wrong. `top` names an error of the whole object; `values=False` leaves
    the offending values out (for input that is not the user's to echo)."""
    return "; ".join(problem(error, top=top, values=values) for error in exc.errors())


def problem(error: ErrorDetails, *, top: str = "(top)", values: bool = True) -> str:
    """One validation error as `field.path: message (got value)`."""
    where = ".".join(str(p) for p in error["loc"]) or top
    got = f" (got {error.get('input')!r:.80})" if values else ""
    return f"{where}: {error['msg']}{got}"


def load_yaml_model(path: Path, model: type[Model], *, what: str, error: type[Exception]) -> Model:
    """Parse `path` as a YAML mapping and validate it as `model`; any problem raises `error`."""
    raw = load_yaml_mapping(path, what=what, error=error)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{what} {path} is invalid: {problems(exc)}") from exc


def load_yaml_mapping(path: Path, *, what: str, error: type[Exception]) -> dict[str, Any]:
    """Parse `path` as a YAML mapping; a file that cannot be read or is not a mapping raises `error`."""
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
    return raw
