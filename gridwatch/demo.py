"""`gridwatch demo`: a short, self-contained run on a sample clip with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from detectors.cli import run_detection
from detectors.config import DetectorConfig

OPENCV_SAMPLE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
CLIP_NAME = "one-by-one-person-detection.mp4"
err = Console(stderr=True)


def sample_clip() -> Path | None:
    """A sample clip: $GRIDWATCH_CLIPS, the shared clips beside the checkout, or OpenCV's sample data."""
    candidates = (
        [Path(os.environ["GRIDWATCH_CLIPS"]) / CLIP_NAME] if os.environ.get("GRIDWATCH_CLIPS") else []
    )
    checkout = Path(__file__).resolve().parents[1]
    candidates += [
        checkout.parent / "shared" / "clips" / CLIP_NAME,
        Path.cwd().parent / "shared" / "clips" / CLIP_NAME,
    ]
    candidates.append(OPENCV_SAMPLE)
    return next((path for path in candidates if path.is_file()), None)


def demo(
    clip: Path | None = typer.Option(None, "--clip", help="Video to run on (default: a sample clip)."),
    out: Path = typer.Option(Path("gridwatch-demo"), "--out", help="Where to write results."),
    fps: float = typer.Option(2.0, "--fps", min=0.1, help="Frames per second to process."),
) -> None:
    """Fetch and convert the default model, detect objects in a sample clip, show where results are."""
    source = clip or sample_clip()
    if source is None:
        err.print(
            "[bold red]error:[/] no sample clip found: pass --clip FILE, set GRIDWATCH_CLIPS, or "
            "`apt-get install opencv-doc` for OpenCV's sample video"
        )
        raise typer.Exit(code=2)
    jsonl, snapshots = out / "detections.jsonl", out / "snapshots"
    err.print(f"GridWatch demo: detecting objects in {source} at {fps:g} fps")
    if "shared/clips" in str(source):
        err.print("Sample videos by Intel IoT DevKit, CC BY 4.0")
    run_detection(str(source), DetectorConfig(), fps=fps, jsonl=str(jsonl), snapshots=snapshots, track=True)
    shots = len(list(snapshots.glob("*.jpg")))
    err.print(f"\n[bold]Results[/]\n  detections (JSON Lines): {jsonl}")
    err.print(f"  {shots} snapshots with boxes and labels: {snapshots}/")
