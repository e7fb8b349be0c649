//! The generated schema: a small sales star with skewed, correlated and NULL-bearing
//! columns, and twenty chain tables for the join-planning figures.
//!
//! ```text
//!   region (10) <- store (50)          chain_01 -> chain_02 -> ... -> chain_20
//!       ^            ^                 (1,000 rows each, next_id -> the next one's id)
//!       |            |
//!   customer (20,000) <- sales (150,000 by default) -> product (2,000)
//! ```
//!
//! Every value comes from one seeded generator ([`Rng`], splitmix64), so a seed gives
//! the same rows on every machine; both servers receive them through the same
//! `\copy ... FROM` of the same files. What the estimator meets:
//!
//! - skew: `sales.customer_id` and `sales.product_id` are Zipf-like (id 1 is the most
//!   frequent), so are `customer.c_region` and `product.p_category`;
//! - correlation: `customer.c_city` determines `c_region` (city = region * 100 + k),
//!   `product.p_brand` determines `p_category`, `sales.ship_date` is `sale_date` plus
//!   0-4 days, `sales.channel` is 'web' exactly for the online stores;
//! - NULLs: `sales.discount` (about 30 %), `sales.ship_date` (cancelled sales),
//!   `customer.c_birth_year` (about 10 %);
//! - rare and frequent values: `sales.status` is 'shipped' 90 %, 'returned' 1 %.
//!
//! There are no foreign keys: PostgreSQL uses them in join estimates, and checking them
//! row by row would make the load slow; the comparison is of the estimators without.

use std::fmt::Write as _;

/// The statements that create the tables, before the load (indexes come after it).
pub const CREATE_TABLES: &[&str] = &[
    "CREATE TABLE region (r_id int PRIMARY KEY, r_name text NOT NULL)",
    "CREATE TABLE store (s_id int PRIMARY KEY, s_region int NOT NULL, s_online boolean NOT NULL, s_name text NOT NULL)",
    "CREATE TABLE customer (c_id int PRIMARY KEY, c_name text NOT NULL, c_region int NOT NULL, c_city int NOT NULL, c_segment text NOT NULL, c_birth_year int)",
    "CREATE TABLE product (p_id int PRIMARY KEY, p_name text NOT NULL, p_category int NOT NULL, p_brand int NOT NULL, p_price numeric(10,2) NOT NULL)",
    "CREATE TABLE sales (sale_id int PRIMARY KEY, customer_id int NOT NULL, product_id int NOT NULL, store_id int NOT NULL, sale_date date NOT NULL, ship_date date, quantity int NOT NULL, amount numeric(12,2) NOT NULL, discount numeric(4,2), status text NOT NULL, channel text NOT NULL)",
];

/// The secondary indexes, created after the load.
pub const CREATE_INDEXES: &[&str] = &[
    "CREATE INDEX sales_customer_idx ON sales (customer_id)",
    "CREATE INDEX sales_product_idx ON sales (product_id)",
    "CREATE INDEX sales_date_idx ON sales (sale_date)",
    "CREATE INDEX customer_region_idx ON customer (c_region, c_city)",
    "CREATE INDEX product_category_idx ON product (p_category)",
];

/// The number of chain tables (`chain_01` .. `chain_20`).
pub const CHAIN_TABLES: usize = 20;
/// Rows of each chain table.
pub const CHAIN_ROWS: u32 = 1000;

/// `chain_NN`.
pub fn chain_name(i: usize) -> String {
    format!("chain_{i:02}")
}

/// The chain tables, filled with integer arithmetic (the same on both servers): row
/// `id` points at row `(id * 7) % 1000 + 1` of the next table.
pub fn chain_statements() -> Vec<String> {
    let mut out = Vec::new();
    for i in 1..=CHAIN_TABLES {
        let t = chain_name(i);
        out.push(format!(
            "CREATE TABLE {t} (id int PRIMARY KEY, next_id int NOT NULL, val int NOT NULL)"
        ));
        out.push(format!(
            "INSERT INTO {t} SELECT g, (g * 7) % {CHAIN_ROWS} + 1, g % 10 FROM generate_series(1, {CHAIN_ROWS}) g"
        ));
    }
    out
}

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub seed: u64,
    pub sales: u32,
}

pub const REGIONS: u32 = 10;
pub const STORES: u32 = 50;
pub const CUSTOMERS: u32 = 20_000;
pub const PRODUCTS: u32 = 2_000;
pub const CATEGORIES: u32 = 20;
const SEGMENTS: &[&str] = &[
    "consumer",
    "corporate",
    "home office",
    "small business",
    "public",
];

/// splitmix64: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A Zipf-like distribution over `1..=n`: value k with weight 1 / k^s.
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(n: u32, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / f64::from(k).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    pub fn sample(&self, rng: &mut Rng) -> u32 {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let u = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c <= u);
        (i.min(self.cumulative.len().saturating_sub(1)) + 1) as u32
    }
}

/// `YYYY-MM-DD` of 2024-01-01 plus `days` (0..731).
pub fn date(days: u32) -> String {
    let mut year = 2024;
    let mut d = days;
    loop {
        let len = if year % 4 == 0 { 366 } else { 365 };
        if d < len {
            break;
        }
        d -= len;
        year += 1;
    }
    let feb = if year % 4 == 0 { 29 } else { 28 };
    let months = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for len in months {
        if d < len {
            break;
        }
        d -= len;
        month += 1;
    }
    format!("{year:04}-{month:02}-{:02}", d + 1)
}

/// Cents as `D.CC`.
fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// One table's rows in COPY text format (tab-separated, `\N` for NULL).
pub struct TableData {
    pub name: &'static str,
    pub copy_text: String,
    pub rows: u32,
}

/// Every generated table's rows, in load order.
pub fn generate(size: Size) -> Vec<TableData> {
    let mut rng = Rng::new(size.seed);
    let mut out = Vec::new();

    let mut t = String::new();
    for r in 1..=REGIONS {
        let _ = writeln!(t, "{r}\tregion {r}");
    }
    out.push(TableData {
        name: "region",
        copy_text: t,
        rows: REGIONS,
    });

    let mut t = String::new();
    for s in 1..=STORES {
        let region = rng.below(REGIONS) + 1;
        let online = if s.is_multiple_of(10) { "t" } else { "f" };
        let _ = writeln!(t, "{s}\t{region}\t{online}\tstore {s}");
    }
    out.push(TableData {
        name: "store",
        copy_text: t,
        rows: STORES,
    });

    let region_zipf = Zipf::new(REGIONS, 1.0);
    let mut t = String::new();
    for c in 1..=CUSTOMERS {
        let region = region_zipf.sample(&mut rng);
        let city = region * 100 + rng.below(20);
        let segment = SEGMENTS[rng.below(SEGMENTS.len() as u32) as usize];
        let birth = if rng.below(10) == 0 {
            "\\N".to_owned()
        } else {
            (1940 + rng.below(65)).to_string()
        };
        let _ = writeln!(t, "{c}\tcust{c:05}\t{region}\t{city}\t{segment}\t{birth}");
    }
    out.push(TableData {
        name: "customer",
        copy_text: t,
        rows: CUSTOMERS,
    });

    let category_zipf = Zipf::new(CATEGORIES, 1.2);
    let mut prices = Vec::with_capacity(PRODUCTS as usize);
    let mut t = String::new();
    for p in 1..=PRODUCTS {
        let category = category_zipf.sample(&mut rng);
        let brand = category * 10 + rng.below(10);
        let price = 100 + u64::from(rng.below(49_900));
        prices.push(price);
        let _ = writeln!(
            t,
            "{p}\tprod-{category:02}-{p:04}\t{category}\t{brand}\t{}",
            money(price)
        );
    }
    out.push(TableData {
        name: "product",
        copy_text: t,
        rows: PRODUCTS,
    });

    let customer_zipf = Zipf::new(CUSTOMERS, 1.1);
    let product_zipf = Zipf::new(PRODUCTS, 1.05);
    let mut t = String::with_capacity(size.sales as usize * 80);
    for s in 1..=size.sales {
        let customer = customer_zipf.sample(&mut rng);
        let product = product_zipf.sample(&mut rng);
        let store = rng.below(STORES) + 1;
        let day = rng.below(366);
        let status = match rng.below(100) {
            0 => "returned",
            1..=3 => "cancelled",
            4..=9 => "pending",
            _ => "shipped",
        };
        let ship = if status == "cancelled" {
            "\\N".to_owned()
        } else {
            date(day + rng.below(5))
        };
        let quantity = rng.below(10) + 1;
        let amount = money(u64::from(quantity) * prices[product as usize - 1]);
        let discount = if rng.below(10) < 3 {
            "\\N".to_owned()
        } else {
            format!("0.{:02}", rng.below(40))
        };
        let channel = if store.is_multiple_of(10) {
            "web"
        } else if rng.below(20) == 0 {
            "phone"
        } else {
            "store"
        };
        let _ = writeln!(
            t,
            "{s}\t{customer}\t{product}\t{store}\t{}\t{ship}\t{quantity}\t{amount}\t{discount}\t{status}\t{channel}",
            date(day)
        );
    }
    out.push(TableData {
        name: "sales",
        copy_text: t,
        rows: size.sales,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_skewed() {
        let size = Size {
            seed: 7,
            sales: 5000,
        };
        let a = generate(size);
        let b = generate(size);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.copy_text, y.copy_text, "{}", x.name);
            assert_eq!(x.copy_text.lines().count(), x.rows as usize, "{}", x.name);
        }
        let other = generate(Size { seed: 8, ..size });
        assert_ne!(a[4].copy_text, other[4].copy_text);
        // customer 1 is far more frequent than customer 1000 in sales.
        let count = |id: &str| {
            a[4].copy_text
                .lines()
                .filter(|l| l.split('\t').nth(1) == Some(id))
                .count()
        };
        assert!(count("1") > 20 * count("1000").max(1), "{}", count("1"));
        // About 30 % of the discounts are NULL; every line has 11 fields.
        let nulls = a[4]
            .copy_text
            .lines()
            .filter(|l| l.split('\t').nth(8) == Some("\\N"))
            .count();
        assert!((1200..1800).contains(&nulls), "{nulls}");
        assert!(a[4].copy_text.lines().all(|l| l.split('\t').count() == 11));
    }

    #[test]
    fn zipf_stays_in_range() {
        let z = Zipf::new(5, 1.0);
        let mut rng = Rng::new(1);
        let mut seen = [0u32; 6];
        for _ in 0..10_000 {
            seen[z.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(seen[0], 0);
        assert!(
            seen[1] > seen[2] && seen[2] > seen[5] && seen[5] > 0,
            "{seen:?}"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "2024-01-01");
        assert_eq!(date(59), "2024-02-29");
        assert_eq!(date(365), "2024-12-31");
        assert_eq!(date(366), "2025-01-01");
        assert_eq!(date(369), "2025-01-04");
    }
}
