//! Reading `EXPLAIN (FORMAT JSON)` output (PostgreSQL's layout, which ours prints too):
//! the plan tree, its normalized shape, and the q-error of each node's row estimate.
//!
//! Shape. A node is written `Node Type[Join Type|Strategy]:relation` and its children in
//! parentheses, in order: `Hash Join[Inner](Seq Scan:sales, Hash(Seq Scan:product))`.
//! Costs, widths, aliases, index names, conditions and times are left out; a subplan
//! or initplan child is marked `SubPlan `/`InitPlan `. The looser [`node_shape`] also
//! drops the relation names, so that it tells "the same operators" apart from "the same
//! operators over the same tables in the same join order".
//!
//! q-error. For a node that ran (`Actual Loops` > 0), with `est` its `Plan Rows` and
//! `act` its `Actual Rows` (both per loop, as EXPLAIN prints them) each raised to at
//! least 1: `max(est / act, act / est)`, 1 for a perfect estimate. Nodes under a
//! `Limit` are skipped: they stop early by design, while their estimate is for a run
//! to completion.

use serde_json::Value;

/// One plan node, as much of it as the comparison uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub node_type: String,
    pub join_type: Option<String>,
    pub strategy: Option<String>,
    pub relation: Option<String>,
    /// "SubPlan" or "InitPlan" when the node is one.
    pub parent_relationship: Option<String>,
    pub plan_rows: f64,
    pub actual_rows: Option<f64>,
    pub actual_loops: Option<f64>,
    pub children: Vec<Node>,
}

/// One `EXPLAIN` result.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub root: Node,
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
}

/// Parses the last JSON document of `text` (psql's unaligned output of one or more
/// `EXPLAIN (FORMAT JSON)` statements, one document after another).
pub fn parse_last(text: &str) -> Result<Explained, String> {
    parse_all(text)?
        .pop()
        .ok_or_else(|| "no EXPLAIN output".to_owned())
}

/// Parses every JSON document of `text`, in order.
pub fn parse_all(text: &str) -> Result<Vec<Explained>, String> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|doc| explained(&doc.map_err(|e| format!("EXPLAIN output is not JSON: {e}"))?))
        .collect()
}

fn explained(doc: &Value) -> Result<Explained, String> {
    let top = doc
        .as_array()
        .and_then(|a| a.first())
        .ok_or("EXPLAIN JSON is not a one-element array")?;
    let plan = top.get("Plan").ok_or("EXPLAIN JSON has no \"Plan\"")?;
    Ok(Explained {
        root: node(plan)?,
        planning_ms: top.get("Planning Time").and_then(Value::as_f64),
        execution_ms: top.get("Execution Time").and_then(Value::as_f64),
    })
}

fn node(v: &Value) -> Result<Node, String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let node_type = text("Node Type").ok_or("a plan node without \"Node Type\"")?;
    let children = match v.get("Plans") {
        Some(Value::Array(a)) => a.iter().map(node).collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    Ok(Node {
        node_type,
        join_type: text("Join Type"),
        strategy: text("Strategy"),
        relation: text("Relation Name"),
        parent_relationship: text("Parent Relationship")
            .filter(|r| r == "SubPlan" || r == "InitPlan"),
        plan_rows: v.get("Plan Rows").and_then(Value::as_f64).unwrap_or(0.0),
        actual_rows: v.get("Actual Rows").and_then(Value::as_f64),
        actual_loops: v.get("Actual Loops").and_then(Value::as_f64),
        children,
    })
}

/// The normalized shape, with relation names.
pub fn shape(n: &Node) -> String {
    let mut s = String::new();
    write_shape(n, true, &mut s);
    s
}

/// The normalized shape without relation names: the operators only.
pub fn node_shape(n: &Node) -> String {
    let mut s = String::new();
    write_shape(n, false, &mut s);
    s
}

fn write_shape(n: &Node, relations: bool, out: &mut String) {
    if let Some(r) = &n.parent_relationship {
        out.push_str(r);
        out.push(' ');
    }
    out.push_str(&n.node_type);
    let tags: Vec<&str> = [&n.join_type, &n.strategy]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !tags.is_empty() {
        out.push('[');
        out.push_str(&tags.join("|"));
        out.push(']');
    }
    if relations && let Some(r) = &n.relation {
        out.push(':');
        out.push_str(r);
    }
    if !n.children.is_empty() {
        out.push('(');
        for (i, c) in n.children.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_shape(c, relations, out);
        }
        out.push(')');
    }
}

/// `max(est/act, act/est)` with both raised to at least 1.
pub fn q_error(estimated: f64, actual: f64) -> f64 {
    let (e, a) = (estimated.max(1.0), actual.max(1.0));
    (e / a).max(a / e)
}

/// The q-error of every node that ran and is not under a `Limit`, in plan order.
pub fn q_errors(root: &Node) -> Vec<f64> {
    let mut out = Vec::new();
    collect_q_errors(root, false, &mut out);
    out
}

fn collect_q_errors(n: &Node, under_limit: bool, out: &mut Vec<f64>) {
    if !under_limit
        && let (Some(rows), Some(loops)) = (n.actual_rows, n.actual_loops)
        && loops > 0.0
    {
        out.push(q_error(n.plan_rows, rows));
    }
    let under = under_limit || n.node_type == "Limit";
    for c in &n.children {
        collect_q_errors(c, under, out);
    }
}

/// The median (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The nearest-rank percentile `p` (0 < p <= 100): the smallest value with at least
/// p % of the values at or below it.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two documents, as psql -A prints two EXPLAIN statements; the second is used.
    const OUTPUT: &str = r#"[
  {
    "Plan": {"Node Type": "Result", "Plan Rows": 1}
  }
]
[
  {
    "Plan": {
      "Node Type": "Limit", "Plan Rows": 10, "Actual Rows": 10, "Actual Loops": 1,
      "Plans": [
        {
          "Node Type": "Hash Join", "Parent Relationship": "Outer", "Join Type": "Inner",
          "Plan Rows": 100, "Actual Rows": 10, "Actual Loops": 1,
          "Plans": [
            {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "sales",
             "Alias": "s", "Total Cost": 12.5, "Plan Rows": 1000, "Actual Rows": 20, "Actual Loops": 1},
            {"Node Type": "Hash", "Parent Relationship": "Inner", "Plan Rows": 5,
             "Actual Rows": 5, "Actual Loops": 1,
             "Plans": [
               {"Node Type": "Seq Scan", "Parent Relationship": "Outer",
                "Relation Name": "product", "Alias": "p", "Plan Rows": 5,
                "Actual Rows": 5, "Actual Loops": 1}
             ]}
          ]
        }
      ]
    },
    "Planning Time": 0.25,
    "Triggers": [],
    "Execution Time": 1.5
  }
]
"#;

    fn parsed(text: &str) -> Explained {
        match parse_last(text) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn parses_the_last_document_and_normalizes_its_shape() {
        let e = parsed(OUTPUT);
        assert_eq!(e.planning_ms, Some(0.25));
        assert_eq!(e.execution_ms, Some(1.5));
        assert_eq!(
            shape(&e.root),
            "Limit(Hash Join[Inner](Seq Scan:sales, Hash(Seq Scan:product)))"
        );
        assert_eq!(
            node_shape(&e.root),
            "Limit(Hash Join[Inner](Seq Scan, Hash(Seq Scan)))"
        );
        // Only the Limit itself counts: the rest stopped early.
        assert_eq!(q_errors(&e.root), vec![1.0]);
        assert!(parse_last("").is_err());
        assert!(parse_last("[{\"Plan\": {}}]").is_err());
        assert!(parse_last("ERROR: x").is_err());
    }

    #[test]
    fn subplans_strategies_and_unexecuted_nodes() {
        let text = r#"[{"Plan": {"Node Type": "Aggregate", "Strategy": "Hashed",
            "Plan Rows": 7, "Actual Rows": 70, "Actual Loops": 1,
            "Plans": [{"Node Type": "Seq Scan", "Relation Name": "t", "Plan Rows": 0,
              "Actual Rows": 0, "Actual Loops": 1, "Parent Relationship": "Outer",
              "Plans": [{"Node Type": "Index Scan", "Relation Name": "u",
                "Parent Relationship": "SubPlan", "Subplan Name": "SubPlan 1",
                "Plan Rows": 3, "Actual Rows": 0, "Actual Loops": 0}]}]},
            "Planning Time": 1.0}]"#;
        let e = parsed(text);
        assert_eq!(
            shape(&e.root),
            "Aggregate[Hashed](Seq Scan:t(SubPlan Index Scan:u))"
        );
        assert_eq!(e.execution_ms, None);
        // 7 estimated, 70 actual: 10; 0 and 0 are both raised to 1; the subplan never ran.
        assert_eq!(q_errors(&e.root), vec![10.0, 1.0]);
    }

    #[test]
    fn q_error_and_statistics() {
        assert_eq!(q_error(10.0, 1000.0), 100.0);
        assert_eq!(q_error(1000.0, 10.0), 100.0);
        assert_eq!(q_error(0.0, 0.0), 1.0);
        assert_eq!(q_error(0.5, 4.0), 4.0);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[5.0, 1.0], 95.0), Some(5.0));
        assert_eq!(percentile(&[2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 95.0), None);
    }
}
