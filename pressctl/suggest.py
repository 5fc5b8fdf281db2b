"""Did-you-mean hints for a name that is not known, worded the same everywhere."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name most like `word`, when one is close enough (difflib's similarity of 0.6 or more)."""
    import difflib  # only when a name is unknown: it is not needed to start up

    guesses = difflib.get_close_matches(word, list(known), n=1)
    return guesses[0] if guesses else None


def did_you_mean(word: str, known: Iterable[str], *, prefix: str = "") -> str | None:
    """"did you mean `press-eu`?", or None when no known name is close."""
    guess = closest(word, known)
    return f"did you mean `{prefix}{guess}`?" if guess is not None else None
