"""The deterministic sample data generator (see seeds/README.md)."""

from orchestration.sample_data.generator import ARCHETYPES, generate

__all__ = ["ARCHETYPES", "generate"]
