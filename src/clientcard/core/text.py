"""Text as search compares it: forgiving of case, accents, width and script variants.

A business types "jose" and expects "José"; "MULLER" should find "Müller";
full-width letters from a Japanese keyboard are plain ones; and Persian text is
typed with Arabic or Persian keyboards, whose yeh and kaf differ,
with or without diacritics and zero-width non-joiners.  :func:`fold` maps all
of these to one form; searching compares folded texts.

Text entering clientcard (a field value, a tag, a note, a document's name) is
kept in one form as well: :func:`entered` refuses what is not Unicode text and
composes the rest (NFC), so "café" typed on a Mac (``e`` + combining accent)
and on Windows (``é``) is one value, one external id, one tag.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from clientcard.core.errors import ValidationError

#: what :func:`entered` says a value that is not Unicode text should have been
UNICODE_EXPECTED = "valid Unicode text (it holds bytes that are not UTF-8, or a lone surrogate)"


def nfc(text: str) -> str:
    """``text`` composed (Unicode NFC), as clientcard keeps text: cheap when it already is.

    For comparing with text stored before values were composed on entry; it never
    refuses anything (see :func:`entered` for that).
    """
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def entered(text: str, *, field: str, row: int | None = None) -> str:
    """``text`` as clientcard keeps it: the one check of text entering a workspace.

    Refuses with :class:`~clientcard.core.errors.ValidationError` naming
    ``field`` (and ``row``) text that is not valid Unicode: a lone surrogate,
    which is what Python makes of bytes that are not UTF-8 in a command-line
    argument (``--name $'\\xff'``).  Returns the text composed (NFC), so that two
    spellings of one accented letter are one value.  Plain ASCII costs one test.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, text, UNICODE_EXPECTED, row=row) from None
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def entered_all(value: Any, *, field: str, row: int | None = None) -> Any:
    """``value`` with :func:`entered` applied to every text in it: a text, or the texts
    inside lists, tuples, sets and dicts (a multi-choice answer, an address, a saved
    selection), keys included.  An error shows the whole value."""
    try:
        if isinstance(value, str):
            return entered(value, field=field, row=row)
        if value.__class__ in (list, tuple, set, frozenset):
            return value.__class__(entered_all(item, field=field, row=row) for item in value)
        if value.__class__ is dict:
            return {
                entered_all(k, field=field, row=row): entered_all(v, field=field, row=row)
                for k, v in value.items()
            }
    except ValidationError as exc:
        raise ValidationError(field, value, exc.expected, row=row) from None
    return value


#: Arabic letters a Persian text may be typed with, and the Persian letter each stands for
_VARIANTS = str.maketrans(
    {
        "\u064a": "\u06cc",  # arabic yeh -> farsi yeh
        "\u0649": "\u06cc",  # alef maksura -> farsi yeh
        "\u0626": "\u06cc",  # yeh with hamza above -> farsi yeh
        "\u0643": "\u06a9",  # arabic kaf -> keheh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06c0": "\u0647",  # heh with yeh above -> heh
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0622": "\u0627",  # alef with madda above -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0624": "\u0648",  # waw with hamza above -> waw
        "\u0640": None,  # tatweel (a stretch, not a letter)
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
        "\u200e": None,  # left-to-right mark
        "\u200f": None,  # right-to-left mark
        # Persian and Arabic-Indic digits are digits
        **{chr(0x06F0 + n): str(n) for n in range(10)},
        **{chr(0x0660 + n): str(n) for n in range(10)},
    }
)


#: Persian and Arabic-Indic digits, as the ASCII digits they are
DIGITS = str.maketrans(
    {**{chr(0x06F0 + n): str(n) for n in range(10)}, **{chr(0x0660 + n): str(n) for n in range(10)}}
)


def latin_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits as ASCII ones: ``"۱۲۵"`` is ``"125"``.

    What a number typed on a Persian or Arabic keyboard is read through (dates,
    amounts); nothing else in ``text`` changes.
    """
    return text if text.isascii() else text.translate(DIGITS)


def fold(text: str) -> str:
    """``text`` as search compares it: width-, case- and accent-free, one Persian spelling.

    >>> fold("José MÜLLER") == fold("jose muller")
    True
    >>> fold("\u0639\u0644\u064a") == fold("\u0639\u0644\u06cc")  # Ali, two spellings
    True
    """
    # NFKC first: full-width letters and ligatures become plain ones
    text = unicodedata.normalize("NFKC", text).translate(_VARIANTS).casefold()
    if text.isascii():
        return " ".join(text.split())
    # then decompose and drop combining marks: accents, Arabic harakat
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # a Persian letter may decompose too (alef with madda is alef plus madda):
    # compose what is left
    return " ".join(unicodedata.normalize("NFC", bare).translate(_VARIANTS).split())
