//! Every expectation here was checked against PostgreSQL 15.

use super::*;

const S: GucSource = GucSource::Session;

fn err(r: PgResult<()>) -> (String, String, Option<String>, Option<String>) {
    match r {
        Ok(()) => panic!("expected an error"),
        Err(e) => (e.code.code().to_string(), e.message, e.detail, e.hint),
    }
}

fn set(s: &mut Settings, name: &str, value: &str) -> PgResult<()> {
    s.set(name, value, S, true)
}

#[test]
fn table_is_sorted_and_complete() {
    let names: Vec<String> = all().iter().map(|d| d.name.to_ascii_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
    let reported: Vec<&str> = all()
        .iter()
        .filter(|d| d.is_reported())
        .map(|d| d.name)
        .collect();
    assert_eq!(
        reported,
        [
            "application_name",
            "client_encoding",
            "DateStyle",
            "default_transaction_read_only",
            "in_hot_standby",
            "integer_datetimes",
            "IntervalStyle",
            "is_superuser",
            "server_encoding",
            "server_version",
            "session_authorization",
            "standard_conforming_strings",
            "TimeZone"
        ]
    );
    // Boot values must parse under their own rules.
    let s = Settings::new();
    for d in all() {
        assert!(s.show(d.name).is_ok(), "{}", d.name);
    }
}

#[test]
fn lookup_is_case_insensitive() {
    assert_eq!(lookup("datestyle").map(|d| d.name), Some("DateStyle"));
    assert_eq!(lookup("TIMEZONE").map(|d| d.name), Some("TimeZone"));
    assert!(lookup("foo").is_none());
    let s = Settings::new();
    assert_eq!(s.show("DATESTYLE").as_deref(), Ok("ISO, MDY"));
}

#[test]
fn boot_values_show_as_postgres_does() {
    let s = Settings::new();
    for (name, shown) in [
        ("shared_buffers", "128MB"),
        ("work_mem", "4MB"),
        ("maintenance_work_mem", "64MB"),
        ("temp_buffers", "8MB"),
        ("effective_cache_size", "4GB"),
        ("wal_buffers", "4MB"),
        ("max_wal_size", "1GB"),
        ("min_wal_size", "80MB"),
        ("statement_timeout", "0"),
        ("deadlock_timeout", "1s"),
        ("checkpoint_timeout", "5min"),
        ("authentication_timeout", "1min"),
        ("wal_writer_delay", "200ms"),
        ("DateStyle", "ISO, MDY"),
        ("TimeZone", "Etc/UTC"),
        ("log_timezone", "Etc/UTC"),
        ("search_path", "\"$user\", public"),
        ("server_version", "15.4"),
        ("server_version_num", "150004"),
        ("block_size", "8192"),
        ("unix_socket_permissions", "0777"),
        ("random_page_cost", "4"),
        ("cpu_operator_cost", "0.0025"),
        ("checkpoint_completion_target", "0.9"),
        ("vacuum_cost_delay", "0"),
        ("max_connections", "100"),
        ("lc_collate", "C.UTF-8"),
        ("default_text_search_config", "pg_catalog.english"),
        ("dynamic_shared_memory_type", "posix"),
        ("default_transaction_isolation", "read committed"),
        ("log_line_prefix", "%m [%p] "),
        ("is_superuser", "off"),
        ("integer_datetimes", "on"),
    ] {
        assert_eq!(s.show(name).as_deref(), Ok(shown), "{name}");
    }
    assert_eq!(s.get_int("shared_buffers"), Some(16384));
    assert_eq!(s.get_bytes("shared_buffers"), Some(128 << 20));
    assert_eq!(s.get_int("work_mem"), Some(4096));
    assert_eq!(
        s.get_duration("deadlock_timeout"),
        Some(Duration::from_secs(1))
    );
    assert_eq!(s.get_bool("fsync"), Some(true));
    assert_eq!(s.get_real("seq_page_cost"), Some(1.0));
    assert_eq!(s.get_str("IntervalStyle").as_deref(), Some("postgres"));
    assert_eq!(s.get_int("fsync"), None);
}

#[test]
fn units_parse_and_show() {
    let mut s = Settings::new();
    for (name, input, shown) in [
        ("work_mem", "1GB", "1GB"),
        ("work_mem", "1536kB", "1536kB"),
        ("work_mem", "1.5MB", "1536kB"),
        ("work_mem", "65536", "64MB"),
        ("work_mem", "1048576B", "1MB"),
        ("work_mem", "65537B", "64kB"),
        ("statement_timeout", "1500ms", "1500ms"),
        ("statement_timeout", "1s", "1s"),
        ("statement_timeout", "60000", "1min"),
        ("statement_timeout", "1.5s", "1500ms"),
        ("statement_timeout", "90min", "90min"),
        ("statement_timeout", "48h", "2d"),
        ("statement_timeout", "100us", "0"),
        ("statement_timeout", "1500us", "2ms"),
        ("temp_buffers", "100", "800kB"),
        ("temp_buffers", "100GB", "100GB"),
        ("effective_cache_size", "5000B", "8kB"),
        ("vacuum_cost_delay", "500us", "500us"),
        ("vacuum_cost_delay", "0.5", "500us"),
        ("vacuum_cost_delay", "2ms", "2ms"),
        ("random_page_cost", "1e300", "1e+300"),
        ("random_page_cost", "0.1234567890123", "0.123457"),
    ] {
        set(&mut s, name, input).unwrap_or_else(|e| panic!("{name} = {input}: {e}"));
        assert_eq!(s.show(name).as_deref(), Ok(shown), "{name} = {input}");
    }
}

#[test]
fn error_messages_match_postgres() {
    let mut s = Settings::new();
    let e = |s: &mut Settings, n: &str, v: &str| err(set(s, n, v));
    assert_eq!(
        e(&mut s, "foo", "1").1,
        "unrecognized configuration parameter \"foo\""
    );
    assert_eq!(e(&mut s, "foo", "1").0, "42704");
    assert_eq!(
        err(s.show("foo").map(|_| ())).1,
        "unrecognized configuration parameter \"foo\""
    );
    let r = e(&mut s, "max_connections", "10");
    assert_eq!(
        (r.0.as_str(), r.1.as_str()),
        (
            "55P02",
            "parameter \"max_connections\" cannot be changed without restarting the server"
        )
    );
    assert_eq!(
        e(&mut s, "Max_Connections", "-5").1,
        "parameter \"Max_Connections\" cannot be changed without restarting the server"
    );
    assert_eq!(
        e(&mut s, "fsync", "off").1,
        "parameter \"fsync\" cannot be changed now"
    );
    assert_eq!(
        e(&mut s, "block_size", "10").1,
        "parameter \"block_size\" cannot be changed"
    );
    assert_eq!(
        e(&mut s, "log_connections", "on").1,
        "parameter \"log_connections\" cannot be set after connection start"
    );
    let r = err(s.set("commit_delay", "10", S, false));
    assert_eq!(
        (r.0.as_str(), r.1.as_str()),
        (
            "42501",
            "permission denied to set parameter \"commit_delay\""
        )
    );
    assert!(s.set("commit_delay", "10", S, true).is_ok());
    assert_eq!(
        e(&mut s, "work_mem", "abc"),
        (
            "22023".into(),
            "invalid value for parameter \"work_mem\": \"abc\"".into(),
            None,
            None
        )
    );
    assert_eq!(
        e(&mut s, "work_mem", "10 xB").3.as_deref(),
        Some("Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".")
    );
    assert_eq!(
        e(&mut s, "statement_timeout", "5MS").3.as_deref(),
        Some(
            "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."
        )
    );
    assert_eq!(
        e(&mut s, "work_mem", "1").1,
        "1 kB is outside the valid range for parameter \"work_mem\" (64 .. 2147483647)"
    );
    assert_eq!(
        e(&mut s, "work_mem", "2TB").3.as_deref(),
        Some("Value exceeds integer range.")
    );
    assert_eq!(
        e(&mut s, "temp_buffers", "99").1,
        "99 8kB is outside the valid range for parameter \"temp_buffers\" (100 .. 1073741823)"
    );
    assert_eq!(
        e(&mut s, "statement_timeout", "-1").1,
        "-1 ms is outside the valid range for parameter \"statement_timeout\" (0 .. 2147483647)"
    );
    assert_eq!(
        e(&mut s, "extra_float_digits", "4").1,
        "4 is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)"
    );
    assert_eq!(
        e(&mut s, "random_page_cost", "-1").1,
        "-1 is outside the valid range for parameter \"random_page_cost\" (0 .. 1.79769e+308)"
    );
    assert_eq!(
        e(&mut s, "vacuum_cost_delay", "1s").1,
        "1000 ms is outside the valid range for parameter \"vacuum_cost_delay\" (0 .. 100)"
    );
    assert_eq!(
        e(&mut s, "enable_seqscan", "maybe"),
        (
            "22023".into(),
            "parameter \"enable_seqscan\" requires a Boolean value".into(),
            None,
            None
        )
    );
    assert_eq!(
        e(&mut s, "bytea_output", "he"),
        (
            "22023".into(),
            "invalid value for parameter \"bytea_output\": \"he\"".into(),
            None,
            Some("Available values: escape, hex.".into())
        )
    );
    assert_eq!(
        e(&mut s, "synchronous_commit", "bogus").3.as_deref(),
        Some("Available values: local, remote_write, remote_apply, on, off.")
    );
    assert_eq!(
        e(&mut s, "client_min_messages", "bogus").3.as_deref(),
        Some(
            "Available values: debug5, debug4, debug3, debug2, debug1, log, notice, warning, error."
        )
    );
    // Parse errors use the name as written, check errors the canonical name.
    assert_eq!(
        e(&mut s, "intervalstyle", "bogus").1,
        "invalid value for parameter \"intervalstyle\": \"bogus\""
    );
    assert_eq!(
        e(&mut s, "datestyle", "bogus"),
        (
            "22023".into(),
            "invalid value for parameter \"DateStyle\": \"bogus\"".into(),
            Some("Unrecognized key word: \"bogus\".".into()),
            None
        )
    );
    assert_eq!(
        e(&mut s, "timezone", "").1,
        "invalid value for parameter \"TimeZone\": \"\""
    );
    let r = e(&mut s, "client_encoding", "mule_internal");
    assert_eq!(
        (r.0.as_str(), r.2.as_deref()),
        (
            "0A000",
            Some("Conversion between MULE_INTERNAL and UTF8 is not supported.")
        )
    );
    assert_eq!(
        e(&mut s, "client_encoding", "default").1,
        "invalid value for parameter \"client_encoding\": \"default\""
    );
    let r = err(s.show_as("data_directory", false).map(|_| ()));
    assert_eq!(
        (r.0.as_str(), r.1.as_str()),
        (
            "42501",
            "must be superuser or have privileges of pg_read_all_settings to examine \"data_directory\""
        )
    );
    assert_eq!(
        flatten_set_args("work_mem", &["1", "2"]).map_err(|e| e.message),
        Err("SET work_mem takes only one argument".into())
    );
}

#[test]
fn values_are_canonicalised() {
    let mut s = Settings::new();
    for (name, input, shown) in [
        ("enable_seqscan", "of", "off"),
        ("enable_seqscan", "y", "on"),
        ("enable_seqscan", "NO", "off"),
        ("enable_seqscan", "tr", "on"),
        ("bytea_output", "HEX", "hex"),
        ("synchronous_commit", "yes", "on"),
        ("synchronous_commit", "0", "off"),
        ("client_min_messages", "info", "info"),
        ("client_min_messages", "debug", "debug2"),
        (
            "default_transaction_isolation",
            "SERIALIZABLE",
            "serializable",
        ),
        ("datestyle", "sql, dmy", "SQL, DMY"),
        ("client_encoding", "latin1", "LATIN1"),
        ("client_encoding", "utf-8", "UTF8"),
        ("timezone", "+5", "<+05>-05"),
        ("TimeZone", "UTC", "UTC"),
        ("application_name", "héllo", "h??llo"),
        ("extra_float_digits", "2.6", "3"),
    ] {
        set(&mut s, name, input).unwrap_or_else(|e| panic!("{name} = {input}: {e}"));
        assert_eq!(s.show(name).as_deref(), Ok(shown), "{name} = {input}");
    }
    assert_eq!(
        flatten_set_args("search_path", &["public", "My Schema", "x\"y"]).as_deref(),
        Ok("public, \"My Schema\", \"x\"\"y\"")
    );
    assert_eq!(
        flatten_set_args("search_path", &["a, b"]).as_deref(),
        Ok("\"a, b\"")
    );
}

#[test]
fn placeholders() {
    let mut s = Settings::new();
    set(&mut s, "myapp.x", "y").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.show("myapp.x").as_deref(), Ok("y"));
    assert_eq!(s.show("MYAPP.X").as_deref(), Ok("y"));
    assert_eq!(
        err(s.show("myapp.y").map(|_| ())),
        (
            "42704".into(),
            "unrecognized configuration parameter \"myapp.y\"".into(),
            None,
            None
        )
    );
    assert!(s.reset("myapp.z", false).is_ok());
    assert_eq!(s.show("myapp.z").as_deref(), Ok(""));
    assert!(set(&mut s, "a.b.c", "1").is_ok());
    assert_eq!(
        err(set(&mut s, "myapp", "1")).1,
        "unrecognized configuration parameter \"myapp\""
    );
    for bad in [".x", "x.", "a..b", "a b.c", "1a.b", "a.1b", "a-b.c"] {
        assert_eq!(
            err(set(&mut s, bad, "1")),
            (
                "42602".into(),
                format!("invalid configuration parameter name \"{bad}\""),
                Some("Custom parameter names must be two or more simple identifiers separated by dots.".into()),
                None
            )
        );
    }
    assert!(set(&mut s, "a$.b_1", "1").is_ok());
    assert!(s.show_all().iter().all(|(n, _, _)| !n.contains('.')));
    // A placeholder survives a rollback, empty; RESET ALL empties it.
    s.begin_transaction();
    set(&mut s, "myapp.q", "x").unwrap_or_else(|e| panic!("{e}"));
    s.abort_transaction();
    assert_eq!(s.show("myapp.q").as_deref(), Ok(""));
    s.reset_all();
    assert_eq!(s.show("myapp.x").as_deref(), Ok(""));
}

#[test]
fn transactions_and_set_local() {
    let mut s = Settings::new();
    let show = |s: &Settings, n: &str| s.show(n).unwrap_or_default();
    // ROLLBACK reverts SET and SET LOCAL.
    s.begin_transaction();
    set(&mut s, "work_mem", "8MB").unwrap_or_default();
    s.set_local("statement_timeout", "5s", false)
        .unwrap_or_default();
    assert_eq!(show(&s, "statement_timeout"), "5s");
    s.abort_transaction();
    assert_eq!(
        (show(&s, "work_mem"), show(&s, "statement_timeout")),
        ("4MB".into(), "0".into())
    );
    // COMMIT keeps SET, drops SET LOCAL.
    s.begin_transaction();
    set(&mut s, "work_mem", "8MB").unwrap_or_default();
    s.set_local("statement_timeout", "5s", false)
        .unwrap_or_default();
    s.commit_transaction();
    assert_eq!(
        (show(&s, "work_mem"), show(&s, "statement_timeout")),
        ("8MB".into(), "0".into())
    );
    // SET after SET LOCAL wins; SET LOCAL after SET reverts to the SET.
    s.begin_transaction();
    s.set_local("work_mem", "16MB", false).unwrap_or_default();
    set(&mut s, "work_mem", "32MB").unwrap_or_default();
    s.commit_transaction();
    assert_eq!(show(&s, "work_mem"), "32MB");
    s.begin_transaction();
    set(&mut s, "work_mem", "64MB").unwrap_or_default();
    s.set_local("work_mem", "16MB", false).unwrap_or_default();
    assert_eq!(show(&s, "work_mem"), "16MB");
    s.commit_transaction();
    assert_eq!(show(&s, "work_mem"), "64MB");
    // Savepoints.
    s.begin_transaction();
    s.begin_subtransaction();
    set(&mut s, "work_mem", "1MB").unwrap_or_default();
    s.abort_subtransaction();
    assert_eq!(show(&s, "work_mem"), "64MB");
    set(&mut s, "work_mem", "2MB").unwrap_or_default();
    s.begin_subtransaction();
    s.set_local("work_mem", "3MB", false).unwrap_or_default();
    s.commit_subtransaction();
    assert_eq!(show(&s, "work_mem"), "3MB");
    s.commit_transaction();
    assert_eq!(show(&s, "work_mem"), "2MB");
    // SET LOCAL outside a transaction does nothing.
    s.set_local("work_mem", "7MB", false).unwrap_or_default();
    assert_eq!(show(&s, "work_mem"), "2MB");
    assert!(s.reset("work_mem", false).is_ok());
    assert_eq!(show(&s, "work_mem"), "4MB");
    // RESET obeys the context rules.
    assert_eq!(
        err(s.reset("max_connections", true)).1,
        "parameter \"max_connections\" cannot be changed without restarting the server"
    );
    assert_eq!(
        err(s.reset("fsync", true)).1,
        "parameter \"fsync\" cannot be changed now"
    );
    assert_eq!(
        err(s.reset("block_size", true)).1,
        "parameter \"block_size\" cannot be changed"
    );
    assert_eq!(
        err(s.reset("foo", true)).1,
        "unrecognized configuration parameter \"foo\""
    );
    // transaction_read_only follows the default at each transaction start,
    // and RESET ALL leaves the transaction_* settings alone.
    set(&mut s, "default_transaction_read_only", "on").unwrap_or_default();
    s.begin_transaction();
    assert_eq!(show(&s, "transaction_read_only"), "on");
    s.abort_transaction();
    s.reset_all();
    assert_eq!(show(&s, "default_transaction_read_only"), "off");
    assert_eq!(show(&s, "transaction_read_only"), "on");
}

#[test]
fn sources_and_reset_values() {
    let mut s = Settings::new();
    s.set("work_mem", "16MB", GucSource::Client, false)
        .unwrap_or_default();
    set(&mut s, "work_mem", "32MB").unwrap_or_default();
    assert!(s.reset("work_mem", false).is_ok());
    assert_eq!(s.show("work_mem").as_deref(), Ok("16MB"));
    // A reload does not override a session's SET but changes what RESET restores.
    set(&mut s, "work_mem", "32MB").unwrap_or_default();
    s.set("work_mem", "8MB", GucSource::ConfigFile, true)
        .unwrap_or_default();
    assert_eq!(s.show("work_mem").as_deref(), Ok("32MB"));
    // Startup packet options obey contexts.
    assert_eq!(
        err(s.set("max_connections", "5", GucSource::Client, true)).0,
        "55P02"
    );
    assert!(
        s.set("log_connections", "on", GucSource::Client, true)
            .is_ok()
    );
    assert_eq!(
        err(s.set("log_connections", "on", GucSource::Client, false)).0,
        "42501"
    );
    // The server's own values.
    assert!(s.set_override("is_superuser", "on").is_ok());
    assert!(s.set_override("session_authorization", "postgres").is_ok());
    assert_eq!(s.show("session_authorization").as_deref(), Ok("postgres"));
    assert_eq!(
        err(set(&mut s, "is_superuser", "off")).1,
        "parameter \"is_superuser\" cannot be changed"
    );
}

#[test]
fn reported_settings_and_hooks() {
    let mut s = Settings::new();
    let first = s.changed_reported();
    assert_eq!(first.len(), 13);
    assert!(first.contains(&("DateStyle", "ISO, MDY".to_string())));
    assert!(s.changed_reported().is_empty());
    set(&mut s, "datestyle", "german").unwrap_or_default();
    set(&mut s, "work_mem", "8MB").unwrap_or_default();
    assert_eq!(
        s.changed_reported(),
        vec![("DateStyle", "German, DMY".to_string())]
    );
    fn no_such_role(v: &str) -> Result<String, CheckError> {
        Err(CheckError {
            message: Some(format!("role \"{v}\" does not exist")),
            ..CheckError::invalid()
        })
    }
    assert!(s.install_check_hook("session_authorization", no_such_role));
    assert_eq!(
        err(set(&mut s, "session_authorization", "nobody")).1,
        "role \"nobody\" does not exist"
    );
    assert!(!s.install_check_hook("work_mem", no_such_role));
}

#[test]
fn show_all_rows() {
    let s = Settings::new();
    let rows = s.show_all();
    let names: Vec<&str> = rows.iter().map(|r| r.0).collect();
    assert!(!names.contains(&"is_superuser") && !names.contains(&"session_authorization"));
    let pos = |n: &str| names.iter().position(|x| *x == n);
    assert!(
        pos("data_checksums") < pos("data_directory") && pos("data_directory") < pos("DateStyle")
    );
    assert!(rows.contains(&(
        "work_mem",
        "4MB".to_string(),
        "Sets the maximum memory to be used for query workspaces."
    )));
    let limited = s.show_all_as(false);
    assert!(limited.iter().all(|r| !matches!(
        r.0,
        "data_directory" | "config_file" | "hba_file" | "unix_socket_directories"
    )));
}

#[test]
fn config_file_parsing() {
    let f = "/tmp/pgc/postgresql.conf";
    let parse = |t: &str| parse_config_file(t, f);
    let ok = |t: &str| parse(t).unwrap_or_else(|e| panic!("{t}: {:?}", e.problems));
    let one = |t: &str| {
        ok(t)
            .into_iter()
            .map(|e| (e.name, e.value))
            .collect::<Vec<_>>()
    };
    assert_eq!(one("work_mem = 8MB\n"), [("work_mem".into(), "8MB".into())]);
    assert_eq!(one("work_mem 8MB\n"), [("work_mem".into(), "8MB".into())]);
    assert_eq!(
        one("work_mem=8MB # c\n"),
        [("work_mem".into(), "8MB".into())]
    );
    assert_eq!(
        one("  work_mem  =  8MB  \r\n"),
        [("work_mem".into(), "8MB".into())]
    );
    assert_eq!(
        one("application_name = 'a''b'"),
        [("application_name".into(), "a'b".into())]
    );
    assert_eq!(
        one("application_name = 'a\\'b'"),
        [("application_name".into(), "a'b".into())]
    );
    assert_eq!(
        one("application_name = 'a\\nb\\tc\\\\d\\101e'"),
        [("application_name".into(), "a\nb\tc\\dAe".into())]
    );
    assert_eq!(
        one("application_name = abc-def"),
        [("application_name".into(), "abc-def".into())]
    );
    assert_eq!(one("x.y = 12.5e3"), [("x.y".into(), "12.5e3".into())]);
    assert_eq!(
        one("a = -12\nb = 0x1F"),
        [("a".into(), "-12".into()), ("b".into(), "0x1F".into())]
    );
    assert_eq!(
        one("myapp.x = 'a' # c\n#c\n\n  # d\n"),
        [("myapp.x".into(), "a".into())]
    );
    let entries = ok("\n\nwork_mem = 8MB\n");
    assert_eq!(entries[0].line, 3);
    let problems = |t: &str| {
        parse(t)
            .err()
            .map(|e| {
                e.problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let near =
        |line: usize, what: &str| format!("syntax error in file \"{f}\" line {line}, {what}");
    assert_eq!(problems("work_mem = \n"), [near(1, "near end of line")]);
    assert_eq!(problems("work_mem\n"), [near(1, "near end of line")]);
    assert_eq!(
        problems("work_mem = 8MB extra"),
        [near(1, "near token \"extra\"")]
    );
    assert_eq!(problems("work_mem = '8MB"), [near(1, "near token \"'\"")]);
    assert_eq!(problems("= 3"), [near(1, "near token \"=\"")]);
    assert_eq!(
        problems("work_mem = '8' 'MB'"),
        [near(1, "near token \"'MB'\"")]
    );
    assert_eq!(
        problems("application_name = a.b"),
        [near(1, "near token \"a.b\"")]
    );
    assert_eq!(problems("work_mem = 1.5MB"), [near(1, "near token \"MB\"")]);
    assert_eq!(problems("work_mem = 1e3"), [near(1, "near token \"3\"")]);
    assert_eq!(problems("work_mem = 8MB;"), [near(1, "near token \";\"")]);
    assert_eq!(
        problems("work_mem = \"8MB\""),
        [near(1, "near token \"\"\"")]
    );
    assert_eq!(
        problems("work-mem = 8MB"),
        [near(1, "near token \"work-mem\"")]
    );
    assert_eq!(
        problems("1work_mem = 8MB"),
        [near(1, "near token \"1work\"")]
    );
    assert_eq!(
        problems("a a a\nb b b\n"),
        [near(1, "near token \"a\""), near(2, "near token \"b\"")]
    );
    let e = parse("include 'foo.conf'")
        .err()
        .map(|e| (e.problems[0].code, e.summary.message));
    assert_eq!(
        e,
        Some((
            SqlState::FeatureNotSupported,
            format!("configuration file \"{f}\" contains errors")
        ))
    );
}

#[test]
fn config_file_application() {
    let f = "/tmp/pgc/postgresql.conf";
    let mut s = Settings::new();
    let text = "max_connections = 50\nshared_buffers = 256MB\nWORK_MEM = 8MB\nwork_mem = 16MB\ndatestyle = 'iso, dmy'\nmyapp.x = y\n";
    assert!(load_config(&mut s, text, f).is_ok());
    assert_eq!(s.show("max_connections").as_deref(), Ok("50"));
    assert_eq!(s.show("work_mem").as_deref(), Ok("16MB"));
    assert_eq!(s.show("DateStyle").as_deref(), Ok("ISO, DMY"));
    assert_eq!(s.show("wal_buffers").as_deref(), Ok("8MB"));
    assert_eq!(s.show("myapp.x").as_deref(), Ok("y"));
    assert_eq!(s.source("work_mem"), Some(GucSource::ConfigFile));
    // Command-line options outrank the file whatever the order.
    assert!(
        s.set("work_mem", "32MB", GucSource::CommandLine, true)
            .is_ok()
    );
    assert!(load_config(&mut s, "work_mem = 1MB", f).is_ok());
    assert_eq!(s.show("work_mem").as_deref(), Ok("32MB"));
    let messages = |t: &str| {
        let mut s = Settings::new();
        let entries = parse_config_file(t, f).unwrap_or_default();
        apply_config(&mut s, &entries, f)
            .err()
            .map(|e| {
                e.problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        messages("\n\nfoo = 1\nbar = 2\n"),
        [
            format!("unrecognized configuration parameter \"foo\" in file \"{f}\" line 3"),
            format!("unrecognized configuration parameter \"bar\" in file \"{f}\" line 4"),
        ]
    );
    assert_eq!(
        messages("work_mem = abc"),
        ["invalid value for parameter \"work_mem\": \"abc\""]
    );
    assert_eq!(
        messages("work_mem = 1"),
        ["1 kB is outside the valid range for parameter \"work_mem\" (64 .. 2147483647)"]
    );
    assert_eq!(
        messages("block_size = 10"),
        ["parameter \"block_size\" cannot be changed"]
    );
    assert_eq!(
        messages("fsync = maybe"),
        ["parameter \"fsync\" requires a Boolean value"]
    );
    // Reload: postmaster settings are not changed, others are.
    let mut s = Settings::new();
    let entries = parse_config_file("max_connections = 10\nwork_mem = 8MB\nfsync = off\n", f)
        .unwrap_or_default();
    let logged: Vec<String> = reload_config(&mut s, &entries, f)
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert_eq!(
        logged,
        ["parameter \"max_connections\" cannot be changed without restarting the server"]
    );
    assert_eq!(s.show("max_connections").as_deref(), Ok("100"));
    assert_eq!(s.show("fsync").as_deref(), Ok("off"));
}
