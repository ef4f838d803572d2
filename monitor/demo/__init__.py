"""The synthetic demo stream: seeded source files in several export shapes, plus ground truth."""

from monitor.demo.corpus import DemoCorpusError
from monitor.demo.generator import (
    DemoFile,
    DemoManifest,
    PlantedEvent,
    generate_demo,
    load_demo_corpus,
)

__all__ = [
    "DemoCorpusError",
    "DemoFile",
    "DemoManifest",
    "PlantedEvent",
    "generate_demo",
    "load_demo_corpus",
]
