"""`gridwatch sensors simulate --config F`: publish realistic sensor readings to the config's broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from edge.config import EdgeConfigError, load_edge_config
from gridwatch.clitools import err, fail
from gridwatch.sensorsim import ReadingPublisher, Scenario, Simulator
from ingest.mqtt.errors import SensorFeedError

app = typer.Typer(help="MQTT sensors: simulate readings for the demo and tests.", no_args_is_help=True)


@app.command("simulate")
def simulate(
    config: Path = typer.Option(..., "--config", "-c", help="Edge YAML with mqtt and sensors sections."),
    duration: float = typer.Option(120.0, "--duration", min=0.1, help="Simulated seconds to run."),
    interval: float = typer.Option(1.0, "--interval", min=0.01, help="Seconds between reading rounds."),
    silent: str | None = typer.Option(None, "--silent", help="Sensor silent from halfway (default: last)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the noise."),
    fast: bool = typer.Option(False, "--fast", help="Do not wait between rounds (readings keep their ts)."),
) -> None:
    """Publish noise, a rising water level, a smoke alarm and a sensor going silent, in real time."""
    try:
        settings = load_edge_config(config)
    except EdgeConfigError as exc:
        raise fail(str(exc)) from exc
    if settings.mqtt is None or not settings.sensors:
        raise fail(f"{config} lists no sensors (needs both an mqtt section and a sensors list)")
    ids = [sensor.id for sensor in settings.sensors]
    if silent is not None and silent not in ids:
        raise fail(f"--silent {silent!r} is not a sensor of {config}; sensors: {', '.join(ids)}")
    scenario = Scenario(duration, interval, silent or ids[-1], seed)
    simulator = Simulator(settings.sensors, topic_prefix=settings.mqtt.topic_prefix, scenario=scenario)
    client_id = f"{settings.mqtt.client_id[:48]}-simulator"
    sent, started = 0, time.monotonic()
    try:
        with ReadingPublisher(settings.mqtt, client_id=client_id) as publisher:
            start = datetime.now(UTC) - (timedelta(seconds=duration) if fast else timedelta())
            for step, messages in simulator.rounds(start):  # --fast: times end now, none in the future
                sent += publisher.publish(messages, timeout=settings.mqtt.connect_timeout_s)
                if not fast:
                    time.sleep(max(0.0, started + (step + 1) * interval - time.monotonic()))
    except SensorFeedError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    err.print(f"published {sent} messages for {len(ids)} sensors over {scenario.steps} rounds "
              f"(silent from halfway: {scenario.silent})")  # fmt: skip
