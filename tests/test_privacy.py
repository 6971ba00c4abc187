"""Pseudonymous ids and redacted e-mail addresses in tables, findings and exports."""

import pandas as pd
import pytest

from journeylib.engine import privacy
from journeylib.overview import findings
from journeylib.report.salt import id_salt as _id_salt
from journeylib.show import tables


def test_ids_stay_when_none_looks_like_an_email():
    ids = pd.Series(["u1", "u2", None])
    assert privacy.pseudonymous(ids) is ids


def test_email_like_ids_are_all_hashed_consistently():
    ids = pd.Series(["jane@shop.com", "u2", "jane@shop.com", None])
    out = privacy.pseudonymous(ids)
    assert out[0] == out[2] != out[1]
    assert out[3] is None
    assert out[:3].str.fullmatch(r"h[0-9a-f]{16}").all()
    assert out[0] == privacy.pseudonym("jane@shop.com")


def test_the_salt_changes_every_pseudonym(monkeypatch):
    monkeypatch.setenv(privacy.SALT_ENV, "one")
    first = privacy.pseudonym("jane@shop.com")
    monkeypatch.setenv(privacy.SALT_ENV, "two")
    assert privacy.pseudonym("jane@shop.com") != first


def test_addresses_inside_text_are_replaced():
    text = "spring promo by jane.doe+news@mail.shop.co.uk, ends Friday"
    out = privacy.redact(text)
    assert "@" not in out and "jane" not in out
    hashed = privacy.pseudonym("jane.doe+news@mail.shop.co.uk")
    assert out == f"spring promo by {hashed}, ends Friday"


def test_redact_frame_pseudonymises_id_columns_and_redacts_text():
    frame = pd.DataFrame(
        {"user_id": ["a@b.io", "c"], "campaign": ["x from a@b.io", None], "orders": [1, 2]}
    )
    out = privacy.redact_frame(frame)
    assert out.user_id.tolist() == [privacy.pseudonym("a@b.io"), privacy.pseudonym("c")]
    assert out.campaign[0] == f"x from {privacy.pseudonym('a@b.io')}"
    assert pd.isna(out.campaign[1])
    assert frame.user_id[0] == "a@b.io", "the caller's frame is left alone"
    clean = pd.DataFrame({"user_id": ["u1"]})
    assert privacy.redact_frame(clean) is clean


def test_styled_tables_escape_markup_and_hide_addresses():
    frame = pd.DataFrame(
        {"user_id": ["jane@shop.com"], "product": ["<script>alert(1)</script>"], "n": [12345]}
    )
    html = tables.styled(frame, integer=["n"]).to_html()
    assert "jane@shop.com" not in html and "@" not in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "12,345" in html


def test_findings_escape_markup_and_hide_addresses():
    md = findings.as_markdown(["Campaign <b>x</b> by jane@shop.com converts 3.1%."]).data
    assert "<b>" not in md and "&lt;b&gt;" in md
    assert "jane@shop.com" not in md and "3.1%" in md


def test_the_runner_keeps_one_private_salt_per_reports_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(privacy.SALT_ENV, raising=False)
    with _id_salt(tmp_path):
        first = privacy.pseudonym("jane@shop.com")
    assert (tmp_path / ".id_salt").stat().st_mode & 0o077 == 0
    with _id_salt(tmp_path):
        assert privacy.pseudonym("jane@shop.com") == first
    assert privacy.pseudonym("jane@shop.com") != first  # default salt outside a run


@pytest.mark.parametrize("text", ["no address", "user@", "@handle", "a@b"])
def test_what_is_not_an_address(text):
    assert privacy.redact(text) == text


def test_numbers_nobody_asked_to_format_still_read_well():
    frame = pd.DataFrame(
        {"p_value": [0.0412, 0.00001], "score": [1.23456, 0.0123456], "n": [12345, 7], "k": [3, 4]}
    )
    html = tables.styled(frame).to_html()
    for text in ("0.041", "&lt; 0.001", "1.23", "0.012", "12,345", ">3<"):
        assert text in html, text
    assert "0.0412" not in html and "1.23456" not in html
