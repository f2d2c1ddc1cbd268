"""MQTT sensor feeds: typed readings from JSON payloads, dead letters for the rest.

Use:

    parser = PayloadParser({"wl-1": SensorKind.WATER_LEVEL}, topic_prefix=config.topic_prefix)
    feed = SensorFeed(config, parser, handler=on_reading, dead_letters=DeadLetterStore(path))
    feed.start()                 # background thread; reconnects with backoff by itself
    feed.wait_connected(10)      # every wait is bounded
    ...
    feed.stop()
"""

from ingest.mqtt.config import MqttConfig
from ingest.mqtt.deadletters import DeadLetter, DeadLetterStore
from ingest.mqtt.errors import PayloadError, SensorFeedError
from ingest.mqtt.feed import FeedStats, SensorFeed
from ingest.mqtt.payload import PayloadParser
from ingest.mqtt.readings import (
    BatteryReading,
    DoorReading,
    GasReading,
    Heartbeat,
    ManholeReading,
    SensorKind,
    SensorReading,
    SmokeReading,
    TemperatureReading,
    WaterLevelReading,
)

__all__ = [
    "BatteryReading",
    "DeadLetter",
    "DeadLetterStore",
    "DoorReading",
    "FeedStats",
    "GasReading",
    "Heartbeat",
    "ManholeReading",
    "MqttConfig",
    "PayloadError",
    "PayloadParser",
    "SensorFeed",
    "SensorFeedError",
    "SensorKind",
    "SensorReading",
    "SmokeReading",
    "TemperatureReading",
    "WaterLevelReading",
]
