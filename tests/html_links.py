"""The links a page makes (a href, script src, link href), for tests that check they resolve."""
from html.parser import HTMLParser
from pathlib import Path


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("script", "link") and (attrs.get("src") or attrs.get("href")):
            self.hrefs.append(attrs.get("src") or attrs.get("href"))


def page_links(path: Path) -> list[str]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.hrefs
