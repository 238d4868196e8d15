"""Server-side prepared statements for the hottest PostgreSQL writes.

PostgreSQL parses and plans a statement sent as text on every call. For a send's
outcome (a data-modifying WITH of six parts on rows found by primary key) that cost it
0.33 ms of CPU per call against 0.07 ms for the same statement prepared (#16, second
round). `execute_prepared` PREPAREs a statement once per database connection and then
EXECUTEs it by name; PostgreSQL plans it again by itself when a table it reads changes.

For PostgreSQL only (callers decide, on their PostgreSQL branch). A prepared statement
lives in the server session: it needs each Django connection to keep its own server
connection, as it does connected directly or through a pooler in session mode; a
pooler in transaction mode would hand the name to sessions that do not know it
(`DATABASE_PREPARED_STATEMENTS=0` then sends the text, as before).
"""

import hashlib
import re
from collections.abc import Sequence

from django.conf import settings

_PLACEHOLDER = re.compile(r"%s")


def execute_prepared(cursor, sql: str, params: Sequence) -> None:
    """Run `sql` (`%s` placeholders, each typed where the statement does not tell its
    type, e.g. `%s::timestamptz` in a SELECT list) with `params`, prepared once per
    connection."""
    if not settings.DATABASE_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    name, execute = _statement(sql, len(params))
    prepared = _prepared_in_session(cursor.db)
    if name not in prepared:
        count = iter(range(1, sql.count("%s") + 1))
        numbered = _PLACEHOLDER.sub(lambda _: f"${next(count)}", sql)
        cursor.execute(f"PREPARE {name} AS {numbered}")
        prepared.add(name)
    cursor.execute(execute, params)


# A statement with more parameters than this is a batch's (an INSERT of many rows: each
# row count is a text of its own, and prepared they would pile up in the session).
PREPARED_MAX_PARAMS = 250


def execute_fixed(cursor, sql: str, params: Sequence) -> None:
    """Run `sql`, a text its caller builds the same way each time (a single order's
    statements: the lookup, the INSERTs per model and row count), prepared on PostgreSQL
    when it has at most PREPARED_MAX_PARAMS parameters, else as text (SQLite: the same
    statement as text). PostgreSQL parsed and planned each of an ingested order's
    statements again for every order: half its CPU per order (#16, third round)."""
    connection = cursor.db
    if connection.vendor == "postgresql" and len(params) <= PREPARED_MAX_PARAMS:
        execute_prepared(cursor, sql, params)
    else:
        cursor.execute(sql, params)


_statements: dict[tuple[str, int], tuple[str, str]] = {}


def _statement(sql: str, params: int) -> tuple[str, str]:
    """The statement's name and its EXECUTE, made once per text and process."""
    key = (sql, params)
    known = _statements.get(key)
    if known is None:
        name = "pp_" + hashlib.sha1(sql.encode()).hexdigest()[:20]  # noqa: S324
        known = _statements[key] = (name, f"EXECUTE {name} ({', '.join(['%s'] * params)})")
    return known


def _prepared_in_session(wrapper) -> set[str]:
    """The names prepared in the Django connection's current server session: a new
    session (Django reconnected) starts with none."""
    session = wrapper.connection
    known = getattr(wrapper, "_prepared_statements", None)
    if known is None or known[0] is not session:
        # Holding the session object keeps its identity from being reused by the next.
        known = wrapper._prepared_statements = (session, set())
    return known[1]
