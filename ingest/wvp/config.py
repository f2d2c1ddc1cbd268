"""How the edge box reaches wvp-GB28181-pro, and which wvp channel a camera is.

Credentials come from the config file or, better, from environment variables named there; they are
``SecretStr`` so that a logged or printed config shows ``**********``, never the secret.

Example:
    >>> WvpConfig(url="http://10.0.0.5:18080", username="gridwatch", password_env="GRIDWATCH_WVP_PASSWORD")
    >>> WvpChannelRef(device_id="32010200002000000001", channel_id="32010200001320000001")
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from gridwatch.strict import Strict
from ingest.gb28181 import GbIdText
from ingest.wvp.errors import WvpAuthError


class WvpConfig(Strict):
    """wvp's HTTP API: where it is, who GridWatch logs in as, how long to wait."""

    url: str = Field(description="wvp's web/API base URL, e.g. http://10.0.0.5:18080 (server.port)")
    username: str | None = Field(default=None, min_length=1, description="wvp user for /api/user/login")
    password: SecretStr | None = Field(
        default=None, description="That user's password in plain text (sent as its md5); prefer password_env"
    )
    password_env: str | None = Field(
        default=None, min_length=1, description="Name of the environment variable holding the password"
    )
    api_key: SecretStr | None = Field(
        default=None, description="A wvp user API key (wvp 2.7.4 has them), sent as the access-token header"
    )
    api_key_env: str | None = Field(
        default=None, min_length=1, description="Name of the environment variable holding the API key"
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Connect/read timeout of catalogue requests")
    play_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Read timeout of a play request; keep it above wvp's play-timeout (18 s)",
    )
    page_size: int = Field(default=100, ge=1, le=1000, description="Items asked for per page when paging")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"wvp url {url!r} must be http(s)://host[:port]")
        if parts.password is not None or parts.username is not None:
            raise ValueError("put wvp credentials in username/password_env, not in the url")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> Self:
        password = self.password is not None or self.password_env is not None
        api_key = self.api_key is not None or self.api_key_env is not None
        if self.password is not None and self.password_env is not None:
            raise ValueError("give wvp password or password_env, not both")
        if self.api_key is not None and self.api_key_env is not None:
            raise ValueError("give wvp api_key or api_key_env, not both")
        if password and api_key:
            raise ValueError("log in to wvp with username + password or with an API key, not both")
        if password != (self.username is not None):
            raise ValueError("wvp username and password (or password_env) go together")
        return self


@dataclass(frozen=True, slots=True)
class WvpCredentials:
    """Credentials resolved from the config and the environment (never logged)."""

    username: str | None = None
    password: str | None = None
    api_key: str | None = None

    def __repr__(self) -> str:
        return f"WvpCredentials(username={self.username!r}, password=***, api_key=***)"


def resolve_credentials(config: WvpConfig, environ: Mapping[str, str] | None = None) -> WvpCredentials:
    """Read secrets from the config or the environment; raise ``WvpAuthError`` naming a missing variable."""
    env = os.environ if environ is None else environ
    password = _secret(config.password, config.password_env, env)
    api_key = _secret(config.api_key, config.api_key_env, env)
    return WvpCredentials(username=config.username, password=password, api_key=api_key)


def _secret(value: SecretStr | None, variable: str | None, env: Mapping[str, str]) -> str | None:
    if value is not None:
        return value.get_secret_value()
    if variable is None:
        return None
    found = env.get(variable)
    if not found:
        raise WvpAuthError(f"environment variable {variable} (the wvp secret named in the config) is not set")
    return found


class WvpChannelRef(Strict):
    """Which wvp channel a camera is: device + channel GB ids (device API), or wvp's channel number.

    ``device_id``/``channel_id`` play through ``/api/play/start/{deviceId}/{channelId}`` and work on
    every wvp 2.x; ``common_id`` is the ``gbId`` of ``/api/common/channel/list`` (wvp's database id,
    not a GB code) and plays through ``/api/common/channel/play?channelId=`` (the 2.7 line, read at 2.7.4).
    """

    device_id: GbIdText | None = Field(default=None, description="GB id of the device/platform in wvp")
    channel_id: GbIdText | None = Field(default=None, description="GB id of the channel under that device")
    common_id: int | None = Field(
        default=None, ge=0, description="wvp's gbId of the channel (common channel API); not a GB code"
    )

    @model_validator(mode="after")
    def _one_address(self) -> Self:
        by_device = self.device_id is not None and self.channel_id is not None
        if (self.device_id is None) != (self.channel_id is None):
            raise ValueError("wvp device_id and channel_id go together")
        if by_device == (self.common_id is not None):
            raise ValueError("give wvp device_id + channel_id, or common_id (one of the two)")
        return self

    @property
    def label(self) -> str:
        """How logs name the channel: ``device/channel`` or ``common:<id>``."""
        if self.common_id is not None:
            return f"common:{self.common_id}"
        return f"{self.device_id}/{self.channel_id}"
