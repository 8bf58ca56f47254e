"""The static HTML site: offline, escaped, one shared plotly.min.js."""
import re
from html.parser import HTMLParser
from pathlib import Path

import plotly.offline
import pytest

from reports import formatting as f
from reports.html_site import build_html_site

PAGES = ["index.html", "open-book.html", "system-by-payer.html", "system-by-payer-service-line.html", "eliminations.html", "plan-vs-actual.html", "system-position.html",
         "mh-budget.html", "mhis.html", "variation.html", "funding-consistency.html", "sector-by-recipient.html", "sector-share.html",
         "contracts.html",
         "lead-provider.html", "agency-spend.html", "spend-by-partner.html", "spend-by-service-line.html", "flag-register.html", "data-quality.html",
         "rows-set-aside.html", "failed-checks.html", "partners.html"]


@pytest.fixture
def site(built_once, tmp_path) -> Path:
    return built_once.site("run-42", tmp_path / "site")  # the fixture warehouse's, as build_html_site wrote it


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text):
    p = _Tags()
    p.feed(text)
    return p.tags


def test_every_page_exists(site):
    for page in PAGES:
        assert (site / page).is_file(), page
    assert sorted(p.name for p in site.glob("*.html")) == sorted(PAGES)
    assert not list(site.rglob("*.tmp"))


def test_plotly_js_written_once_and_referenced_relatively(site, con, fx):
    copies = list(site.rglob("plotly*.js"))
    assert copies == [site / "assets" / "plotly.min.js"]
    assert copies[0].read_text(encoding="utf-8") == plotly.offline.get_plotlyjs()
    for page in PAGES:
        text = (site / page).read_text(encoding="utf-8")
        scripts = [a.get("src") for t, a in _tags(text) if t == "script"]
        assert scripts.count("assets/plotly.min.js") == 1, page
        assert len(text) < 300_000, page                    # plotly is not inlined
    stamp = copies[0].stat().st_mtime_ns
    build_html_site(con, fx.PERIOD, site, run_id="again")
    assert copies[0].stat().st_mtime_ns == stamp           # not rewritten


def test_nothing_refers_to_the_internet(site, fx):
    files = [site / p for p in PAGES] + [site / "assets" / "openbook.css",
                                         site / "assets" / "sort-tables.js",
                                         site / "assets" / "filter-tables.js"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer("http", text, flags=re.I):
            # the only 'http' allowed is inside the (escaped) hostile partner name
            assert "HYPERLINK(" in text[max(0, m.start() - 40):m.start()], (path.name, text[m.start() - 60:m.start() + 20])
        for tag, attrs in _tags(text) if path.suffix == ".html" else []:
            for attr in ("src", "href"):
                if attr in attrs:
                    assert "//" not in attrs[attr] and ":" not in attrs[attr], (path.name, attrs)


def test_hostile_text_is_escaped(site, fx):
    for page in PAGES:
        text = (site / page).read_text(encoding="utf-8")
        assert fx.HOSTILE not in text, page
        assert "<img" not in text, page
        assert not any(t == "img" for t, _ in _tags(text)), page
        # the only scripts are the three assets and plotly's own newPlot calls
        scripts = [a for t, a in _tags(text) if t == "script"]
        assert [a["src"] for a in scripts if "src" in a] == ["assets/plotly.min.js", "assets/sort-tables.js",
                                                             "assets/filter-tables.js"], page
    partner = (site / "spend-by-partner.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in partner
    assert "Young People&#x27;s Space &amp; Co" in partner
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; ledger.xlsx" in index


def test_money_is_pounds_with_negatives_in_brackets(site):
    text = (site / "spend-by-service-line.html").read_text(encoding="utf-8")
    assert re.search(r'<td class="num neg" data-v="-5000.75">\(£5,001\)</td>', text)
    assert '<td class="num" data-v="933750.00">£933,750</td>' in text


# Pages with charts (the others are tables only), and those with charts of money.
CHART_PAGES = [p for p in PAGES if p not in ("rows-set-aside.html", "failed-checks.html", "eliminations.html",
                                             "funding-consistency.html", "flag-register.html", "partners.html",
                                             "system-by-payer-service-line.html")]  # tables only
MONEY_CHART_PAGES = [p for p in CHART_PAGES if p not in ("data-quality.html", "sector-by-recipient.html",
                                                        "sector-share.html", "contracts.html")]


def test_tables_sort_and_charts_have_their_figures(site):
    for page in PAGES:
        text = (site / page).read_text(encoding="utf-8")
        assert '<table class="sortable">' in text and "<button type=\"button\">" in text
        charts = text.count("Plotly.newPlot(")
        assert charts >= (1 if page in CHART_PAGES else 0), page
        assert text.count("The figures behind this chart") == charts, page
    js = (site / "assets" / "sort-tables.js").read_text(encoding="utf-8")
    assert "addEventListener(\"click\"" in js


def test_charts_use_okabe_ito_and_label_their_axes(site):
    for page in CHART_PAGES:
        text = (site / page).read_text(encoding="utf-8")
        colours = re.findall(r'"marker":\{"color":"(#[0-9A-Fa-f]{6})"', text)
        assert colours, page
        assert set(colours) <= set(f.OKABE_ITO), page
        for axis in ("xaxis", "yaxis"):
            for m in re.finditer(rf'"{axis}":\{{"title":\{{"text":"([^"]*)"', text):
                assert m.group(1).strip(), (page, axis)
        assert len(re.findall(r'"(xaxis|yaxis)":\{"title":\{"text":"[^"]+"', text)) == 2 * text.count("Plotly.newPlot("), page
        if page in MONEY_CHART_PAGES:
            # in pounds: d3's currency format ("$") with the pound as the charts' locale's currency
            assert re.search(r'"tickformat":"\$[~,]', text), page
            assert re.search(r'"locales": \{"en-GB": \{"format": \{"currency": \["(£|\\u00a3)", ""\]', text), page


def test_failed_checks_show_fields_and_values_not_json(site):
    text = (site / "failed-checks.html").read_text(encoding="utf-8")
    assert ('<td class="prose lines">Posting date: 2025-07-02; Amount: £1,250.50\n'
            'Posting date: 2025-07-03; Amount: (£20.00)</td>') in text
    assert "posting_date" not in text and "[{" not in text


def test_two_builds_of_the_same_data_differ_only_in_their_stamp_file(site, con, fx, tmp_path):
    """The data-as-at, run and time produced are in assets/build-stamp.css, which every page reads:
    every other file of a second build (another run, another time) is byte for byte the first's."""
    again = build_html_site(con, fx.PERIOD, tmp_path / "again", run_id="run-43").parent

    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    first, second = files(site), files(again)
    assert first.keys() == second.keys() and len(first) > len(PAGES)
    assert [name for name in sorted(first) if first[name] != second[name]] == ["assets/build-stamp.css"]
    stamp = first["assets/build-stamp.css"].decode("utf-8")
    # the latest current submission up to the month: L5, loaded at T0 + 4 hours (conftest LOADS)
    assert '--data-as-at: "08 Jul 2025 13:30";' in stamp
    assert " · run run-42 · produced " in stamp and " · run run-43 · produced " in second["assets/build-stamp.css"].decode()
    for page in PAGES:
        text = (site / page).read_text(encoding="utf-8")
        assert 'href="assets/build-stamp.css"' in text and '<span class="stamp-data-as-at"></span>' in text, page
        assert "run-42" not in text, page
