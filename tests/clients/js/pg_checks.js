// node-postgres (`pg`, and `pg-cursor` when installed) against a server given as
// `node pg_checks.js HOST PORT`.
//
// Prints one line per check, `name<TAB>result` (JSON of what the driver saw, errors as
// `ERROR sqlstate`). tests/tests/clients.rs runs it against our server and PostgreSQL 15
// and compares the lines: PostgreSQL's output is the expectation. Every check opens its
// own client, so that one failure does not cascade.
'use strict';

const pg = require('pg');

const [host, port] = process.argv.slice(2);
const config = { host, port: Number(port), user: 'postgres', database: 'postgres' };

async function withClient(fn) {
  const c = new pg.Client(config);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function errorOf(e) {
  return `ERROR ${e.code} ${e.message}`;
}

function show(value) {
  return JSON.stringify(value, (k, v) => {
    if (v instanceof Date) return `Date(${v.toISOString()})`;
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return `Buffer(${v.data.join(',')})`;
    if (typeof v === 'bigint') return `${v}n`;
    return v;
  });
}

const checks = [];
function check(name, fn) {
  checks.push([name, fn]);
}

check('connect_and_version', () => withClient(async (c) => {
  const r = await c.query('SHOW server_version_num');
  return [Math.floor(Number(r.rows[0].server_version_num) / 10000),
    c.connection.parameters?.client_encoding ?? null];
}));

check('simple_query', () => withClient(async (c) => {
  const r = await c.query("SELECT 1 AS a, 'x' AS b, NULL AS c");
  return [r.command, r.rowCount, r.rows, r.fields.map((f) => [f.name, f.dataTypeID])];
}));

check('parameters', () => withClient(async (c) => {
  const r = await c.query('SELECT $1::int + $2 AS s, $3::text || $4 AS t, $5::bool AS b',
    [1, 2, 'a', 'b', true]);
  return r.rows;
}));

check('parameter_types_inferred', () => withClient(async (c) => {
  const r = await c.query('SELECT $1 AS untyped, $2::int AS typed', ['hello', '42']);
  return [r.rows, r.fields.map((f) => f.dataTypeID)];
}));

check('types', () => withClient(async (c) => {
  await c.query("SET TIME ZONE 'UTC'");
  const r = await c.query(`SELECT 1::int2 a, 2::int4 b, 3::int8 c, 1.5::numeric d, 0.25::float8 e,
      'héllo'::text f, '\\x00ff'::bytea g, true h, '2024-02-29'::date i,
      '2024-01-02 03:04:05.678'::timestamp j, '2024-01-02 03:04:05+02'::timestamptz k,
      '1 day 02:03:04'::interval l, '12345678-1234-5678-1234-567812345678'::uuid m,
      '{"a":[1,2]}'::json n, '{"b":null}'::jsonb o, ARRAY[1,2,NULL]::int[] p,
      ARRAY['a','b c']::text[] q, '12:34:56'::time r, 'abc'::varchar(5) s, 'x'::char(3) t`);
  return r.rows[0];
}));

check('type_params_roundtrip', () => withClient(async (c) => {
  await c.query("SET TIME ZONE 'UTC'");
  const r = await c.query(
    'SELECT $1::timestamptz a, $2::bytea b, $3::jsonb c, $4::int[] d, $5::numeric e, $6::uuid f',
    [new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), Buffer.from([1, 2, 3]), { k: [1, 'v'] },
      [4, 5, null], '123.4500', '00000000-0000-0000-0000-000000000001']);
  return r.rows[0];
}));

check('prepared_named', () => withClient(async (c) => {
  const out = [];
  for (let i = 0; i < 3; i++) {
    const r = await c.query({ name: 'js_twice', text: 'SELECT $1::int * 2 AS v', values: [i] });
    out.push(r.rows[0].v);
  }
  return out;
}));

check('row_mode_array', () => withClient(async (c) => {
  const r = await c.query({ text: 'SELECT 1, 2, 3', rowMode: 'array' });
  return r.rows;
}));

check('ddl_dml_counts', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS js_t');
  const a = await c.query('CREATE TABLE js_t (id serial PRIMARY KEY, v text)');
  const b = await c.query("INSERT INTO js_t (v) VALUES ('a'), ('b'), ('c') RETURNING id");
  const d = await c.query("UPDATE js_t SET v = v || '!' WHERE id > 1");
  const e = await c.query('DELETE FROM js_t WHERE id = 1');
  const f = await c.query('SELECT * FROM js_t ORDER BY id');
  return [[a.command, a.rowCount], [b.command, b.rowCount, b.rows],
    [d.command, d.rowCount], [e.command, e.rowCount], f.rows];
}));

check('multi_statement', () => withClient(async (c) => {
  const r = await c.query('SELECT 1 AS a; SELECT 2 AS b');
  return r.map((x) => x.rows);
}));

check('transactions', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS js_tx');
  await c.query('CREATE TABLE js_tx (a int UNIQUE)');
  await c.query('BEGIN');
  await c.query('INSERT INTO js_tx VALUES (1)');
  await c.query('SAVEPOINT s1');
  let err = null;
  try {
    await c.query('INSERT INTO js_tx VALUES (1)');
  } catch (e) {
    err = e.code;
  }
  await c.query('ROLLBACK TO SAVEPOINT s1');
  await c.query('INSERT INTO js_tx VALUES (2)');
  await c.query('COMMIT');
  await c.query('BEGIN');
  await c.query('INSERT INTO js_tx VALUES (3)');
  await c.query('ROLLBACK');
  const r = await c.query('SELECT array_agg(a ORDER BY a) AS a FROM js_tx');
  return [err, r.rows[0].a];
}));

check('errors', () => withClient(async (c) => {
  const out = [];
  for (const q of ['SELECT 1/0', 'SELECT nosuch FROM pg_class', 'SELEC 1', "SELECT 'x'::int"]) {
    try {
      await c.query(q);
      out.push('ok');
    } catch (e) {
      out.push([e.code, e.message, e.position ?? null, e.severity]);
    }
  }
  return out;
}));

check('unique_violation_fields', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS js_u');
  await c.query('CREATE TABLE js_u (a int PRIMARY KEY)');
  await c.query('INSERT INTO js_u VALUES (1)');
  try {
    await c.query('INSERT INTO js_u VALUES ($1)', [1]);
    return 'no error';
  } catch (e) {
    return [e.code, e.detail, e.constraint ?? null, e.table ?? null, e.schema ?? null];
  }
}));

check('error_then_query', () => withClient(async (c) => {
  let first;
  try {
    await c.query('SELECT $1::int', ['not a number']);
  } catch (e) {
    first = e.code;
  }
  const r = await c.query('SELECT 5 AS v');
  return [first, r.rows];
}));

check('pool', async () => {
  const pool = new pg.Pool({ ...config, max: 3 });
  try {
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) =>
      pool.query('SELECT $1::int * 10 AS v, pg_backend_pid() > 0 AS ok', [i])));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query('SELECT 42 AS answer');
      await client.query('COMMIT');
      return [results.map((r2) => r2.rows[0]), r.rows];
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
});

check('copy_via_query', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS js_copy');
  await c.query('CREATE TABLE js_copy (a int)');
  const r = await c.query('INSERT INTO js_copy SELECT g FROM generate_series(1, 100) g');
  const s = await c.query('SELECT count(*)::int AS n, sum(a)::int AS s FROM js_copy');
  return [r.rowCount, s.rows];
}));

check('listen_notify', () => withClient((listener) => withClient(async (sender) => {
  await listener.query('LISTEN js_chan');
  const got = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no notification within 5 s')), 5000);
    listener.on('notification', (msg) => {
      clearTimeout(timer);
      resolve([msg.channel, msg.payload]);
    });
  });
  await sender.query("NOTIFY js_chan, 'hi'");
  return await got;
})));

check('cursor', async () => {
  let Cursor;
  try {
    Cursor = require('pg-cursor');
  } catch (e) {
    return 'pg-cursor not installed';
  }
  return withClient(async (c) => {
    const cursor = c.query(new Cursor('SELECT g FROM generate_series(1, 10) g WHERE g > $1', [2]));
    const read = (n) => new Promise((resolve, reject) =>
      cursor.read(n, (err, rows) => (err ? reject(err) : resolve(rows))));
    const a = await read(3);
    const b = await read(100);
    await new Promise((resolve) => cursor.close(resolve));
    return [a, b.length];
  });
});

check('set_parameter_status', () => withClient(async (c) => {
  await c.query("SET application_name = 'js checks'");
  return [c.connection.parameters?.application_name ?? null];
}));

async function main() {
  const only = new Set(process.argv.slice(4));
  for (const [name, fn] of checks) {
    if (only.size && !only.has(name)) continue;
    let result;
    try {
      result = show(await fn());
    } catch (e) {
      result = e.code ? errorOf(e) : `EXCEPTION ${e.message}`;
    }
    process.stdout.write(`${name}\t${String(result).replace(/\n/g, '\\n')}\n`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
