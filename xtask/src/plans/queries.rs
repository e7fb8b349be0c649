//! The fixed query set: each names what it tests the estimator on. The names and the
//! text are the comparison's identity: change a query and figures from before no longer
//! compare (add new ones at the end instead).

use super::schema::chain_name;

/// One query of the set.
pub struct Query {
    pub name: String,
    pub sql: String,
    /// The number of tables of a join chain (its planning time is reported apart).
    pub chain: Option<usize>,
}

const FIXED: &[(&str, &str)] = &[
    // Skewed equality: the most frequent value, then a rare one.
    (
        "hot_customer",
        "SELECT count(*) FROM sales WHERE customer_id = 1",
    ),
    (
        "rare_customer",
        "SELECT * FROM sales WHERE customer_id = 15000",
    ),
    (
        "hot_product",
        "SELECT sum(amount) FROM sales WHERE product_id = 1",
    ),
    (
        "rare_status",
        "SELECT * FROM sales WHERE status = 'returned'",
    ),
    (
        "common_status",
        "SELECT count(*) FROM sales WHERE status = 'shipped'",
    ),
    // Ranges.
    (
        "week_range",
        "SELECT count(*) FROM sales WHERE sale_date BETWEEN '2024-03-01' AND '2024-03-07'",
    ),
    (
        "half_year_range",
        "SELECT count(*) FROM sales WHERE sale_date >= '2024-07-01'",
    ),
    (
        "amount_range",
        "SELECT count(*) FROM sales WHERE amount > 4000",
    ),
    // NULLs.
    (
        "discount_null",
        "SELECT count(*) FROM sales WHERE discount IS NULL",
    ),
    (
        "discount_high",
        "SELECT count(*) FROM sales WHERE discount IS NOT NULL AND discount > 0.35",
    ),
    (
        "ship_date_null",
        "SELECT count(*) FROM sales WHERE ship_date IS NULL",
    ),
    // IN lists.
    (
        "store_in_list",
        "SELECT count(*) FROM sales WHERE store_id IN (1, 2, 3)",
    ),
    (
        "hot_customers_in_list",
        "SELECT count(*) FROM sales WHERE customer_id IN (1, 2, 3, 4, 5)",
    ),
    // LIKE prefixes.
    (
        "product_name_prefix",
        "SELECT * FROM product WHERE p_name LIKE 'prod-01-%'",
    ),
    (
        "customer_name_prefix",
        "SELECT * FROM customer WHERE c_name LIKE 'cust0001%'",
    ),
    // Correlated pairs (independence underestimates them).
    (
        "region_and_city",
        "SELECT * FROM customer WHERE c_region = 3 AND c_city = 305",
    ),
    (
        "category_and_brand",
        "SELECT * FROM product WHERE p_category = 2 AND p_brand = 25",
    ),
    (
        "sale_and_ship_date",
        "SELECT count(*) FROM sales WHERE sale_date = '2024-05-10' AND ship_date = '2024-05-10'",
    ),
    (
        "online_store_web",
        "SELECT count(*) FROM sales WHERE store_id = 10 AND channel = 'web'",
    ),
    // Joins of 2 to 5 tables.
    (
        "join_hot_category",
        "SELECT count(*) FROM sales s JOIN product p ON p.p_id = s.product_id WHERE p.p_category = 1",
    ),
    (
        "join_rare_region",
        "SELECT count(*) FROM sales s JOIN customer c ON c.c_id = s.customer_id WHERE c.c_region = 10",
    ),
    (
        "join_3_tables",
        "SELECT count(*) FROM sales s JOIN product p ON p.p_id = s.product_id JOIN customer c ON c.c_id = s.customer_id WHERE p.p_category = 3 AND c.c_segment = 'corporate'",
    ),
    (
        "join_4_tables",
        "SELECT st.s_name, count(*) FROM sales s JOIN product p ON p.p_id = s.product_id JOIN customer c ON c.c_id = s.customer_id JOIN store st ON st.s_id = s.store_id WHERE p.p_category = 5 AND c.c_region = 2 GROUP BY st.s_name",
    ),
    (
        "join_5_tables",
        "SELECT r.r_name, sum(s.amount) FROM sales s JOIN product p ON p.p_id = s.product_id JOIN customer c ON c.c_id = s.customer_id JOIN store st ON st.s_id = s.store_id JOIN region r ON r.r_id = st.s_region WHERE s.sale_date < '2024-02-01' AND p.p_price < 50 GROUP BY r.r_name",
    ),
    (
        "join_selective_key",
        "SELECT s.*, c.c_name FROM sales s JOIN customer c ON c.c_id = s.customer_id WHERE s.sale_id BETWEEN 1000 AND 1100",
    ),
    // Grouping.
    (
        "group_by_store",
        "SELECT store_id, count(*) FROM sales GROUP BY store_id",
    ),
    (
        "group_by_customer",
        "SELECT customer_id, count(*) FROM sales GROUP BY customer_id",
    ),
    (
        "group_by_category",
        "SELECT p.p_category, sum(s.amount) FROM sales s JOIN product p ON p.p_id = s.product_id GROUP BY p.p_category",
    ),
    (
        "group_having",
        "SELECT product_id FROM sales GROUP BY product_id HAVING count(*) > 100",
    ),
    (
        "count_distinct",
        "SELECT count(DISTINCT customer_id) FROM sales WHERE status = 'pending'",
    ),
    // ORDER BY ... LIMIT.
    (
        "top_amounts",
        "SELECT sale_id, amount FROM sales ORDER BY amount DESC LIMIT 10",
    ),
    (
        "first_sales_by_date",
        "SELECT * FROM sales ORDER BY sale_date LIMIT 20",
    ),
    // EXISTS, NOT EXISTS, IN (subquery), anti join by LEFT JOIN.
    (
        "exists_returned",
        "SELECT count(*) FROM customer c WHERE EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = c.c_id AND s.status = 'returned')",
    ),
    (
        "not_exists_unsold",
        "SELECT count(*) FROM product p WHERE NOT EXISTS (SELECT 1 FROM sales s WHERE s.product_id = p.p_id)",
    ),
    (
        "in_subquery",
        "SELECT count(*) FROM sales WHERE product_id IN (SELECT p_id FROM product WHERE p_category = 19)",
    ),
    (
        "left_join_anti",
        "SELECT count(*) FROM customer c LEFT JOIN sales s ON s.customer_id = c.c_id WHERE s.sale_id IS NULL",
    ),
];

/// The sizes of the join chains whose planning time is reported.
pub const CHAIN_SIZES: &[usize] = &[5, 12, 20];

/// `SELECT count(*) FROM chain_01 t1 JOIN chain_02 t2 ON t2.id = t1.next_id ...
/// WHERE t1.val = 3` over the first `n` chain tables.
pub fn chain_query(n: usize) -> String {
    let mut sql = format!("SELECT count(*) FROM {} t1", chain_name(1));
    for i in 2..=n {
        sql.push_str(&format!(
            " JOIN {} t{i} ON t{i}.id = t{}.next_id",
            chain_name(i),
            i - 1
        ));
    }
    sql.push_str(" WHERE t1.val = 3");
    sql
}

/// Every query, in order: the fixed ones, then the join chains.
pub fn all() -> Vec<Query> {
    let mut out: Vec<Query> = FIXED
        .iter()
        .map(|(name, sql)| Query {
            name: (*name).to_owned(),
            sql: (*sql).to_owned(),
            chain: None,
        })
        .collect();
    for &n in CHAIN_SIZES {
        out.push(Query {
            name: format!("chain_{n}_tables"),
            sql: chain_query(n),
            chain: Some(n),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_chains_join_every_table() {
        let all = all();
        let mut names: Vec<&str> = all.iter().map(|q| q.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            chain_query(3),
            "SELECT count(*) FROM chain_01 t1 JOIN chain_02 t2 ON t2.id = t1.next_id \
             JOIN chain_03 t3 ON t3.id = t2.next_id WHERE t1.val = 3"
        );
        assert_eq!(chain_query(20).matches(" JOIN ").count(), 19);
    }
}
