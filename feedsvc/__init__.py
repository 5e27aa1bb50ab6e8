"""feedsvc: a newspaper's plain-text issues as RSS, Atom and JSON feeds.

Data flow, one module per stage:
    watch → parse → events → store → publish → serve
with `calendar` deciding what is due when, and `wiring` building and connecting the stages.
"""

__version__ = "0.1.0"
