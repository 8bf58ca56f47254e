"""The oversight group's workbench: flag decisions (flags), rebalancing scenarios
(scenarios), the counterparty register and its review (counterparties), and their
commands, plus `openbook mapping unmapped` for the mapping owner.

Imports: warehouse and analyst (decisions are read beside the published copy).
"""
