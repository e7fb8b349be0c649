//! Databases and schemas: CREATE / DROP DATABASE (copied from template1, one
//! catalog per database, connections refused after the drop), CREATE / DROP
//! SCHEMA with search_path. Every expectation is PostgreSQL 15's (these tests
//! also pass with `OXIPG_TEST_AGAINST_PG15=1`).

use tests::{Cluster, sqlstate};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

async fn one_value(c: &Client, sql: &str) -> Option<String> {
    let msgs = c
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    msgs.iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
            _ => None,
        })
        .flatten()
}

async fn connect_to(cluster: &Cluster, db: &str) -> Result<Client, tokio_postgres::Error> {
    let conninfo = format!("{} dbname={db}", cluster.conninfo());
    let (client, conn) = tokio_postgres::connect(&conninfo, NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_have_their_own_tables_and_can_be_dropped() {
    let cluster = Cluster::start();
    let admin = cluster.connect().await;
    admin
        .batch_execute("CREATE DATABASE app")
        .await
        .expect("create database");
    let e = admin
        .batch_execute("CREATE DATABASE app")
        .await
        .expect_err("duplicate");
    assert_eq!(sqlstate(&e), Some("42P04"));
    let e = admin
        .batch_execute("BEGIN; CREATE DATABASE other")
        .await
        .expect_err("in a block");
    assert_eq!(sqlstate(&e), Some("25001"));
    admin.batch_execute("ROLLBACK").await.expect("rollback");

    let app = connect_to(&cluster, "app")
        .await
        .expect("connect to the new database");
    assert_eq!(
        one_value(&app, "SELECT current_database()")
            .await
            .as_deref(),
        Some("app")
    );
    app.batch_execute("CREATE TABLE only_here (a int); INSERT INTO only_here VALUES (7)")
        .await
        .expect("table");
    assert_eq!(
        one_value(&app, "SELECT a FROM only_here").await.as_deref(),
        Some("7")
    );
    let e = admin
        .batch_execute("SELECT * FROM only_here")
        .await
        .expect_err("other database");
    assert_eq!(sqlstate(&e), Some("42P01"));
    assert_eq!(
        one_value(
            &admin,
            "SELECT count(*) FROM pg_database WHERE datname = 'app'"
        )
        .await
        .as_deref(),
        Some("1")
    );

    let e = app
        .batch_execute("DROP DATABASE app")
        .await
        .expect_err("own database");
    assert_eq!(sqlstate(&e), Some("55006"));
    // Another session is connected: DROP waits a few seconds, then refuses.
    let e = admin
        .batch_execute("DROP DATABASE app")
        .await
        .expect_err("in use");
    assert_eq!(sqlstate(&e), Some("55006"));
    assert_eq!(
        e.as_db_error().and_then(|d| d.detail()),
        Some("There is 1 other session using the database.")
    );
    drop(app);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    admin
        .batch_execute("DROP DATABASE app")
        .await
        .expect("drop database");
    let e = connect_to(&cluster, "app").await.expect_err("dropped");
    assert_eq!(sqlstate(&e), Some("3D000"));
    let e = admin
        .batch_execute("DROP DATABASE template1")
        .await
        .expect_err("template");
    assert_eq!(sqlstate(&e), Some("42809"));
    let e = connect_to(&cluster, "template0")
        .await
        .expect_err("datallowconn");
    assert_eq!(sqlstate(&e), Some("55000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_and_search_path() {
    let cluster = Cluster::start();
    let c = cluster.connect().await;
    c.batch_execute("CREATE SCHEMA s1; CREATE TABLE s1.t (a int); INSERT INTO s1.t VALUES (1)")
        .await
        .expect("schema");
    let e = c
        .batch_execute("SELECT * FROM t")
        .await
        .expect_err("not on the path");
    assert_eq!(sqlstate(&e), Some("42P01"));
    c.batch_execute("SET search_path = s1, public")
        .await
        .expect("set");
    assert_eq!(one_value(&c, "SELECT a FROM t").await.as_deref(), Some("1"));
    c.batch_execute("CREATE TABLE u (b int)")
        .await
        .expect("created in s1");
    assert_eq!(
        one_value(&c, "SELECT count(*) FROM s1.u").await.as_deref(),
        Some("0")
    );
    let e = c
        .batch_execute("DROP SCHEMA s1")
        .await
        .expect_err("not empty");
    assert_eq!(sqlstate(&e), Some("2BP01"));
    let e = c
        .batch_execute("CREATE SCHEMA pg_mine")
        .await
        .expect_err("reserved");
    assert_eq!(sqlstate(&e), Some("42939"));
    c.batch_execute("BEGIN; DROP SCHEMA s1 CASCADE; ROLLBACK")
        .await
        .expect("rolled back drop");
    assert_eq!(
        one_value(&c, "SELECT a FROM s1.t").await.as_deref(),
        Some("1")
    );
    c.batch_execute("DROP SCHEMA s1 CASCADE")
        .await
        .expect("drop cascade");
    let e = c
        .batch_execute("SELECT * FROM s1.t")
        .await
        .expect_err("gone");
    assert_eq!(sqlstate(&e), Some("42P01"));
    let e = c
        .batch_execute("CREATE TABLE s1.v (a int)")
        .await
        .expect_err("no schema");
    assert_eq!(sqlstate(&e), Some("3F000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_log_in_with_their_passwords() {
    let cluster = Cluster::builder().password("boss").start();
    let admin = cluster.connect().await;
    admin
        .batch_execute("CREATE ROLE app LOGIN PASSWORD 'apppw'")
        .await
        .expect("create role");
    let e = admin
        .batch_execute("CREATE ROLE app")
        .await
        .expect_err("duplicate");
    assert_eq!(sqlstate(&e), Some("42710"));
    let e = admin
        .batch_execute("CREATE ROLE pg_mine")
        .await
        .expect_err("reserved");
    assert_eq!(sqlstate(&e), Some("42939"));
    assert_eq!(
        one_value(
            &admin,
            "SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' FROM pg_authid WHERE rolname = 'app'"
        )
        .await
        .as_deref(),
        Some("t")
    );

    let (app, _conn) = cluster
        .try_connect_with("user=app password=apppw")
        .await
        .expect("app logs in");
    assert_eq!(
        one_value(&app, "SELECT current_user").await.as_deref(),
        Some("app")
    );
    let e = cluster
        .try_connect_with("user=app password=wrong")
        .await
        .expect_err("wrong password");
    assert_eq!(sqlstate(&e), Some("28P01"));

    admin
        .batch_execute("ALTER ROLE app PASSWORD 'newpw'")
        .await
        .expect("alter role");
    assert!(
        cluster
            .try_connect_with("user=app password=newpw")
            .await
            .is_ok()
    );
    assert!(
        cluster
            .try_connect_with("user=app password=apppw")
            .await
            .is_err()
    );

    // CREATE USER is CREATE ROLE with LOGIN.
    admin
        .batch_execute("CREATE USER appuser WITH PASSWORD 'upw'")
        .await
        .expect("create user");
    assert!(
        cluster
            .try_connect_with("user=appuser password=upw")
            .await
            .is_ok()
    );

    admin
        .batch_execute("CREATE ROLE nologin PASSWORD 'x'")
        .await
        .expect("create role");
    let e = cluster
        .try_connect_with("user=nologin password=x")
        .await
        .expect_err("cannot log in");
    assert_eq!(sqlstate(&e), Some("28000"));

    drop(app);
    admin
        .batch_execute("DROP ROLE app")
        .await
        .expect("drop role");
    let e = admin
        .batch_execute("DROP ROLE app")
        .await
        .expect_err("gone");
    assert_eq!(sqlstate(&e), Some("42704"));
    assert!(
        cluster
            .try_connect_with("user=app password=newpw")
            .await
            .is_err()
    );
}
