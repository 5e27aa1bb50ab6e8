from typing import Any

# https://feedgen.kiesow.be/api.feed.html: many setters that are also getters, with loosely typed arguments.
class FeedGenerator:
    def __getattr__(self, name: str) -> Any: ...
