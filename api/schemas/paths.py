"""The path parameters of the routes, each declared once: ids are 1 to 64 characters, numbers fit an
integer primary key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from api.orm.base import MAX_ID

BoxPath = Annotated[str, Path(min_length=1, max_length=64, description="Edge box id")]
SourcePath = Annotated[str, Path(min_length=1, max_length=64, description="Camera or sensor id in its box")]
CameraPath = Annotated[str, Path(min_length=1, max_length=64, description="A camera id of the box")]
DeviceIdPath = Annotated[str, Path(min_length=1, max_length=64, description="Device id")]
UsernamePath = Annotated[str, Path(min_length=1, max_length=64, description="Login name")]
SubscriptionIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Subscription id")]
