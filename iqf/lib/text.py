"""Text normalisation shared by models, the duplicate check and imports."""

import re
import unicodedata

# Characters that look like nothing or reorder text; never allowed inside codes and names.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_LEVEL_WORDS = re.compile(r"\b(level|lvl|l)\s*(\d|entry|e)\b")
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
}


def clean_text(value: str) -> str:
    """NFC-normalise, drop invisible characters and trim surrounding spaces."""
    if value.isascii():  # already NFC, and every invisible character is beyond ASCII
        return value.strip()
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", value)).strip()


def title_key(title: str, awarding_body: str = "") -> str:
    """A key under which titles that differ only in presentation compare equal.

    Case, punctuation, "&" versus "and", the spelling of levels ("Level 3",
    "L3", "level three") and a leading awarding body name are all ignored.
    """
    text = clean_text(title).casefold().replace("&", " and ")
    body = clean_text(awarding_body).casefold()
    if body and text.startswith(body):
        text = text[len(body) :]
    text = re.sub(r"[^\w\s]", " ", text)
    words = [_NUMBER_WORDS.get(word, word) for word in text.split()]
    text = " ".join(words)
    text = _LEVEL_WORDS.sub(lambda m: f"level {m.group(2)}", text)
    return " ".join(text.split())
