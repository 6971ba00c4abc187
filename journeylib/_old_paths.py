"""The flat layout's import paths, kept working: ``journeylib.io`` is
:mod:`journeylib.engine.read.events`, and so on for every module that moved into a folder.

The modules whose old name is now a folder's (``journeylib.funnels``, ``journeylib.clv``, ...)
need no entry: the folder hands on the old module's public names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

#: Old import path -> the module that holds it now.
MOVED: dict[str, str] = {
    "journeylib._best_stats": "journeylib.best._stats",
    "journeylib._cohorts": "journeylib.engine.cohorts",
    "journeylib._exact": "journeylib.engine.exact_tests",
    "journeylib._intervals": "journeylib.engine.intervals",
    "journeylib._kernel": "journeylib.report.kernels",
    "journeylib._lifetimes": "journeylib.clv._lifetimes",
    "journeylib._report_html": "journeylib.report.html",
    "journeylib._report_nav": "journeylib.report.nav",
    "journeylib._report_schedule": "journeylib.report.schedule",
    "journeylib._report_staging": "journeylib.report.staging",
    "journeylib._report_trend": "journeylib.report.trend",
    "journeylib._week_check": "journeylib.report.week_check",
    "journeylib.abandonment": "journeylib.funnels.abandonment",
    "journeylib.abreadout": "journeylib.funnels.abreadout",
    "journeylib.abtest": "journeylib.funnels.abtest",
    "journeylib.accounting": "journeylib.engine.read.accounting",
    "journeylib.acquisition": "journeylib.journey.acquisition",
    "journeylib.appendix": "journeylib.show.appendix",
    "journeylib.attribution": "journeylib.journey.attribution",
    "journeylib.backend": "journeylib.engine.backend",
    "journeylib.best_start": "journeylib.best.start",
    "journeylib.bounce": "journeylib.engine.bounce",
    "journeylib.cleaning": "journeylib.engine.cleaning",
    "journeylib.clv_intervals": "journeylib.clv.intervals",
    "journeylib.clv_report": "journeylib.clv.report",
    "journeylib.clv_summary": "journeylib.clv.summary",
    "journeylib.clv_validation": "journeylib.clv.validation",
    "journeylib.clv_value": "journeylib.clv.value",
    "journeylib.coerce": "journeylib.engine.read.coerce",
    "journeylib.controls": "journeylib.engine.read.controls",
    "journeylib.correlation": "journeylib.funnels.correlation",
    "journeylib.crosssell": "journeylib.best.crosssell",
    "journeylib.decimals": "journeylib.engine.read.decimals",
    "journeylib.derived": "journeylib.engine.read.derived",
    "journeylib.display": "journeylib.show.display",
    "journeylib.duplicates": "journeylib.engine.read.duplicates",
    "journeylib.durations": "journeylib.engine.durations",
    "journeylib.eventlog": "journeylib.engine.eventlog",
    "journeylib.exports": "journeylib.show.exports",
    "journeylib.figure_alt": "journeylib.show.figure_alt",
    "journeylib.file_times": "journeylib.engine.read.file_times",
    "journeylib.findings": "journeylib.overview.findings",
    "journeylib.findings_best": "journeylib.best.findings",
    "journeylib.findings_funnel": "journeylib.funnels.findings",
    "journeylib.findings_journey": "journeylib.journey.findings",
    "journeylib.findings_retention": "journeylib.retention.findings",
    "journeylib.findings_why": "journeylib.funnels.findings_why",
    "journeylib.fit_notes": "journeylib.show.fit_notes",
    "journeylib.flags": "journeylib.engine.read.flags",
    "journeylib.formats": "journeylib.engine.read.formats",
    "journeylib.funnel_controls": "journeylib.funnels.controls",
    "journeylib.funnel_match": "journeylib.funnels.match",
    "journeylib.funnel_trends": "journeylib.funnels.trends",
    "journeylib.ga4_nested": "journeylib.engine.read.ga4",
    "journeylib.glossary": "journeylib.show.glossary",
    "journeylib.inert": "journeylib.show.inert",
    "journeylib.io": "journeylib.engine.read.events",
    "journeylib.journey_page": "journeylib.journey.page",
    "journeylib.lifecycle": "journeylib.retention.lifecycle",
    "journeylib.localtime": "journeylib.engine.read.localtime",
    "journeylib.logspec": "journeylib.engine.read.spec",
    "journeylib.mapping": "journeylib.engine.read.mapping",
    "journeylib.notebook": "journeylib.report.notebook",
    "journeylib.onpath": "journeylib.best.on_the_path",
    "journeylib.opening": "journeylib.engine.read.files",
    "journeylib.order_gaps": "journeylib.retention.order_gaps",
    "journeylib.ordered": "journeylib.engine.ordered",
    "journeylib.orders": "journeylib.engine.read.orders",
    "journeylib.path_analysis": "journeylib.funnels.paths",
    "journeylib.patterns": "journeylib.best.patterns",
    "journeylib.periods": "journeylib.engine.periods",
    "journeylib.plots": "journeylib.overview.plots",
    "journeylib.plots_best": "journeylib.best.plots",
    "journeylib.plots_clv": "journeylib.clv.plots",
    "journeylib.plots_funnel": "journeylib.funnels.plots",
    "journeylib.plots_journey": "journeylib.journey.plots",
    "journeylib.plots_retention": "journeylib.retention.plots",
    "journeylib.plots_why": "journeylib.funnels.plots_why",
    "journeylib.privacy": "journeylib.engine.privacy",
    "journeylib.report_kpis": "journeylib.report.kpis",
    "journeylib.retention_report": "journeylib.retention.report",
    "journeylib.schema": "journeylib.engine.schema",
    "journeylib.sections": "journeylib.show.sections",
    "journeylib.sessions": "journeylib.engine.sessions",
    "journeylib.sources": "journeylib.engine.read.sources",
    "journeylib.sources_spark": "journeylib.engine.read.spark",
    "journeylib.stages": "journeylib.engine.stages",
    "journeylib.step_names": "journeylib.funnels.step_names",
    "journeylib.steps": "journeylib.funnels.steps",
    "journeylib.story": "journeylib.show.story",
    "journeylib.tables": "journeylib.show.tables",
    "journeylib.timerange": "journeylib.engine.read.timerange",
    "journeylib.vocabulary": "journeylib.engine.read.vocabulary",
    "journeylib.why_drop": "journeylib.funnels.why_drop",
    "journeylib.widgets": "journeylib.show.widgets",
}


class _OldPathFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``journeylib.<old>`` as the module that now holds it (one module, two names)."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was imported under its new name."""


class _Package(ModuleType):
    """journeylib itself: importing an old module path whose name is also a public function
    (``journeylib.sessions``, ``journeylib.lifecycle``) leaves the function in place."""

    def __setattr__(self, name: str, value: object) -> None:
        public = name in getattr(self, "__all__", ())
        if public and isinstance(value, ModuleType) and f"journeylib.{name}" in MOVED:
            return
        super().__setattr__(name, value)


def install(package: ModuleType) -> None:
    """Let the old import paths resolve (once per interpreter)."""
    package.__class__ = _Package
    if not any(isinstance(finder, _OldPathFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _OldPathFinder())  # before any finder of an older install


def old_module(name: str) -> ModuleType:
    """``journeylib.<name>`` for an old module name, as ``journeylib.__getattr__`` hands it on."""
    full = f"journeylib.{name}"
    if full not in MOVED:
        raise AttributeError(f"module 'journeylib' has no attribute {name!r}")
    return importlib.import_module(full)
