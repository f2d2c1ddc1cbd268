"""Event bodies: summary, detail, history, actions, alert acceptance."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.logic.lifecycle import Action, Status
from api.logic.verdicts import FalseAlarm, VerdictKind
from gridwatch.contracts.alert import NO_NUL


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlertAccepted(BaseModel):
    """The answer to `POST /v1/alerts`; a retry with the same alert id gets the same body."""

    alert_id: str
    event_code: str = Field(description="Unified code (统一编码) of the event the alert belongs to")
    outcome: Literal["opened", "joined"] = Field(description="Opened a new event or joined an open one")
    cell_code: str | None = Field(description="网格 cell holding the alert; null outside every cell")


class EventOut(_Out):
    """An event as listed and as sent to webhooks."""

    code: str
    type_code: str
    category: str
    severity: str
    status: Status
    cell_code: str | None
    grid_path: str
    located: bool = Field(description="False when the alert lay outside every cell (flagged)")
    clock_flagged: bool = Field(
        description="True when an alert's observed_at lay outside the centre's window (flagged); its "
        "first/last seen then count that alert at the time the centre received it"
    )
    lon: float
    lat: float
    first_seen: datetime
    last_seen: datetime
    alert_count: int
    created_at: datetime
    ack_due: datetime
    feedback_due: datetime
    resolution_due: datetime
    acknowledged_at: datetime | None
    in_progress_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    responsible_grid: str | None
    department: str | None
    worker: str | None
    feedback: str | None
    rating: int | None
    dismiss_reason: str | None
    legal_hold: bool = False


class HistoryOut(_Out):
    """One entry of an event's append-only history."""

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str
    data: dict[str, Any]


class EventAlertOut(_Out):
    """An alert of an event, with a pointer to its evidence."""

    alert_id: str
    device_id: str
    source_id: str
    kind: str
    severity: str
    observed_at: datetime = Field(description="As the device reported it")
    received_at: datetime
    clock_flag: Literal["past", "future"] | None = Field(
        description="observed_at lay this far outside the centre's window; correlated by received_at"
    )
    lon: float
    lat: float
    payload: dict[str, Any]
    evidence_url: str | None = None
    clip: ClipOut | None = None


class ClipOut(BaseModel):
    """An alert's evidence clip: where to play it and what it is."""

    url: str
    sha256: str
    size: int
    duration_s: float
    started_at: datetime
    alert_offset_s: float
    truncated: bool


class SupervisionOut(_Out):
    """A 督办 record."""

    deadline: str
    due_at: datetime
    at: datetime
    from_level: int
    to_level: int
    grid_code: str | None
    note: str


class EventDetail(BaseModel):
    """An event with its alerts, evidence links, history and 督办 records."""

    event: EventOut
    alerts: list[EventAlertOut]
    history: list[HistoryOut]
    supervisions: list[SupervisionOut]
    allowed_actions: list[Action]
    verdicts: list[VerdictOut] = Field(default_factory=list, description="Operator verdicts on its alerts")


class EventPage(BaseModel):
    """One page of events; pass `next_cursor` back as `cursor` for the next page."""

    items: list[EventOut]
    next_cursor: str | None


class CommentIn(BaseModel):
    """A comment on an event."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1, max_length=2000, pattern=NO_NUL, description="What to say; kept in the history"
    )

    @model_validator(mode="after")
    def _not_blank(self) -> CommentIn:
        if not self.text.strip():
            raise ValueError("text must not be blank")
        return self


class VerdictIn(BaseModel):
    """Why a dismissed event's alerts needed no handling; stored per alert."""

    model_config = ConfigDict(extra="forbid")

    kind: VerdictKind
    false_alarm: FalseAlarm | None = Field(default=None, description="false_alarm: what was wrong")
    duplicate_of: str | None = Field(
        default=None, max_length=64, pattern=NO_NUL, description="duplicate: the other event"
    )

    @model_validator(mode="after")
    def _detail_fits_kind(self) -> VerdictIn:
        if (self.kind is VerdictKind.FALSE_ALARM) != (self.false_alarm is not None):
            raise ValueError(
                "false_alarm (wrong_object, nothing_there, out_of_area) goes with kind false_alarm"
            )
        if self.duplicate_of is not None and self.kind is not VerdictKind.DUPLICATE:
            raise ValueError("duplicate_of goes only with kind duplicate")
        return self


class VerdictOut(_Out):
    """A verdict on one alert, with what produced the alert."""

    event_code: str
    alert_id: str
    verdict: VerdictKind
    false_alarm: FalseAlarm | None
    duplicate_of: str | None
    note: str
    device_id: str
    source_id: str = Field(description="Camera or sensor id")
    rule: str | None
    model_name: str | None
    model_version: str | None
    label: str | None = Field(description="Label of the alert's best box")
    score: float | None
    observed_at: datetime
    actor: str
    at: datetime
    withdrawn_at: datetime | None = Field(description="Set when the event was reopened")

    @classmethod
    def of(cls, row: Any, event_code: str) -> VerdictOut:
        """From an `AlertVerdict` row and its event's code."""
        fields = {name: getattr(row, name) for name in cls.model_fields if name != "event_code"}
        return cls.model_validate({**fields, "event_code": event_code})


class VerdictPage(BaseModel):
    """One page of verdicts; pass `next_cursor` back as `cursor` for the next page."""

    items: list[VerdictOut]
    next_cursor: str | None


class ActionIn(BaseModel):
    """An action on an event; the fields needed depend on the action."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    note: str = Field(default="", max_length=2000, pattern=NO_NUL)
    department: str | None = Field(
        default=None, max_length=128, pattern=NO_NUL, description="dispatch: department"
    )
    worker: str | None = Field(default=None, max_length=128, pattern=NO_NUL, description="dispatch: worker")
    feedback: str | None = Field(default=None, max_length=4000, pattern=NO_NUL, description="close: feedback")
    rating: int | None = Field(default=None, ge=1, le=5, description="close: satisfaction 1–5")
    reason: str | None = Field(default=None, max_length=2000, pattern=NO_NUL, description="dismiss: why")
    verdict: VerdictIn | None = Field(default=None, description="dismiss: the verdict, stored per alert")

    @model_validator(mode="after")
    def _needed_fields(self) -> ActionIn:
        if self.action is Action.DISPATCH and not (self.department or self.worker):
            raise ValueError("dispatch needs a department or a worker")
        if self.action is Action.CLOSE and (self.rating is None or not self.feedback):
            raise ValueError("close needs feedback and a rating from 1 to 5")
        if self.action is Action.DISMISS and not (self.reason or self.verdict):
            raise ValueError("dismiss needs a reason or a verdict")
        if self.verdict is not None and self.action is not Action.DISMISS:
            raise ValueError("a verdict goes only with dismiss")
        return self
