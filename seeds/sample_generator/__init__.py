"""The deterministic sample data generator (see seeds/README.md)."""

from sample_generator.generator import ARCHETYPES, generate

__all__ = ["ARCHETYPES", "generate"]
