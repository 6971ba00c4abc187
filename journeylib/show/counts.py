"""A count with its noun in the right number, as page sentences say it: ``1 best customer``,
``2 best customers``, ``1,204 users``."""

from __future__ import annotations

__all__ = ["counted", "plural"]


def plural(n: float, singular: str, many: str | None = None) -> str:
    """``singular`` when ``n`` is exactly one, else ``many`` (default: ``singular + "s"``).

    Works for nouns and verbs alike: ``plural(n, "is", "are")``, ``plural(n, "brings",
    "bring")``.

    Examples
    --------
    >>> plural(1, "customer"), plural(0, "customer"), plural(3, "is", "are")
    ('customer', 'customers', 'are')
    """
    return singular if n == 1 else (many if many is not None else singular + "s")


def counted(n: float, singular: str, many: str | None = None) -> str:
    """``n`` with thousands separators and its noun in the right number.

    Examples
    --------
    >>> counted(1, "best customer"), counted(1234, "user"), counted(2, "other", "others")
    ('1 best customer', '1,234 users', '2 others')
    """
    return f"{n:,.0f} {plural(n, singular, many)}"
