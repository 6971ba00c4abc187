"""Which sections of a report page a log can give, and the one line shown for each it cannot.

A page's ``analyze`` computes everything the page shows and records here, per section, either
nothing (the section is shown) or one sentence in plain words: what is missing and which
column or mapping would give it. A notebook asks :meth:`Sections.shows` before drawing a
section: the first time it asks about a section that cannot be shown, the sentence is
displayed; every later cell of that section shows nothing. So a log without a ``device``
column gets one line where the device outcomes would be, not an error and not a line per
cell.

Examples
--------
>>> s = Sections()
>>> s.attempt("devices", "Outcomes by first device", len, [1, 2])
2
>>> s.missing("attribution", needs_column("channel", "Attribution to channels"))
>>> s.note("attribution")
'Attribution to channels not shown: the log has no channel column (map one as "channel"...'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..engine.cleaning import NotComputable

__all__ = ["Sections", "display_line", "needs_column", "not_shown"]

T = TypeVar("T")


def needs_column(column: str, what: str) -> str:
    """The sentence for a section that needs a ``column`` the log lacks."""
    return not_shown(
        what, f'the log has no {column} column (map one as "{column}" in the column mapping)'
    )


def not_shown(what: str, why: str) -> str:
    """``"<what> not shown: <why>."``, one line (``why`` from an error message or words)."""
    why = " ".join(str(why).split()).rstrip(".")
    return f"{what} not shown: {why}."


@dataclass
class Sections:
    """The sections of one page that cannot be shown, each with its sentence."""

    notes: dict[str, str] = field(default_factory=dict)
    _said: set[str] = field(default_factory=set, repr=False)

    def missing(self, section: str, sentence: str) -> None:
        """Record that ``section`` cannot be shown (the first reason given stays)."""
        self.notes.setdefault(section, sentence)

    def computable(self, section: str) -> bool:
        """Whether ``section`` can be shown."""
        return section not in self.notes

    def note(self, section: str) -> str | None:
        """The sentence of a section that cannot be shown, else None."""
        return self.notes.get(section)

    def attempt(
        self, section: str, what: str, compute: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T | None:
        """``compute(*args, **kwargs)``, or None when it raises
        :class:`~journeylib.engine.cleaning.NotComputable` (then ``section`` is missing, with the
        error's reason after ``what``)."""
        if not self.computable(section):
            return None
        try:
            return compute(*args, **kwargs)
        except NotComputable as err:
            self.missing(section, not_shown(what, str(err)))
            return None

    def tell(self, section: str) -> str | None:
        """The sentence of a section that cannot be shown, for a page's findings, else None.

        Once told, the section's cells show nothing (:meth:`shows` returns False without
        displaying the sentence again): the page says it once, in its findings.
        """
        sentence = self.note(section)
        if sentence is not None:
            self._said.add(section)
        return sentence

    def shows(self, section: str) -> bool:
        """In a notebook: True when ``section`` can be shown; else display its sentence the
        first time (one line, in Markdown emphasis) and return False."""
        sentence = self.note(section)
        if sentence is None:
            return True
        if section not in self._said:
            self._said.add(section)
            display_line(sentence)
        return False


def display_line(sentence: str) -> None:
    """Show ``sentence`` as one line of a page (data text escaped, e-mail addresses hidden)."""
    import html

    from IPython.display import Markdown, display

    from ..engine.privacy import redact

    text = html.escape(redact(" ".join(sentence.split())), quote=False).replace("*", r"\*")
    display(Markdown(f"*{text}*"))
