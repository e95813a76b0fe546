"""What an SQL statement writes to, read from its text."""

import re

#: The table a writing statement writes to.
WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO|TRUNCATE(?:\s+TABLE)?)"
    r'\s+(?:ONLY\s+)?"?(\w+)',
    re.IGNORECASE,
)


def written_table(sql: str) -> str | None:
    """The table an INSERT, UPDATE, DELETE, REPLACE or TRUNCATE writes to (lower case);
    None for any other statement."""
    found = WRITE.match(sql)
    return found.group(1).lower() if found else None
