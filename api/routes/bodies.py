"""Bodies that routes read themselves (to check a token first): parsed as FastAPI would, 422 alike."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Parsed = TypeVar("Parsed", bound=BaseModel)


def parse_body(model: type[Parsed], body: bytes) -> Parsed:
    """`model` parsed from `body`, or FastAPI's 422 with every error located under `body` (without
    echoing the input: it may be megabytes, or bytes that are not text)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise RequestValidationError(errors) from None


def read_by_hand(model: str) -> dict[str, Any]:
    """The `openapi_extra` of a route that reads its JSON body itself: the body is the component
    `model` (which the app adds to the document: FastAPI adds only the models of declared parameters)."""
    schema = {"$ref": f"#/components/schemas/{model}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
