//! Lays out a fresh data directory, as initdb does.
//!
//! ```text
//! PG_VERSION  postgresql.conf  pg_hba.conf
//! global/1262 1260     pg_database, pg_authid (shared catalogs)
//! base/1 base/4 base/5 template1, template0, postgres
//! global/pg_control   next transaction id and OID reservations
//! pg_wal/  pg_xact/
//! ```
//! Each database directory gets its system catalogs as heap files
//! ([`write_catalogs`]), with rows frozen (visible to every transaction).
//! Every file is written to a temporary name and renamed, and PG_VERSION is
//! written last: a directory without PG_VERSION is an unfinished initialisation
//! that the next start may redo.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use storage::heap::tuple::{HEAP_XMAX_INVALID, HEAP_XMIN_FROZEN, TupleHeaderMut, form_tuple};
use storage::page::{AddItemFlags, ItemPointer, PageMut, maxalign};
use storage::smgr::{BLCKSZ, ForkNumber, RelFileLocator, Smgr};
use storage::transam::FROZEN_XID;
use types::{Datum, PgError, PgResult};

use crate::database::BOOTSTRAP_DATABASES;
use crate::system;

/// The major version written to PG_VERSION and checked at start.
pub const PG_MAJOR_VERSION: &str = "15";

/// What to initialise a data directory with.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// Name of the bootstrap superuser.
    pub superuser: String,
    /// The superuser's password verifier (`SCRAM-SHA-256$...`), if a password was given.
    pub superuser_verifier: Option<String>,
}

/// True if `dir` holds an initialised cluster.
pub fn is_initialized(dir: &Path) -> bool {
    dir.join("PG_VERSION").is_file()
}

/// True if `dir` is missing or has no entries.
pub fn is_empty_or_missing(dir: &Path) -> std::io::Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn write_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("bootstrap-tmp");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// Initialises `dir` (which must be missing or empty).
pub fn initialize(dir: &Path, opts: &BootstrapOptions) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    for sub in [
        "global",
        "base",
        "pg_wal",
        "pg_xact",
        "pg_stat",
        "pg_stat_tmp",
    ] {
        fs::create_dir_all(dir.join(sub))?;
    }
    write_shared_catalogs(dir, opts).map_err(|e| std::io::Error::other(e.message))?;
    for db in BOOTSTRAP_DATABASES {
        fs::create_dir_all(dir.join("base").join(db.oid.to_string()))?;
        write_catalogs(dir, db.oid).map_err(|e| std::io::Error::other(e.message))?;
    }
    let method = if opts.superuser_verifier.is_some() {
        "scram-sha-256"
    } else {
        "trust"
    };
    write_file(&dir.join("pg_hba.conf"), &hba_conf(method))?;
    write_file(&dir.join("postgresql.conf"), POSTGRESQL_CONF)?;
    storage::transam::Transam::bootstrap(dir).map_err(|e| std::io::Error::other(e.message))?;
    let control = storage::transam::control::ControlFile::read(dir)
        .map_err(|e| std::io::Error::other(e.message))?;
    storage::xlog::checkpoint::bootstrap(dir, control.next_xid, control.next_oid)
        .map_err(|e| std::io::Error::other(e.message))?;
    write_file(&dir.join("PG_VERSION"), &format!("{PG_MAJOR_VERSION}\n"))?;
    fs::File::open(dir)?.sync_all()
}

/// Writes database `db_oid`'s system catalogs (`base/<db>/<catalog oid>`) with
/// the rows initdb puts there, packed into pages with checksums and fsynced.
/// Rows are frozen: xmin is [`FROZEN_XID`] and the frozen hint is set.
pub fn write_catalogs(dir: &Path, db_oid: u32) -> PgResult<()> {
    let (classes, attrs) = system::catalog_self_description();
    let mut smgr = Smgr::new(dir);
    for def in system::CATALOGS {
        let rows: Vec<Vec<Datum>> = match def.oid {
            system::PG_TYPE => system::builtin_type_rows(),
            system::PG_NAMESPACE => system::namespace_rows(),
            system::PG_PROC => system::information_schema_proc_rows(),
            system::PG_OPCLASS => system::opclass_rows(),
            system::PG_AM => system::access_method_rows(),
            crate::empty::PG_LANGUAGE => crate::empty::language_rows(),
            crate::empty::PG_EXTENSION => crate::empty::extension_rows(),
            crate::empty::PG_TS_PARSER => crate::empty::ts_parser_rows(),
            crate::empty::PG_TS_TEMPLATE => crate::empty::ts_template_rows(),
            crate::empty::PG_TS_DICT => crate::empty::ts_dict_rows(),
            crate::empty::PG_TS_CONFIG => crate::empty::ts_config_rows(),
            system::PG_COLLATION => system::collation_rows(),
            system::PG_DESCRIPTION => system::description_rows(),
            system::PG_CLASS => classes.iter().map(system::ClassRow::to_datums).collect(),
            system::PG_ATTRIBUTE => attrs
                .iter()
                .map(system::AttributeRow::to_datums)
                .collect::<PgResult<_>>()?,
            _ => Vec::new(),
        };
        write_heap(&mut smgr, RelFileLocator::new(db_oid, def.oid), &def, rows)?;
    }
    Ok(())
}

/// Writes the shared catalogs (`global/<catalog oid>`): the databases and
/// the bootstrap superuser.
pub fn write_shared_catalogs(dir: &Path, opts: &BootstrapOptions) -> PgResult<()> {
    let mut smgr = Smgr::new(dir);
    write_heap(
        &mut smgr,
        RelFileLocator::shared(system::PG_DATABASE),
        &system::PG_DATABASE_DEF,
        system::database_rows(&opts.superuser),
    )?;
    let superuser = system::bootstrap_superuser(&opts.superuser, opts.superuser_verifier.clone());
    write_heap(
        &mut smgr,
        RelFileLocator::shared(system::PG_AUTHID),
        &system::PG_AUTHID_DEF,
        std::iter::once(superuser)
            .chain(system::predefined_roles())
            .map(|r| r.to_datums())
            .collect(),
    )?;
    write_heap(
        &mut smgr,
        RelFileLocator::shared(system::PG_AUTH_MEMBERS),
        &system::PG_AUTH_MEMBERS_DEF,
        system::predefined_memberships()
            .iter()
            .map(system::AuthMemberRow::to_datums)
            .collect(),
    )?;
    write_heap(
        &mut smgr,
        RelFileLocator::shared(system::PG_TABLESPACE),
        &system::PG_TABLESPACE_DEF,
        system::tablespace_rows(),
    )?;
    // No subscriptions yet.
    write_heap(
        &mut smgr,
        RelFileLocator::shared(system::PG_SUBSCRIPTION),
        &system::PG_SUBSCRIPTION_DEF,
        Vec::new(),
    )?;
    write_heap(
        &mut smgr,
        RelFileLocator::shared(system::PG_SHDESCRIPTION),
        &system::PG_SHDESCRIPTION_DEF,
        system::shdescription_rows(),
    )?;
    write_heap(
        &mut smgr,
        RelFileLocator::shared(crate::empty::PG_SHSECLABEL),
        &crate::empty::PG_SHSECLABEL_DEF,
        Vec::new(),
    )?;
    write_heap(
        &mut smgr,
        RelFileLocator::shared(crate::empty::PG_DB_ROLE_SETTING),
        &crate::empty::PG_DB_ROLE_SETTING_DEF,
        Vec::new(),
    )
}

/// One catalog's heap file, its rows frozen, packed into pages and fsynced.
fn write_heap(
    smgr: &mut Smgr,
    rel: RelFileLocator,
    def: &system::CatalogDef,
    rows: Vec<Vec<Datum>>,
) -> PgResult<()> {
    let desc = def.tuple_desc()?;
    smgr.create(rel, ForkNumber::Main, false)?;
    let mut page = Box::new([0u8; BLCKSZ]);
    PageMut::new(&mut page).init(0);
    let mut block = 0;
    let flush = |page: &mut [u8; BLCKSZ], block: u32, smgr: &mut Smgr| -> PgResult<()> {
        PageMut::new(page).set_checksum(block);
        smgr.extend(rel, ForkNumber::Main, block, page, true)
    };
    for row in rows {
        let mut tuple = form_tuple(&desc, &row)?;
        {
            let mut h = TupleHeaderMut::parse(&mut tuple)?;
            h.set_xmin(FROZEN_XID);
            h.add_infomask(HEAP_XMIN_FROZEN | HEAP_XMAX_INVALID);
        }
        if PageMut::new(&mut page).as_page().heap_free_space() < maxalign(tuple.len()) {
            flush(&mut page, block, smgr)?;
            block += 1;
            PageMut::new(&mut page).init(0);
        }
        let mut p = PageMut::new(&mut page);
        let Some(off) = p.add_item(&tuple, None, AddItemFlags::HEAP)? else {
            return Err(PgError::internal(
                "bootstrap row does not fit an empty page",
            ));
        };
        TupleHeaderMut::parse(p.get_item_mut(off)?)?.set_ctid(ItemPointer::new(block, off));
    }
    flush(&mut page, block, smgr)?;
    smgr.immedsync(rel, ForkNumber::Main)
}

fn hba_conf(method: &str) -> String {
    format!(
        "# Client authentication, in PostgreSQL's pg_hba.conf format:\n\
         # TYPE  DATABASE  USER  ADDRESS  METHOD  (trust, password, md5, scram-sha-256, reject)\n\
         # The first line that matches a connection decides.\n\n\
         local   all       all                  {method}\n\
         host    all       all   127.0.0.1/32   {method}\n\
         host    all       all   ::1/128        {method}\n"
    )
}

const POSTGRESQL_CONF: &str = "\
# OxiPG configuration file, with PostgreSQL's setting names.
# name = value; '#' starts a comment. Settings given with -c override this file.

listen_addresses = 'localhost'
port = 5432
max_connections = 100
shared_buffers = 128MB
dynamic_shared_memory_type = posix
max_wal_size = 1GB
min_wal_size = 80MB
log_timezone = 'Etc/UTC'
datestyle = 'iso, mdy'
timezone = 'Etc/UTC'
lc_messages = 'C.UTF-8'
lc_monetary = 'C.UTF-8'
lc_numeric = 'C.UTF-8'
lc_time = 'C.UTF-8'
default_text_search_config = 'pg_catalog.english'

#fsync = on
#synchronous_commit = on
#ssl = off
#ssl_cert_file = 'server.crt'
#ssl_key_file = 'server.key'
#password_encryption = scram-sha-256
#statement_timeout = 0
#log_min_messages = warning
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_a_cluster() {
        let tmp = std::env::temp_dir().join(format!("oxipg-bootstrap-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        assert!(is_empty_or_missing(&tmp).expect("readable"));
        initialize(
            &tmp,
            &BootstrapOptions {
                superuser: "postgres".into(),
                superuser_verifier: None,
            },
        )
        .expect("initialises");
        assert!(is_initialized(&tmp));
        assert!(!is_empty_or_missing(&tmp).expect("readable"));
        assert!(tmp.join("base/5").is_dir());
        let hba = fs::read_to_string(tmp.join("pg_hba.conf")).expect("hba");
        assert!(hba.contains("127.0.0.1/32   trust"));
        assert!(tmp.join("global/1260").is_file() && tmp.join("global/1262").is_file());
        fs::remove_dir_all(&tmp).expect("cleanup");
    }
}
