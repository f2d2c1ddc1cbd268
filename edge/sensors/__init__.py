"""Sensor rules on the edge box: readings from MQTT become alerts on the shared contract and outbox.

Thresholds with hysteresis and a minimum duration, rate of rise, the device's alarm flags and
silence (→ device_offline); one alert when an episode starts and one when it clears. Their settings
are `edge.config.SensorConfig`.
``SensorWorker`` (edge.sensors.worker) wires feed → rules → outbox; ``gridwatch sensors simulate``
(gridwatch.sensorsim, a tool outside the box) publishes realistic readings.
"""

from edge.sensors.engine import SensorEngine

__all__ = ["SensorEngine"]
