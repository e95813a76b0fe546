"""Reading a sheet's rows: each cell as clean text, read by column into a model's values
with messages a clerk can read (``RowReader``), lookups by natural key filled once per
import (``Lookup``), and the widgets that write each kind of value back out."""

import datetime
import functools
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models
from import_export import widgets

from iqf.lib.levels import level_code, parse_level
from iqf.lib.text import clean_text

#: Value types whose checks ``clean_model_fields`` remembers (hashable, compared by value).
_REMEMBERED = frozenset({str, int, bool, Decimal, datetime.date, type(None)})


# ASCII digits only: \d alone would take other scripts' digits, which int() then reads.
_WHOLE_NUMBER = re.compile(r"^\d{1,9}$", re.ASCII)


_MONEY = re.compile(r"^\d{1,8}(\.\d{1,2})?$", re.ASCII)


def plain_text_limit(field: models.Field) -> float | None:
    """For a text field whose only check on a text value is its length (a CharField or
    TextField without choices or other validators, which returns the text unchanged),
    the longest text it takes; otherwise None."""
    if type(field) not in (models.CharField, models.TextField) or field.choices or not field.editable:
        return None
    limit = field.max_length
    checks = [
        v for v in field.validators if not (isinstance(v, MaxLengthValidator) and v.limit_value == limit)
    ]
    if checks:
        return None
    return float("inf") if limit is None else limit


class RowsInvalid(Exception):
    """A sheet's bad rows: (data row number from 1, column → messages) each."""

    def __init__(self, rows: list[tuple[int, dict[str, list[str]]]]):
        super().__init__(rows)
        self.rows = rows


class SheetColumns:
    """A sheet's cells by column, as the import hooks read a tablib Dataset's."""

    def __init__(self, headers: list[str], rows: list[list[str]]):
        self.headers = headers
        self.rows = rows

    def __getitem__(self, column: str) -> list[str]:
        position = self.headers.index(column)
        return [row[position] for row in self.rows]


class RowErrors(Exception):
    """Raised while reading a row: maps column names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def cell_text(value: Any) -> str:
    """A cell as text: spaces trimmed, one protective leading apostrophe removed."""
    if value is None:
        return ""
    if type(value) is str:
        return _short_text_of(value) if len(value) <= 100 else _text_of(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return _text_of(str(value))


def _text_of(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains a NUL character, which databases cannot store")
    text = clean_text(text)
    if text.startswith("'"):
        text = text[1:]
    return text


# Imports read the same references, names and flags over and over: each is cleaned once.
_short_text_of = functools.lru_cache(maxsize=1 << 16)(_text_of)


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class LevelWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_level(cell_text(value))

    def render(self, value, obj=None, **kwargs):
        return level_code(value)


class YesNoWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class WholeNumberWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class MoneyWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value:.2f}"


class DateWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class RowReader:
    """Reads the cells of one row, collecting a message per bad column."""

    def __init__(self, row: dict[str, Any]):
        self.row = row
        self.errors: dict[str, str] = {}

    def has(self, column: str) -> bool:
        return column in self.row

    def _fail(self, column: str, message: str) -> None:
        self.errors.setdefault(column, message)

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        try:
            value = cell_text(self.row.get(column))
        except ValueError as error:
            self._fail(column, str(error))
            return ""
        if required and not value:
            self._fail(column, "is empty; a value is required")
        if max_length is not None and len(value) > max_length:
            self._fail(column, f"is {len(value)} characters long; at most {max_length} fit")
        return value

    def level(self, column: str) -> int | None:
        text = self.text(column)
        try:
            return parse_level(text)
        except ValueError as error:
            self._fail(column, str(error))
            return None

    def yes_no(self, column: str, *, default: bool) -> bool:
        text = self.text(column).casefold()
        if text == "":
            return default
        if text in {"yes", "no"}:
            return text == "yes"
        self._fail(column, f"{text!r} is not yes or no")
        return default

    def whole_number(self, column: str) -> int | None:
        text = self.text(column)
        if text == "":
            return None
        if not _WHOLE_NUMBER.match(text):
            self._fail(column, f"{text!r} is not a whole number of hours (digits only, e.g. 120)")
            return None
        return int(text)

    def money(self, column: str) -> Decimal | None:
        text = self.text(column).lstrip("£")
        if text == "":
            return None
        if not _MONEY.match(text):
            self._fail(column, f"{text!r} is not an amount in pounds (e.g. 450 or 450.00)")
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            self._fail(column, f"{text!r} is not an amount in pounds")
            return None

    def date(self, column: str) -> datetime.date | None:
        text = self.text(column)
        if text == "":
            return None
        try:
            return (
                datetime.date.fromisoformat(text[:10])
                if len(text) in (10, 19)
                else datetime.date.fromisoformat(text)
            )
        except ValueError:
            self._fail(column, f"{text!r} is not a date written as YYYY-MM-DD")
            return None

    def choice(self, column: str, choices: Iterable[str], *, default: str) -> str:
        text = self.text(column).casefold()
        if text == "":
            return default
        allowed = list(choices)
        if text not in allowed:
            self._fail(column, f"{text!r} is not one of: {', '.join(allowed)}")
            return default
        return text

    def lookup(self, column: str, table: "Lookup", *, required: bool = False):
        text = self.text(column)
        if text == "":
            if required:
                self._fail(column, "is empty; a value is required")
            return None
        found = table.get(text)
        if found is None:
            self._fail(column, f"no {table.label} {text!r} exists or is defined earlier in the bundle")
        return found

    def fail(self, column: str, message: str) -> None:
        self._fail(column, message)

    def done(self) -> None:
        if self.errors:
            raise RowErrors(self.errors)


class Lookup:
    """Instances keyed by a case-insensitive name, loaded in one query on first use."""

    def __init__(self, label: str, queryset: Callable[[], Iterable[models.Model]], key: Callable[[Any], str]):
        self.label = label
        self._queryset = queryset
        self._key = key
        self._items: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._items is None:
            self._items = {self._key(obj).casefold(): obj for obj in self._queryset()}
        return self._items

    def get(self, name: str):
        items = self._items
        if items is None:
            items = self._load()
        return items.get(name.casefold())

    def add(self, obj) -> None:
        self._load()[self._key(obj).casefold()] = obj

    def alias(self, name: str, obj) -> None:
        self._load()[name.casefold()] = obj


def norm(value: Any) -> str:
    """The form in which natural keys compare: cleaned and case-insensitive."""
    if type(value) is str and len(value) <= 100:
        return _short_norm(value)
    return cell_text(value).casefold()


@functools.lru_cache(maxsize=1 << 16)
def _short_norm(text: str) -> str:
    return _text_of(text).casefold()
