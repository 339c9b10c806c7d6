"""Words of names written in two scripts: is زهرا the Zahra of a Latin card?

A customer may be entered once in Persian letters and once in Latin ones
(``زهرا محمدی``, ``Zahra Mohammadi``), or in Cyrillic and Latin.  Duplicate
detection compares such words here, one word of each script, and gets a
similarity as for two words of one script:

- **Alphabets** (Latin, Cyrillic, Greek, and any other script whose words
  write their vowels): both words are read in Latin letters (anyascii) and
  compared as Latin words are, typos allowed (``Иван`` is ``ivan``).
- **Abjads** (Arabic script, for Persian and Arabic, and Hebrew) leave short
  vowels out: ``زهرا`` is z-h-r-a.  Each letter of a word in one has its
  Latin spellings (a consonant its usual ones, ``ی`` "y", "i" or "ee", a
  short vowel or none between two letters), and the other word, in Latin
  letters, must be spelt by them, every letter of both accounted for.  So
  ``حسین`` is "Hossein", "Hosein" or "Hoseyn" but not "Hassan" (حسن), whose
  consonants are the same: words that agree only in their consonants are
  :data:`CONSONANTS_ONLY` similar, which a first name of a family member must
  not pass for.

The Latin spelling of Persian names is the model (``ض`` is "z", ``ق`` is "gh"
or "q"); the usual Arabic spellings are allowed where they differ by a letter
(``ض`` is also "d", ``ث`` also "th").  Everything is worked out once per word.
"""

# ruff: noqa: RUF001 (the tables hold Arabic and Hebrew letters, some looking Latin)

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

#: scripts that leave short vowels out
ABJADS = frozenset({"ARABIC", "HEBREW"})
#: the similarity of two words in two scripts whose consonants agree but not
#: their vowels (Hassan and حسین, Hossein): partly similar, as another name is
CONSONANTS_ONLY = 0.75

#: letters and pairs as one sound, in the Latin reading of a word (upper case:
#: a sound that Latin spells with two letters)
_SOUNDS = {
    "kh": "K",
    "gh": "G",
    "q": "G",
    "sh": "S",
    "ch": "C",
    "zh": "Z",
    "ph": "f",
    "th": "t",
    "dh": "d",
    "ck": "k",
    "tz": "T",
    "ts": "T",
    "c": "k",
    "x": "ks",
    "w": "v",
}
_SOUND = re.compile("|".join(sorted(_SOUNDS, key=len, reverse=True)))
_NOT_LETTER = re.compile("[^a-z]")
#: one way a letter can be spelt: a letter among these, at least once (1) or
#: possibly not (0), and possibly repeated ("Mohammad" doubles the m)
Spelling = tuple[frozenset[str], int, bool]
#: the ways one letter of an abjad can be spelt in Latin letters
Letter = tuple[Spelling, ...]

_VOWEL = frozenset("aeiou")
#: a short vowel or none, which an abjad does not write
_SHORT: Letter = ((_VOWEL, 0, True),)


def _consonant(spelt: str) -> Letter:
    return ((frozenset(spelt), 1, True),)


def _either(*ways: tuple[str, bool]) -> Letter:
    return tuple((frozenset(letters), 1, repeated) for letters, repeated in ways)


#: consonant letters of the abjads, each as the first letters of its Latin spellings
#: (in the reading :func:`latin` gives: "K" is kh, "G" gh or q, "S" sh, "C" ch, "Z"
#: zh, "T" ts or tz)
_CONSONANTS = {
    # Arabic script (Persian letters included; fold() has made Arabic yeh and kaf
    # Persian, teh marbuta heh, and alef with hamza or madda plain alef)
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "st",
    "ج": "j",
    "چ": "C",
    "ح": "h",
    "خ": "K",
    "د": "d",
    "ذ": "zd",
    "ر": "r",
    "ز": "z",
    "ژ": "Zj",
    "س": "s",
    "ش": "S",
    "ص": "s",
    "ض": "zd",
    "ط": "t",
    "ظ": "zd",
    "غ": "G",
    "ف": "f",
    "ق": "Gk",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    # Hebrew (final forms too); a dot that makes bet "b" and kaf "k" is often left out
    "ב": "bv",
    "ג": "g",
    "ד": "d",
    "ז": "z",
    "ח": "hK",
    "ט": "t",
    "כ": "kK",
    "ך": "kK",
    "ל": "l",
    "מ": "m",
    "ם": "m",
    "נ": "n",
    "ן": "n",
    "ס": "s",
    "פ": "pf",
    "ף": "pf",
    "צ": "Tz",
    "ץ": "Tz",
    "ק": "kG",
    "ר": "r",
    "ש": "sS",
    "ת": "t",
}
#: letters that write a vowel (or a glottal stop), and how each is spelt
_VOWELS: dict[str, Letter] = {
    "ا": ((_VOWEL, 1, True),),  # alef: "a", and any vowel in "Omid", "Ehsan", "Abdollah"
    "و": _either(("v", True), ("ou", True)),  # "v" in Vahid, "o", "u", "ou" in Davood
    "ی": _either(("y", False), ("ie", True)),  # "y" in Heydari; "i", "ee", "ei" in Hossein
    "ع": _SHORT,  # ain: "Ali", "Saeed"
    "ء": _SHORT,  # hamza
    "א": _SHORT,  # alef
    "ע": _SHORT,  # ayin
    "ו": _either(("v", True), ("ou", True)),
    "י": _either(("y", False), ("ie", True)),
}
#: a last letter read otherwise: heh as "e" (Fatemeh, Fateme), yeh as "a" (Mostafa,
#: once alef maksura), Hebrew he as "a" or "e" (Sarah, Moshe)
_LAST: dict[str, Letter] = {
    "ه": _either(("h", False), ("e", False)),
    "ی": _either(("y", False), ("ie", True), ("a", False)),
    "ה": _either(("h", False), ("ae", False)),
}


@lru_cache(maxsize=1 << 12)
def script(word: str) -> str:
    """The script of a word's first letter, as Unicode names it ("LATIN", "ARABIC",
    "CYRILLIC" ...); "" for a word without letters."""
    if word.isascii():
        return "LATIN" if any(c.isalpha() for c in word) else ""
    for char in word:
        if char.isalpha():
            return unicodedata.name(char, "").partition(" ")[0]
    return ""


@lru_cache(maxsize=1 << 14)
def latin(word: str) -> str:
    """A word in lower-case Latin letters (``Иван``: "ivan"), each sound one letter."""
    from anyascii import anyascii

    text = _NOT_LETTER.sub("", anyascii(word).lower())
    return _SOUND.sub(lambda m: _SOUNDS[m.group()], text)


def _is_last_vowel(word: str, at: int) -> bool:
    return word[at] in _VOWELS or (at == len(word) - 1 and word[at] in _LAST)


@lru_cache(maxsize=1 << 12)
def _letters(word: str) -> tuple[Letter, ...]:
    """How each letter of ``word`` (in an abjad) can be spelt, a short vowel or none
    between two letters (never before the first)."""
    found: list[Letter] = []
    previous = ""
    for at, letter in enumerate(word):
        way = _LAST.get(letter) if at == len(word) - 1 else None
        way = way or _VOWELS.get(letter)
        if way is not None:
            previous = ""
            found += [_SHORT, way] if found else [way]
            continue
        # a letter of no table: as anyascii reads it, a consonant a sound
        for spelt in [_CONSONANTS[letter]] if letter in _CONSONANTS else latin(letter):
            # a letter written twice ("عبدالله") is one spelling, doubled or not
            if spelt != previous:
                found += [_SHORT, _consonant(spelt)] if found else [_consonant(spelt)]
            previous = spelt
    return tuple(found)


def _spelt(word: str, text: str) -> bool:
    """Whether ``text`` (a Latin reading) spells ``word`` (in an abjad), every letter of
    both accounted for.  The places reached after each letter, all at once: no
    backtracking, and no regular expression to compile for each new word."""
    places = {0}
    for letter in _letters(word):
        reached: set[int] = set()
        for at in places:
            for letters, least, repeated in letter:
                run = 0
                while at + run < len(text) and text[at + run] in letters:
                    run += 1
                    if not repeated:
                        break
                reached.update(range(at + least, at + run + 1))
        if not reached:
            return False
        places = reached
    return len(text) in places


@lru_cache(maxsize=1 << 12)
def _consonants(word: str) -> str:
    """A word's consonants, each once: in Latin letters, or (in an abjad) the first
    Latin spelling of each consonant letter."""
    if script(word) in ABJADS:
        text = "".join(
            "" if _is_last_vowel(word, at) else (_CONSONANTS.get(letter) or latin(letter))[:1]
            for at, letter in enumerate(word)
        )
    else:
        text = _NOT_CONSONANT.sub("", latin(word))
    return _REPEATED.sub(r"\1", text)


_NOT_CONSONANT = re.compile("[aeiouyv]")
_REPEATED = re.compile(r"(.)\1+")


def similarity(a: str, b: str, alike: Callable[[str, str], float]) -> float | None:
    """How similar two words of names in two scripts are, 0 to 1; None when they
    are in one script (or either has no letters): the caller compares those.

    ``alike(x, y)`` compares two words of one script, ``x < y``: it compares
    the Latin readings of two alphabets' words.
    """
    sa, sb = script(a), script(b)
    if sa == sb or not sa or not sb:
        return None
    if sa in ABJADS and sb in ABJADS:
        return 0.0  # two abjads share no reading worth trusting
    if sa not in ABJADS and sb not in ABJADS:
        x, y = sorted((latin(a), latin(b)))
        return 1.0 if x == y else alike(x, y)
    if sb in ABJADS:
        a, b = b, a
    if _spelt(a, latin(b)):
        return 1.0
    if _consonants(a) == _consonants(b):
        return CONSONANTS_ONLY
    return 0.0
