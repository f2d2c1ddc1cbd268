"""The shape of `/v1/stats`: the first six fields are the original response, the rest were added."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class SlaCompliance(BaseModel):
    """Share of events that met each deadline, among those whose outcome is known."""

    ack_met: float | None = Field(description="Acknowledged in time / acknowledged or overdue")
    feedback_met: float | None = Field(
        default=None, description="Work started (feedback) in time / started or overdue"
    )
    resolution_met: float | None = Field(description="Resolved in time / resolved or overdue")


class Overdue(BaseModel):
    """Open events past a deadline; one event may be late on several deadlines at once."""

    total: int = Field(description="Open events past any deadline")
    ack: int = Field(description="Not acknowledged by the acknowledgement deadline")
    feedback: int = Field(description="Work not started by the feedback deadline")
    resolution: int = Field(description="Not resolved by the resolution deadline")


class DayCount(BaseModel):
    """Events created and resolved on one local day (the centre's time zone)."""

    day: date
    created: int
    resolved: int


class Satisfaction(BaseModel):
    """Closing ratings (1–5) given when events were closed."""

    rated: int = Field(description="Events closed with a rating")
    mean: float | None = Field(description="Mean rating; None when none was given")
    by_rating: dict[str, int] = Field(description="How many events got each rating")


class TownshipLoad(BaseModel):
    """Events of one 乡 (township); events outside every township under code '-'."""

    code: str
    name: str
    total: int
    open: int
    overdue: int


class WorkerLoad(BaseModel):
    """Events assigned to one grid worker."""

    worker: str
    total: int
    open: int
    overdue: int
    resolved: int = Field(description="Resolved or closed")


class Stats(BaseModel):
    """The numbers an operator's dashboard shows."""

    total: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    by_grid: dict[str, int] = Field(description="By 网格 cell; events outside every cell under '-'")
    sla: SlaCompliance
    median_ack_seconds: float | None
    median_resolve_seconds: float | None = Field(default=None, description="Created → resolved")
    open: int = Field(default=0, description="Events not yet resolved, closed or dismissed")
    open_by_type: dict[str, int] = Field(default_factory=dict)
    overdue: Overdue | None = None
    townships: list[TownshipLoad] = Field(default_factory=list, description="By 乡, most open first")
    trend_7d: list[DayCount] = Field(default_factory=list, description="Last 7 local days, oldest first")
    trend_30d: list[DayCount] = Field(default_factory=list, description="Last 30 local days, oldest first")
    satisfaction: Satisfaction | None = None
    workers: list[WorkerLoad] = Field(default_factory=list, description="By assigned worker, most open first")
    as_of: datetime | None = Field(default=None, description="The time the numbers were computed for")
