"""The links a page makes (a href, script src, link href), for tests that check they resolve."""
from functools import lru_cache
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
    """The page's links. Several tests walk every page of the demo site (thousands of drill pages);
    each page is parsed once per process, and again only when its file changed."""
    status = path.stat()
    return list(_parsed(str(path), status.st_mtime_ns, status.st_size))


@lru_cache(maxsize=None)
def _parsed(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    parser = _Links()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return tuple(parser.hrefs)
