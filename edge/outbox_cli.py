"""`gridwatch edge outbox list|retry|drop|clips|clips-retry --config F`: the edge box's outbox.

They work on `<data_dir>/outbox.db` of the edge config, also while the worker runs (SQLite WAL): a
retried alert is sent at the publisher's next round, a dropped one is never sent. Ids are alert ids
as `list` shows them; an id the outbox does not hold, or holds as delivered, exits 2 naming it and
changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from edge.cli_common import existing_outbox
from edge.clips.cli import list_clips, retry_clips
from edge.outbox import AlertState, Entry, Outbox
from gridwatch.clitools import err, fail

app = typer.Typer(
    help="The edge box's outbox: alerts (and clips) not delivered yet; send parked ones again; drop alerts.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)

CONFIG = typer.Option(..., "--config", "-c", help="Edge YAML: its data_dir holds the outbox.")
IDS = typer.Argument(None, help="Alert ids, as `gridwatch edge outbox list` shows them.")
ALL_PARKED = typer.Option(False, "--all-parked", help="Every parked alert.")
DROPPED_BY_OPERATOR = "dropped by an operator (gridwatch edge outbox drop)"


@app.command("list")
def list_alerts(
    config: Path = CONFIG,
    state: AlertState | None = typer.Option(
        None, "--state", help="Only this state (default: all undelivered)."
    ),
    limit: int = typer.Option(1000, "--limit", min=1, help="At most this many, oldest first."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table."),
) -> None:
    """Alerts not delivered yet: id, kind, state, attempts, next attempt, reason."""
    outbox = _open(config)
    try:
        entries, counts = outbox.entries(state=state, limit=limit), outbox.counts()
    finally:
        outbox.close()
    if as_json:
        for entry in entries:
            out.print_json(json.dumps(_as_dict(entry)), indent=None)
        return
    table = Table(title=f"outbox {outbox.path}")
    for column in ("id", "kind", "state", "attempts", "next attempt", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(e.alert_id, e.kind, e.state.value, str(e.attempts), _when(e.next_attempt_at), e.reason)
    out.print(table)
    out.print(", ".join(f"{name}: {count}" for name, count in counts.items()))


@app.command("retry")
def retry(alert_ids: list[str] | None = IDS, config: Path = CONFIG, all_parked: bool = ALL_PARKED) -> None:
    """Send these alerts again as soon as possible (parked ones are unparked, backoff starts over)."""
    outbox = _open(config)
    try:
        chosen = _choose(outbox, alert_ids or [], all_parked=all_parked)
        outbox.retry(chosen)
    finally:
        outbox.close()
    err.print(f"{len(chosen)} alert(s) will be sent again: {', '.join(chosen) or '-'}", highlight=False)


@app.command("drop")
def drop(alert_ids: list[str] | None = IDS, config: Path = CONFIG, all_parked: bool = ALL_PARKED) -> None:
    """Forget these alerts for good (each is recorded in the outbox's dropped table)."""
    outbox = _open(config)
    try:
        chosen = _choose(outbox, alert_ids or [], all_parked=all_parked)
        outbox.drop(chosen, DROPPED_BY_OPERATOR)
    finally:
        outbox.close()
    err.print(f"{len(chosen)} alert(s) dropped: {', '.join(chosen) or '-'}", highlight=False)


app.command("clips")(list_clips)
app.command("clips-retry")(retry_clips)


def _open(config: Path) -> Outbox:
    settings, path = existing_outbox(config)
    return Outbox(path, settings.outbox)


def _choose(outbox: Outbox, alert_ids: list[str], *, all_parked: bool) -> list[str]:
    """The ids to act on; exits 2 naming ids the outbox does not hold or already delivered."""
    if all_parked:
        alert_ids = [*alert_ids, *(e.alert_id for e in outbox.entries(state=AlertState.PARKED, limit=10**9))]
    if not alert_ids:
        raise fail("give alert ids or --all-parked")
    states = outbox.states(alert_ids)
    unknown = [a for a in alert_ids if a not in states]
    if unknown:
        raise fail(f"unknown alert id(s) in {outbox.path}: {', '.join(unknown)}")
    delivered = [a for a in alert_ids if states[a] is AlertState.DELIVERED]
    if delivered:
        raise fail(f"already delivered, nothing to do: {', '.join(delivered)}")
    return list(dict.fromkeys(alert_ids))


def _as_dict(entry: Entry) -> dict[str, object]:
    return {
        "id": entry.alert_id, "kind": entry.kind, "severity": entry.severity, "state": entry.state.value,
        "attempts": entry.attempts, "queued_at": entry.queued_at.isoformat(),
        "next_attempt_at": None if entry.next_attempt_at is None else entry.next_attempt_at.isoformat(),
        "reason": entry.reason,
    }  # fmt: skip


def _when(at: datetime | None) -> str:
    return "-" if at is None else at.astimezone().isoformat(timespec="seconds")
