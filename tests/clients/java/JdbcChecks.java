// PostgreSQL's JDBC driver (Debian's libpostgresql-jdbc-java) against a server given as
// `java -cp postgresql.jar:. JdbcChecks HOST PORT`.
//
// Prints one line per check, `name<TAB>result` (what the driver saw; errors as
// `ERROR sqlstate message`). tests/tests/clients.rs compiles and runs it against our server
// and PostgreSQL 15 and compares the lines: PostgreSQL's output is the expectation. Every
// check opens its own connection, so that one failure does not cascade.

import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class JdbcChecks {
    static String url;

    interface Check {
        Object run(Connection c) throws Exception;
    }

    static final LinkedHashMap<String, Check> CHECKS = new LinkedHashMap<>();

    static String rows(ResultSet rs) throws SQLException {
        StringBuilder sb = new StringBuilder("[");
        int n = rs.getMetaData().getColumnCount();
        boolean firstRow = true;
        while (rs.next()) {
            if (!firstRow) sb.append(", ");
            firstRow = false;
            sb.append("(");
            for (int i = 1; i <= n; i++) {
                if (i > 1) sb.append(", ");
                sb.append(rs.getString(i));
            }
            sb.append(")");
        }
        return sb.append("]").toString();
    }

    static String columns(ResultSet rs, String... names) throws SQLException {
        StringBuilder sb = new StringBuilder("[");
        boolean firstRow = true;
        while (rs.next()) {
            if (!firstRow) sb.append(", ");
            firstRow = false;
            sb.append("(");
            for (int i = 0; i < names.length; i++) {
                if (i > 0) sb.append(", ");
                sb.append(names[i]).append("=").append(rs.getString(names[i]));
            }
            sb.append(")");
        }
        return sb.append("]").toString();
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static {
        CHECKS.put("connect_and_metadata", c -> {
            DatabaseMetaData md = c.getMetaData();
            return List.of(md.getDatabaseProductName(), md.getDatabaseMajorVersion(),
                md.getUserName(), c.getAutoCommit(), c.getTransactionIsolation(), c.getSchema(),
                c.getCatalog());
        });
        CHECKS.put("simple_statement", c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT 1 AS a, 'x' AS b, NULL::int AS c")) {
                return rows(rs);
            }
        });
        CHECKS.put("prepared_types", c -> {
            exec(c, "SET TIME ZONE 'UTC'");
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT ?::int4, ?::int8, ?::text, ?::numeric, ?::bool, ?::float8, ?::date, "
                        + "?::timestamp, ?::timestamptz, ?::uuid, ?::bytea, ?::varchar")) {
                p.setInt(1, 42);
                p.setLong(2, 1L << 40);
                p.setString(3, "it's");
                p.setBigDecimal(4, new BigDecimal("12.3400"));
                p.setBoolean(5, true);
                p.setDouble(6, 0.5);
                p.setDate(7, java.sql.Date.valueOf("2024-02-29"));
                p.setTimestamp(8, Timestamp.valueOf("2024-01-02 03:04:05.678"));
                p.setObject(9, java.time.OffsetDateTime.parse("2024-01-02T03:04:05Z"));
                p.setObject(10, UUID.fromString("12345678-1234-5678-1234-567812345678"));
                p.setBytes(11, new byte[] {0, 1, (byte) 255});
                p.setNull(12, Types.VARCHAR);
                try (ResultSet rs = p.executeQuery()) {
                    return rows(rs);
                }
            }
        });
        CHECKS.put("prepared_reuse_server_prepare", c -> {
            List<Object> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT ? * 2")) {
                for (int i = 0; i < 8; i++) {
                    p.setInt(1, i);
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        out.add(rs.getInt(1));
                    }
                }
            }
            return out;
        });
        CHECKS.put("arrays", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT ?::int[], ?::text[], ARRAY[1.5, 2]::numeric[]")) {
                p.setArray(1, c.createArrayOf("int4", new Integer[] {1, 2, null}));
                p.setArray(2, c.createArrayOf("text", new String[] {"a", "b c"}));
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    Object[] a = (Object[]) rs.getArray(1).getArray();
                    Object[] b = (Object[]) rs.getArray(2).getArray();
                    Object[] d = (Object[]) rs.getArray(3).getArray();
                    return List.of(Arrays.toString(a), Arrays.toString(b), Arrays.toString(d),
                        rs.getArray(1).getBaseTypeName());
                }
            }
        });
        CHECKS.put("typed_getters", c -> {
            exec(c, "SET TIME ZONE 'UTC'");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT 12.5::numeric, '2024-01-02 03:04:05'::timestamp, "
                        + "'2024-01-02 03:04:05+00'::timestamptz, '2024-03-04'::date, "
                        + "'11:22:33'::time, '1 day'::interval, '{\"a\":1}'::jsonb, "
                        + "'12345678-1234-5678-1234-567812345678'::uuid")) {
                rs.next();
                return List.of(rs.getBigDecimal(1), rs.getTimestamp(2).toString(),
                    rs.getObject(3, java.time.OffsetDateTime.class).toString(),
                    rs.getDate(4).toString(), rs.getTime(5).toString(), rs.getString(6),
                    rs.getString(7), rs.getObject(8).getClass().getName());
            }
        });
        CHECKS.put("batch_insert", c -> {
            exec(c, "DROP TABLE IF EXISTS j_batch");
            exec(c, "CREATE TABLE j_batch (id int PRIMARY KEY, v text, t timestamp)");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO j_batch VALUES (?, ?, ?)")) {
                for (int i = 0; i < 5; i++) {
                    p.setInt(1, i);
                    p.setString(2, "v" + i);
                    p.setTimestamp(3, Timestamp.valueOf("2024-01-0" + (i + 1) + " 00:00:00"));
                    p.addBatch();
                }
                int[] counts = p.executeBatch();
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                        "SELECT count(*), min(t), max(v) FROM j_batch")) {
                    return Arrays.toString(counts) + " " + rows(rs);
                }
            }
        });
        CHECKS.put("statement_batch", c -> {
            exec(c, "DROP TABLE IF EXISTS j_sbatch");
            exec(c, "CREATE TABLE j_sbatch (a int)");
            try (Statement s = c.createStatement()) {
                s.addBatch("INSERT INTO j_sbatch VALUES (1)");
                s.addBatch("INSERT INTO j_sbatch VALUES (2), (3)");
                s.addBatch("UPDATE j_sbatch SET a = a + 10");
                return Arrays.toString(s.executeBatch());
            }
        });
        CHECKS.put("generated_keys", c -> {
            exec(c, "DROP TABLE IF EXISTS j_keys");
            exec(c, "CREATE TABLE j_keys (id serial PRIMARY KEY, v text)");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO j_keys (v) VALUES (?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                p.setString(1, "a");
                p.executeUpdate();
                try (ResultSet rs = p.getGeneratedKeys()) {
                    return rows(rs);
                }
            }
        });
        CHECKS.put("transactions_savepoints", c -> {
            exec(c, "DROP TABLE IF EXISTS j_tx");
            exec(c, "CREATE TABLE j_tx (a int UNIQUE)");
            c.setAutoCommit(false);
            exec(c, "INSERT INTO j_tx VALUES (1)");
            Savepoint sp = c.setSavepoint("s1");
            String err = null;
            try {
                exec(c, "INSERT INTO j_tx VALUES (1)");
            } catch (SQLException e) {
                err = e.getSQLState();
            }
            c.rollback(sp);
            exec(c, "INSERT INTO j_tx VALUES (2)");
            c.commit();
            exec(c, "INSERT INTO j_tx VALUES (3)");
            c.rollback();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT array_agg(a ORDER BY a) FROM j_tx")) {
                return err + " " + rows(rs);
            }
        });
        CHECKS.put("isolation_readonly", c -> {
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            c.setAutoCommit(false);
            c.setReadOnly(true);
            String iso;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")) {
                iso = rows(rs);
            }
            c.rollback();
            return iso + " " + c.getTransactionIsolation();
        });
        CHECKS.put("errors", c -> {
            List<String> out = new ArrayList<>();
            for (String q : new String[] {"SELECT 1/0", "SELECT nosuch FROM pg_class", "SELEC 1"}) {
                try {
                    exec(c, q);
                    out.add("ok");
                } catch (SQLException e) {
                    out.add(e.getSQLState() + " " + e.getMessage().split("\n")[0]);
                }
            }
            return out;
        });
        CHECKS.put("unique_violation", c -> {
            exec(c, "DROP TABLE IF EXISTS j_u");
            exec(c, "CREATE TABLE j_u (a int PRIMARY KEY)");
            exec(c, "INSERT INTO j_u VALUES (1)");
            try {
                exec(c, "INSERT INTO j_u VALUES (1)");
                return "no error";
            } catch (org.postgresql.util.PSQLException e) {
                org.postgresql.util.ServerErrorMessage m = e.getServerErrorMessage();
                return List.of(e.getSQLState(), String.valueOf(m.getDetail()),
                    String.valueOf(m.getConstraint()), String.valueOf(m.getTable()),
                    String.valueOf(m.getSchema()));
            }
        });
        CHECKS.put("resultset_metadata", c -> {
            exec(c, "DROP TABLE IF EXISTS j_md");
            exec(c, "CREATE TABLE j_md (id serial PRIMARY KEY, name varchar(20) NOT NULL, "
                + "price numeric(8,2), at timestamptz)");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT id, name, price, at, 1 + 1 AS expr FROM j_md")) {
                ResultSetMetaData md = rs.getMetaData();
                List<String> out = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    out.add(md.getColumnName(i) + ":" + md.getColumnLabel(i) + ":"
                        + md.getColumnTypeName(i) + ":" + md.getColumnType(i) + ":"
                        + md.getPrecision(i) + ":" + md.getScale(i) + ":" + md.isNullable(i)
                        + ":" + md.isAutoIncrement(i) + ":" + md.getTableName(i) + ":"
                        + md.getColumnClassName(i));
                }
                return out;
            }
        });
        CHECKS.put("dbmd_get_tables", c -> {
            exec(c, "DROP TABLE IF EXISTS j_meta_t CASCADE");
            exec(c, "CREATE TABLE j_meta_t (id int PRIMARY KEY, v text)");
            exec(c, "COMMENT ON TABLE j_meta_t IS 'a table'");
            exec(c, "CREATE OR REPLACE VIEW j_meta_v AS SELECT id FROM j_meta_t");
            try (ResultSet rs = c.getMetaData().getTables(null, "public", "j_meta%", null)) {
                return columns(rs, "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS");
            }
        });
        CHECKS.put("dbmd_get_columns", c -> {
            exec(c, "DROP TABLE IF EXISTS j_meta_c");
            exec(c, "CREATE TABLE j_meta_c (id serial PRIMARY KEY, name varchar(20) NOT NULL "
                + "DEFAULT 'n', price numeric(8,2), flags int[], at timestamptz)");
            try (ResultSet rs = c.getMetaData().getColumns(null, "public", "j_meta_c", null)) {
                return columns(rs, "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE",
                    "DECIMAL_DIGITS", "NULLABLE", "COLUMN_DEF", "ORDINAL_POSITION",
                    "IS_NULLABLE", "IS_AUTOINCREMENT");
            }
        });
        CHECKS.put("dbmd_primary_keys", c -> {
            exec(c, "DROP TABLE IF EXISTS j_meta_pk");
            exec(c, "CREATE TABLE j_meta_pk (a int, b text, PRIMARY KEY (b, a))");
            try (ResultSet rs = c.getMetaData().getPrimaryKeys(null, "public", "j_meta_pk")) {
                return columns(rs, "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            }
        });
        CHECKS.put("dbmd_index_info", c -> {
            exec(c, "DROP TABLE IF EXISTS j_meta_ix");
            exec(c, "CREATE TABLE j_meta_ix (a int PRIMARY KEY, b text)");
            exec(c, "CREATE INDEX j_meta_ix_b ON j_meta_ix (b)");
            try (ResultSet rs = c.getMetaData().getIndexInfo(null, "public", "j_meta_ix", false, false)) {
                return columns(rs, "NON_UNIQUE", "INDEX_NAME", "ORDINAL_POSITION", "COLUMN_NAME");
            }
        });
        CHECKS.put("dbmd_imported_keys", c -> {
            exec(c, "DROP TABLE IF EXISTS j_meta_child, j_meta_parent");
            exec(c, "CREATE TABLE j_meta_parent (id int PRIMARY KEY)");
            exec(c, "CREATE TABLE j_meta_child (pid int REFERENCES j_meta_parent ON DELETE CASCADE)");
            try (ResultSet rs = c.getMetaData().getImportedKeys(null, "public", "j_meta_child")) {
                return columns(rs, "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME",
                    "KEY_SEQ", "UPDATE_RULE", "DELETE_RULE", "FK_NAME", "PK_NAME");
            }
        });
        CHECKS.put("dbmd_schemas_and_types", c -> {
            DatabaseMetaData md = c.getMetaData();
            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
            }
            List<String> types = new ArrayList<>();
            try (ResultSet rs = md.getTableTypes()) {
                while (rs.next()) types.add(rs.getString(1));
            }
            return schemas + " " + types;
        });
        CHECKS.put("dbmd_procedures", c -> {
            exec(c, "CREATE OR REPLACE FUNCTION j_add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b'");
            try (ResultSet rs = c.getMetaData().getFunctions(null, "public", "j_add")) {
                return columns(rs, "FUNCTION_NAME", "FUNCTION_TYPE");
            }
        });
        CHECKS.put("callable_function", c -> {
            exec(c, "CREATE OR REPLACE FUNCTION j_add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b'");
            try (CallableStatement cs = c.prepareCall("{? = call j_add(?, ?)}")) {
                cs.registerOutParameter(1, Types.INTEGER);
                cs.setInt(2, 2);
                cs.setInt(3, 3);
                cs.execute();
                return cs.getInt(1);
            }
        });
        CHECKS.put("fetch_size_cursor", c -> {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(3);
                try (ResultSet rs = s.executeQuery("SELECT g FROM generate_series(1, 10) g")) {
                    int n = 0;
                    int sum = 0;
                    while (rs.next()) {
                        n++;
                        sum += rs.getInt(1);
                    }
                    c.commit();
                    return n + " " + sum;
                }
            }
        });
        CHECKS.put("multiple_results", c -> {
            try (Statement s = c.createStatement()) {
                boolean isRs = s.execute("SELECT 1; SELECT 2, 3");
                String a = rows(s.getResultSet());
                s.getMoreResults();
                return isRs + " " + a + " " + rows(s.getResultSet());
            }
        });
        CHECKS.put("client_info_and_settings", c -> {
            c.setClientInfo("ApplicationName", "jdbc checks");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT current_setting('application_name'), current_setting('extra_float_digits'), "
                        + "current_setting('DateStyle'), current_setting('client_encoding')")) {
                return rows(rs);
            }
        });
        CHECKS.put("listen_notify", c -> {
            exec(c, "LISTEN j_chan");
            try (Connection other = DriverManager.getConnection(url, "postgres", "")) {
                exec(other, "NOTIFY j_chan, 'payload'");
            }
            exec(c, "SELECT 1");
            org.postgresql.PGNotification[] ns =
                c.unwrap(org.postgresql.PGConnection.class).getNotifications(5000);
            List<String> out = new ArrayList<>();
            if (ns != null) for (org.postgresql.PGNotification n : ns) out.add(n.getName() + ":" + n.getParameter());
            return out;
        });
    }

    public static void main(String[] args) throws Exception {
        url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/postgres";
        Set<String> only = new HashSet<>(Arrays.asList(args).subList(2, args.length));
        for (Map.Entry<String, Check> e : CHECKS.entrySet()) {
            if (!only.isEmpty() && !only.contains(e.getKey())) continue;
            String result;
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                result = String.valueOf(e.getValue().run(c));
            } catch (SQLException ex) {
                result = "ERROR " + ex.getSQLState() + " " + String.valueOf(ex.getMessage()).split("\n")[0];
            } catch (Exception ex) {
                result = "EXCEPTION " + ex;
            }
            System.out.println((e.getKey() + "\t" + result).replace("\n", "\\n"));
        }
    }
}
