"""chatter-monitor: an NLP monitor for extremist-chatter trends."""

__version__ = "0.1.0"
