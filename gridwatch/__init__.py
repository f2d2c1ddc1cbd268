"""GridWatch: video and IoT sensing for grassroots governance centres."""

__version__ = "0.1.0"
