"""The centre's configuration: county, time zone, event types with SLA classes, holidays.

Loaded once from YAML (`configs/centre.example.yaml`) and passed down explicitly.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from api.errors import ConfigError
from gridwatch.contracts.alert import AlertKind, Severity
from gridwatch.strict import Strict
from gridwatch.yamlfile import load_yaml_mapping, problems


class SlaClass(StrEnum):
    """Ordinary events resolve in working days, complex ones in calendar days."""

    ORDINARY = "ordinary"
    COMPLEX = "complex"


class SlaPolicy(Strict):
    """The deadlines every event gets, counted from when it opened."""

    first_response_hours: float = Field(default=2, gt=0, description="Acknowledge within")
    feedback_hours: float = Field(default=48, gt=0, description="Work under way (in_progress) within")
    ordinary_resolution_working_days: int = Field(default=7, gt=0, description="Resolve within (ordinary)")
    complex_resolution_days: int = Field(default=21, gt=0, description="Resolve within (complex)")


class EventType(Strict):
    """One kind of grid event; alerts of its `alert_kinds` correlate into it (fusion)."""

    name: str = Field(min_length=1, description="Name shown to operators, e.g. 火情烟雾")
    category: str = Field(min_length=1, description="Category for the case system, e.g. safety")
    severity: Severity = Field(description="Base severity; an alert can only raise it")
    sla: SlaClass = Field(default=SlaClass.ORDINARY, description="Resolution clock class")
    window_minutes: float | None = Field(default=None, gt=0, description="Correlation window override")
    alert_kinds: list[AlertKind] = Field(default_factory=list, description="Alert kinds that form it")


class HolidayCalendar(Strict):
    """Public holidays and the weekend days that are worked instead (调休)."""

    holidays: frozenset[date] = Field(default_factory=frozenset, description="Days off")
    workdays: frozenset[date] = Field(default_factory=frozenset, description="Weekend days worked")

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday unless a holiday, or a listed make-up working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day`."""
        while count > 0:
            day += timedelta(days=1)
            count -= self.is_working_day(day)
        return day


class CentreConfig(Strict):
    """Everything the centre decides; see configs/centre.example.yaml."""

    county_code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$", description="Prefix of unified codes")
    county_name: str = Field(min_length=1, description="Name of the county")
    timezone: str = Field(default="Asia/Shanghai", description="Local time zone for codes and clocks")
    default_window_minutes: float = Field(default=10, gt=0, description="Correlation window")
    fallback_type: str = Field(description="Event type for alert kinds no type lists")
    event_types: dict[str, EventType] = Field(min_length=1, description="By type code, e.g. FIRE")
    sla: SlaPolicy = Field(default_factory=SlaPolicy)
    calendar: HolidayCalendar = Field(default_factory=HolidayCalendar)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _types_consistent(self) -> CentreConfig:
        seen: dict[AlertKind, str] = {}
        for code, event_type in self.event_types.items():
            if not code.isalnum() or not code.isupper():
                raise ValueError(f"event type code {code!r} must be upper-case letters/digits")
            for kind in event_type.alert_kinds:
                if kind in seen:
                    raise ValueError(f"alert kind {kind.value!r} is listed by both {seen[kind]} and {code}")
                seen[kind] = code
        if self.fallback_type not in self.event_types:
            raise ValueError(f"fallback_type {self.fallback_type!r} is not an event type")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The local time zone."""
        return ZoneInfo(self.timezone)

    def type_for(self, kind: AlertKind) -> str:
        """The event type code an alert kind correlates into."""
        for code, event_type in self.event_types.items():
            if kind in event_type.alert_kinds:
                return code
        return self.fallback_type

    def window_minutes(self, type_code: str) -> float:
        """The correlation window of a type."""
        override = self.event_types[type_code].window_minutes
        return self.default_window_minutes if override is None else override


def load_centre_config(path: Path) -> CentreConfig:
    """Parse the centre YAML; `calendar_file` and `event_types_file` are read relative to it."""
    data = load_yaml_mapping(path, what="centre config", error=ConfigError)
    for key, target in (("calendar_file", "calendar"), ("event_types_file", "event_types")):
        if key in data:
            included = load_yaml_mapping(path.parent / str(data.pop(key)), what=key, error=ConfigError)
            data[target] = included.get(target, included)
    try:
        return CentreConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"centre config {path} is invalid: {problems(exc)}") from exc
