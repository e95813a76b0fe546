"""A condition that a column is one of a set of ids held in Python, written with a single
parameter however many ids there are: ``col = ANY(array)`` on PostgreSQL, ``col IN
(SELECT value FROM json_each(…))`` on SQLite. A list of ids as ``IN (%s, %s, …)`` costs
a placeholder an id to build and parse, and SQLite refuses more than 32,766 of them."""

from collections.abc import Iterable

from django.db.models import BooleanField, Expression, F

#: Up to this many ids, PostgreSQL is asked to look them up rather than test every row.
LOOKED_UP = 10_000


class InIds(Expression):
    """``field`` (a name or expression) is one of ``ids``; usable in ``filter()``."""

    conditional = True

    def __init__(self, field, ids: Iterable[int]):
        super().__init__(output_field=BooleanField())
        self.column = F(field) if isinstance(field, str) else field
        self.ids = sorted({int(i) for i in ids})
        # written once, as text: a driver adapting a list of ints does it an element at a time
        self.text = ",".join(map(str, self.ids))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.column!r}, {len(self.ids)} ids)"

    @property
    def identity(self):
        return (self.__class__, self.column, tuple(self.ids))

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} IN (SELECT value FROM json_each(%s))", [*params, f"[{self.text}]"]

    def as_postgresql(self, compiler, connection):
        # A few thousand ids as a set to join: the planner looks each one up by index. More
        # as an array to test: one pass over the rows, each checked against the hashed
        # array, which the planner also chooses for a few thousand, at several times the cost.
        sql, params = compiler.compile(self.column)
        test = "IN (SELECT unnest(%s::bigint[]))" if len(self.ids) <= LOOKED_UP else "= ANY(%s::bigint[])"
        return f"{sql} {test}", [*params, f"{{{self.text}}}"]
