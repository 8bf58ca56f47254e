"""The built-in demo system: two ICSs, twelve submitting partners, 24 months of ledgers
with planted facts. See docs/model.md and `generator.generate_demo`."""
from demo.generator import generate_demo

__all__ = ["generate_demo"]
