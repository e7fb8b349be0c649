"""psycopg 3 (and psycopg2 when installed) against a server given by a libpq conninfo.

Usage: python3 psycopg_checks.py CONNINFO

Prints one line per check, `name<TAB>result`, where result is what the driver saw (values
as Python reprs, errors as `ERROR sqlstate class`). tests/tests/clients.rs runs this
against our server and PostgreSQL 15 and compares the lines: PostgreSQL's output is the
expectation. Every check opens its own connection, so that one failure does not cascade.
"""

import datetime
import decimal
import sys
import threading
import uuid

import psycopg
from psycopg import sql

CONNINFO = sys.argv[1]


def connect(**kw):
    return psycopg.connect(CONNINFO, **kw)


def describe_error(e):
    state = getattr(getattr(e, "diag", None), "sqlstate", None) or getattr(e, "pgcode", None)
    return f"ERROR {state} {type(e).__name__}"


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def connect_and_version():
    with connect() as c:
        major = c.info.server_version // 10000
        return (major, c.info.parameter_status("server_encoding"),
                c.info.parameter_status("client_encoding"),
                c.info.parameter_status("DateStyle"),
                c.info.parameter_status("integer_datetimes"),
                c.info.parameter_status("standard_conforming_strings"))


@check
def server_side_parameters():
    with connect() as c:
        return c.execute("SELECT %s::int + %s, %s || 'x', %s", (1, 2, "a", None)).fetchone()


@check
def client_side_binding():
    with psycopg.ClientCursor(connect()) as cur:
        cur.execute("SELECT %s, %s, %s, %s", (1, "it's", None, decimal.Decimal("1.50")))
        row = cur.fetchone()
        cur.connection.close()
        return row


@check
def binary_results():
    with connect() as c:
        cur = c.cursor(binary=True)
        cur.execute("SELECT 1::int4, 2::int8, 'x'::text, true, 1.5::float8, 2.25::numeric, "
                    "'2024-01-02'::date, '\\x0102'::bytea")
        return cur.fetchone()


TYPE_VALUES = [
    ("int2", 7),
    ("int4", -123),
    ("int8", 2**40),
    ("numeric", decimal.Decimal("12345.678900")),
    ("float8", 0.1),
    ("text", "héllo 'world'"),
    ("bytea", b"\x00\x01\xff"),
    ("bool", True),
    ("date", datetime.date(2024, 2, 29)),
    ("time", datetime.time(12, 34, 56, 789000)),
    ("timestamp", datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)),
    ("timestamptz", datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
    ("interval", datetime.timedelta(days=3, seconds=3661)),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("json", psycopg.types.json.Json({"a": [1, 2]})),
    ("jsonb", psycopg.types.json.Jsonb({"b": None})),
    ("int4[]", [1, 2, None]),
    ("text[]", ["a", "b c", '"q"']),
]


def type_check(type_name, value, binary):
    def run():
        with connect() as c:
            c.execute("SET TIME ZONE 'UTC'")
            cur = c.cursor(binary=binary)
            cur.execute(sql.SQL("SELECT %s::{t}, pg_typeof(%s::{t})::text").format(
                t=sql.SQL(type_name)), (value, value))
            got, typ = cur.fetchone()
            return (typ, got)
    run.__name__ = f"type_{type_name}_{'binary' if binary else 'text'}"
    return run


for name, value in TYPE_VALUES:
    for binary in (False, True):
        CHECKS.append(type_check(name, value, binary))


@check
def table_roundtrip():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_t")
        c.execute("CREATE TABLE py_t (id serial PRIMARY KEY, n numeric(10,2), t text, "
                  "b bytea, ts timestamptz, u uuid, j jsonb, a int[])")
        c.execute("INSERT INTO py_t (n, t, b, ts, u, j, a) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                  (decimal.Decimal("3.14"), "x", b"\x01", datetime.datetime(
                      2020, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
                   uuid.UUID(int=5), psycopg.types.json.Jsonb([1, "a"]), [3, 4]))
        c.execute("SET TIME ZONE 'UTC'")
        return c.execute("SELECT * FROM py_t").fetchall()


@check
def executemany():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_many")
        c.execute("CREATE TABLE py_many (a int, b text)")
        cur = c.cursor()
        cur.executemany("INSERT INTO py_many VALUES (%s, %s)", [(i, f"v{i}") for i in range(10)])
        return (cur.rowcount, c.execute("SELECT count(*), sum(a) FROM py_many").fetchone())


@check
def executemany_returning():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_ret")
        c.execute("CREATE TABLE py_ret (id serial, b text)")
        cur = c.cursor()
        cur.executemany("INSERT INTO py_ret (b) VALUES (%s) RETURNING id", [("a",), ("b",)],
                        returning=True)
        ids = []
        while True:
            ids.append(cur.fetchone())
            if not cur.nextset():
                break
        return ids


@check
def copy_from_stdin():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_copy")
        c.execute("CREATE TABLE py_copy (a int, b text, c date)")
        with c.cursor().copy("COPY py_copy FROM STDIN") as cp:
            for i in range(5):
                cp.write_row((i, f"r{i}" if i != 3 else None, datetime.date(2024, 1, i + 1)))
        return c.execute("SELECT * FROM py_copy ORDER BY a").fetchall()


@check
def copy_to_stdout():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_copy2")
        c.execute("CREATE TABLE py_copy2 (a int, b text)")
        c.execute("INSERT INTO py_copy2 VALUES (1, 'a'), (2, NULL), (3, 'tab\there')")
        rows = []
        with c.cursor().copy("COPY (SELECT * FROM py_copy2 ORDER BY a) TO STDOUT") as cp:
            for row in cp.rows():
                rows.append(row)
        return rows


@check
def copy_binary():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_copy3")
        c.execute("CREATE TABLE py_copy3 (a int, b text)")
        with c.cursor().copy("COPY py_copy3 FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text"])
            cp.write_row((1, "one"))
            cp.write_row((2, None))
        out = []
        with c.cursor().copy("COPY py_copy3 TO STDOUT (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "text"])
            out = list(cp.rows())
        return out


@check
def transactions():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_tx")
        c.execute("CREATE TABLE py_tx (a int)")
        c.commit()
        c.execute("INSERT INTO py_tx VALUES (1)")
        c.rollback()
        with c.transaction():
            c.execute("INSERT INTO py_tx VALUES (2)")
        try:
            with c.transaction():
                c.execute("INSERT INTO py_tx VALUES (3)")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        status_idle = c.info.transaction_status.name
        c.execute("SELECT 1")
        status_in = c.info.transaction_status.name
        c.commit()
        return (status_idle, status_in, c.execute("SELECT array_agg(a) FROM py_tx").fetchone())


@check
def savepoints():
    with connect(autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS py_sp")
        c.execute("CREATE TABLE py_sp (a int UNIQUE)")
        with c.transaction():
            c.execute("INSERT INTO py_sp VALUES (1)")
            try:
                with c.transaction():
                    c.execute("INSERT INTO py_sp VALUES (1)")
            except psycopg.errors.UniqueViolation:
                pass
            with c.transaction():
                c.execute("INSERT INTO py_sp VALUES (2)")
        return c.execute("SELECT array_agg(a ORDER BY a) FROM py_sp").fetchone()


@check
def isolation_level():
    with connect() as c:
        c.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        a = c.execute("SHOW transaction_isolation").fetchone()
        c.rollback()
        c.read_only = True
        b = c.execute("SHOW transaction_read_only").fetchone()
        try:
            c.execute("CREATE TABLE py_ro (a int)")
            e = "ok"
        except psycopg.Error as err:
            e = describe_error(err)
        return (a, b, e)


@check
def named_cursor():
    with connect() as c:
        with c.cursor(name="py_named") as cur:
            cur.itersize = 7
            cur.execute("SELECT g, g * 2 FROM generate_series(1, 20) g")
            first = cur.fetchmany(3)
            rest = cur.fetchall()
            return (first, len(rest), rest[-1], cur.description[0].name)


@check
def named_cursor_scroll():
    with connect() as c:
        with c.cursor(name="py_scroll", scrollable=True) as cur:
            cur.execute("SELECT g FROM generate_series(1, 10) g")
            cur.scroll(5)
            a = cur.fetchone()
            cur.scroll(-3)
            b = cur.fetchone()
            cur.scroll(0, mode="absolute")
            return (a, b, cur.fetchone())


@check
def named_cursor_withhold():
    with connect() as c:
        cur = c.cursor(name="py_hold", withhold=True)
        cur.execute("SELECT g FROM generate_series(1, 4) g")
        c.commit()
        rows = cur.fetchall()
        cur.close()
        return rows


@check
def unique_violation():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_u")
        c.execute("CREATE TABLE py_u (a int PRIMARY KEY)")
        c.execute("INSERT INTO py_u VALUES (1)")
        try:
            c.execute("INSERT INTO py_u VALUES (1)")
        except psycopg.errors.UniqueViolation as e:
            return (type(e).__name__, e.diag.sqlstate, e.diag.constraint_name,
                    e.diag.table_name, e.diag.message_primary, e.diag.message_detail)


@check
def other_errors():
    out = []
    with connect(autocommit=True) as c:
        for q in ["SELECT 1/0", "SELECT nosuchcol FROM pg_class", "SELEC 1",
                  "SELECT 'abc'::int", "SELECT * FROM no_such_table"]:
            try:
                c.execute(q)
                out.append("ok")
            except psycopg.Error as e:
                out.append((describe_error(e), e.diag.message_primary, e.diag.statement_position))
    return out


@check
def in_failed_transaction():
    with connect() as c:
        try:
            c.execute("SELECT 1/0")
        except psycopg.Error:
            pass
        try:
            c.execute("SELECT 1")
        except psycopg.Error as e:
            status = describe_error(e)
        c.rollback()
        return (status, c.execute("SELECT 2").fetchone())


@check
def prepared_statements():
    with connect(prepare_threshold=2) as c:
        results = [c.execute("SELECT %s::int * 2", (i,)).fetchone()[0] for i in range(6)]
        prepared = c.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int%%'"
        ).fetchone()[0]
        forced = c.execute("SELECT %s::text", ("p",), prepare=True).fetchone()
        return (results, prepared, forced)


@check
def prepare_threshold_default():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_prep")
        c.execute("CREATE TABLE py_prep (a int)")
        for i in range(8):
            c.execute("INSERT INTO py_prep VALUES (%s)", (i,))
        return c.execute("SELECT sum(a) FROM py_prep").fetchone()


@check
def pipeline_mode():
    with connect() as c:
        with c.pipeline():
            c1 = c.execute("SELECT 1")
            c2 = c.execute("SELECT %s::text", ("two",))
            c3 = c.execute("SELECT 3")
        return (c1.fetchone(), c2.fetchone(), c3.fetchone())


@check
def multiple_statements():
    with connect(autocommit=True) as c:
        cur = c.execute("SELECT 1; SELECT 'two', 2")
        first = cur.fetchall()
        cur.nextset()
        return (first, cur.fetchall())


@check
def description():
    with connect() as c:
        cur = c.execute("SELECT 1::int4 AS a, 'x'::varchar(5) AS b, 1.5::numeric(6,2) AS c, "
                        "now() AS d")
        return [(d.name, d.type_code, d.internal_size, d.precision, d.scale)
                for d in cur.description]


@check
def type_info_fetch():
    with connect() as c:
        c.execute("DROP TYPE IF EXISTS py_mood")
        c.execute("CREATE TYPE py_mood AS ENUM ('sad', 'ok')")
        info = psycopg.types.enum.EnumInfo.fetch(c, "py_mood")
        t = psycopg.types.TypeInfo.fetch(c, "int4")
        return (info.labels, t.oid, t.array_oid)


@check
def composite_info():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS py_comp")
        c.execute("CREATE TABLE py_comp (x int, y text)")
        info = psycopg.types.composite.CompositeInfo.fetch(c, "py_comp")
        psycopg.types.composite.register_composite(info, c)
        row = c.execute("SELECT ROW(1, 'a')::py_comp").fetchone()[0]
        return (info.field_names, [str(t) for t in info.field_types], tuple(row))


@check
def listen_notify():
    with connect(autocommit=True) as listener, connect(autocommit=True) as sender:
        listener.execute("LISTEN py_chan")
        sender.execute("NOTIFY py_chan, 'hello'")
        sender.execute("SELECT pg_notify('py_chan', 'world')")
        got = []
        for n in listener.notifies(timeout=5, stop_after=2):
            got.append((n.channel, n.payload, n.pid == sender.info.backend_pid))
        return got


@check
def cancel():
    with connect() as c:
        t = threading.Timer(0.5, c.cancel)
        t.start()
        try:
            c.execute("SELECT pg_sleep(10)")
            return "not cancelled"
        except psycopg.Error as e:
            return (describe_error(e), e.diag.message_primary)
        finally:
            t.join()


@check
def set_and_parameter_status():
    with connect(autocommit=True) as c:
        c.execute("SET application_name = 'py checks'")
        c.execute("SET TIME ZONE 'Europe/Paris'")
        c.execute("SET DateStyle = 'SQL, DMY'")
        return (c.info.parameter_status("application_name"),
                c.info.parameter_status("TimeZone"),
                c.info.parameter_status("DateStyle"))


@check
def empty_and_semicolons():
    with connect(autocommit=True) as c:
        cur = c.cursor()
        out = []
        for q in [";", ";;;", "", "SELECT 1;;"]:
            try:
                cur.execute(q)
                out.append((psycopg.pq.ExecStatus(cur.pgresult.status).name if cur.pgresult else None))
            except psycopg.Error as e:
                out.append(describe_error(e))
        return out


@check
def psycopg2_basics():
    try:
        import psycopg2
        import psycopg2.errors
        import psycopg2.extras
    except ImportError:
        return "psycopg2 not installed"
    c = psycopg2.connect(CONNINFO)
    try:
        cur = c.cursor()
        cur.execute("SELECT %s, %s, %s, %s", (1, "a'b", None, [1, 2]))
        a = cur.fetchone()
        cur.execute("DROP TABLE IF EXISTS py2_t")
        cur.execute("CREATE TABLE py2_t (a int PRIMARY KEY, b text)")
        psycopg2.extras.execute_values(cur, "INSERT INTO py2_t VALUES %s", [(1, "x"), (2, "y")])
        import io
        cur.copy_expert("COPY py2_t FROM STDIN", io.StringIO("3\tz\n"))
        cur.execute("SELECT * FROM py2_t ORDER BY a")
        b = cur.fetchall()
        try:
            cur.execute("INSERT INTO py2_t VALUES (1, 'dup')")
        except psycopg2.errors.UniqueViolation as e:
            err = e.pgcode
        c.rollback()
        named = c.cursor("py2_named")
        named.execute("SELECT g FROM generate_series(1, 5) g")
        n = named.fetchall()
        return (a, b, err, n, c.server_version // 10000)
    finally:
        c.close()


def main():
    only = set(sys.argv[2:])
    for fn in CHECKS:
        if only and fn.__name__ not in only:
            continue
        try:
            result = repr(fn())
        except psycopg.Error as e:
            result = f"{describe_error(e)}: {str(e).splitlines()[0] if str(e) else ''}"
        except Exception as e:  # noqa: BLE001 - a check that breaks reports it, the run goes on
            result = f"EXCEPTION {type(e).__name__}: {e}"
        print(f"{fn.__name__}\t{result}".replace("\n", "\\n"), flush=True)


if __name__ == "__main__":
    main()
