"""Reading time: words per minute for spaced scripts, characters per minute for CJK."""

from __future__ import annotations

import math
import re

WORDS_PER_MINUTE = 230  # adult silent reading of English prose
CJK_CHARS_PER_MINUTE = 500  # Japanese and Chinese text, read by characters, not words
# Kana, CJK ideographs, Hangul syllables and full-width forms: text written without spaces,
# where one character carries about what half a word does elsewhere.
_CJK = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"
)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_MARKUP = re.compile(r"<[^>]*>|!?\[|\]\([^)]*\)|[#*_`>~|]")


def reading_minutes(text: str) -> int:
    """Return the whole minutes a reader needs for Markdown ``text`` (at least 1)."""
    plain = _MARKUP.sub(" ", text or "")
    cjk = len(_CJK.findall(plain))
    words = len(_WORD.findall(_CJK.sub(" ", plain)))
    minutes = words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE
    return max(1, math.ceil(minutes))
