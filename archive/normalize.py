"""The text normalisation shared by the exact content hash and near-duplicate shingling."""

from __future__ import annotations

import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

__all__ = ["normalize_text"]

# ``\s`` in a str pattern is Unicode-aware: it covers U+3000 (ideographic space), U+00A0 (nbsp),
# line/paragraph separators and the ASCII whitespace. NFKC already maps nbsp and U+3000 to a
# plain space; the regex catches whatever else remains.
_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    r"""Return ``text`` in the canonical form used for hashing and shingling.

    Applies Unicode NFKC (full-width letters and digits become ASCII, compatibility ideographs are
    unified) and then removes all whitespace, including U+3000 and no-break spaces.

    Args:
        text: Any document text.

    Returns:
        The normalised text; empty when ``text`` holds only whitespace.

    Example:
        >>> normalize_text("第一条\u3000 \uff21\uff22\uff23\n\uff11\uff12\uff13")
        '第一条ABC123'
    """
    folded = unicodedata.normalize("NFKC", text)
    return _WHITESPACE.sub("", folded)
