"""Simulated sensors for the demo, tests and benchmarks (`gridwatch sensors simulate`): realistic
readings (`Simulator`) published to a broker and acknowledged (`ReadingPublisher`). A tool, not part
of the edge box: it belongs to the commands layer and ships in no runtime package."""

from gridwatch.sensorsim.publisher import ReadingPublisher
from gridwatch.sensorsim.scenario import Scenario, Simulator

__all__ = ["ReadingPublisher", "Scenario", "Simulator"]
