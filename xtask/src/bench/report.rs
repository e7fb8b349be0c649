//! The results: a table on the terminal, `bench.json` with every raw figure, and
//! `ratios.svg`, one bar per workload on a log scale around 1.0 (up: we lead).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::server::SETTINGS;
use super::{Outcome, Plan, Series};

pub struct Meta {
    pub quick: bool,
    pub plan: Plan,
    pub load_before: String,
    pub load_after: String,
    pub elapsed: Duration,
    pub pg_version: String,
}

pub const RATIO_NOTE: &str = "ratio > 1.0 means we lead: ours/PostgreSQL where higher is better (tps), PostgreSQL/ours where lower is better (ms, kB)";

/// UTC now as YYYYMMDD-HHMMSS.
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub(crate) fn git_commit() -> String {
    let out = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(crate::workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let head = out(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        out(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}+changes")
    } else {
        head
    }
}

pub fn fmt_value(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn cell(s: &Series) -> String {
    match (s.median(), s.spread_pct()) {
        (Some(m), Some(p)) => format!("{} ±{p:.1}%", fmt_value(m)),
        (Some(m), None) => fmt_value(m),
        _ => "-".into(),
    }
}

/// The terminal table.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut rows = vec![[
        "workload".to_owned(),
        "unit".to_owned(),
        "better".to_owned(),
        "PostgreSQL 15".to_owned(),
        "ours".to_owned(),
        "ratio".to_owned(),
    ]];
    for o in outcomes {
        let ratio = match (o.ratio(), &o.error) {
            (_, Some(_)) => "error".to_owned(),
            (Some(r), None) => format!("{r:.2}x"),
            (None, None) => "-".to_owned(),
        };
        rows.push([
            o.name.to_owned(),
            o.unit.to_owned(),
            o.better.word().to_owned(),
            cell(&o.postgres),
            cell(&o.ours),
            ratio,
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::from("\n");
    for (i, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, text) in r.iter().enumerate() {
            let pad = widths[c] - text.chars().count();
            // Text columns left-aligned, figures right-aligned.
            if c < 3 {
                let _ = write!(line, "{text}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{text}  ", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * 5));
            out.push('\n');
        }
    }
    for o in outcomes {
        if let Some(e) = &o.error {
            let _ = writeln!(out, "{}: {e}", o.name);
        }
    }
    let _ = writeln!(out, "median ± half-range over the rounds; {RATIO_NOTE}.");
    out
}

fn series_json(s: &Series) -> Value {
    json!({
        "median": s.median(),
        "min": s.min(),
        "max": s.max(),
        "spread_pct": s.spread_pct(),
        "samples": s.values,
        "details": s.details,
    })
}

pub fn write_json(path: &Path, meta: &Meta, outcomes: &[Outcome]) -> Result<(), String> {
    let workloads: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "description": o.description,
                "unit": o.unit,
                "better": o.better.word(),
                "ratio": o.ratio(),
                "error": o.error,
                "postgres": series_json(&o.postgres),
                "ours": series_json(&o.ours),
            })
        })
        .collect();
    let settings: serde_json::Map<String, Value> = SETTINGS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let doc = json!({
        "generated_utc": timestamp(),
        "commit": git_commit(),
        "postgres_version": meta.pg_version,
        "quick": meta.quick,
        "plan": {
            "warmup_secs": meta.plan.warmup_secs,
            "secs": meta.plan.secs,
            "rounds": meta.plan.rounds,
            "startup_rounds": meta.plan.startup_rounds,
            "mem_rounds": meta.plan.mem_rounds,
            "seqscan_rows": meta.plan.seqscan_rows,
            "query_reps": meta.plan.query_reps,
            "bloat_secs": meta.plan.bloat_secs,
            "bloat_rounds": meta.plan.bloat_rounds,
            "wal_transactions": meta.plan.wal_transactions,
            "wal_rounds": meta.plan.wal_rounds,
            "recovery_mb": meta.plan.recovery_mb,
            "recovery_rounds": meta.plan.recovery_rounds,
        },
        "settings": settings,
        "machine": {
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "loadavg_before": meta.load_before,
            "loadavg_after": meta.load_after,
        },
        "elapsed_secs": meta.elapsed.as_secs_f64(),
        "ratio_definition": RATIO_NOTE,
        "workloads": workloads,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Copies the servers' logs out of the scratch directory, which is removed.
pub fn save_logs(work: &Path, out: &Path) {
    let logs = out.join("logs");
    for (from, to) in [
        ("ours.log", "ours.log"),
        ("postgres/server.log", "postgres.log"),
        ("startup-ours.log", "startup-ours.log"),
        ("startup-postgres.log", "startup-postgres.log"),
        ("recovery-ours.log", "recovery-ours.log"),
        ("recovery-postgres.log", "recovery-postgres.log"),
    ] {
        let src = work.join(from);
        if src.is_file() && std::fs::create_dir_all(&logs).is_ok() {
            let _ = std::fs::copy(&src, logs.join(to));
        }
    }
}

pub fn write_svg(path: &Path, meta: &Meta, outcomes: &[Outcome]) -> Result<(), String> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    let bars: Vec<(&str, f64)> = outcomes
        .iter()
        .filter_map(|o| o.ratio().map(|r| (o.name, r)))
        .collect();
    if bars.is_empty() {
        return Ok(());
    }
    let n = bars.len();
    // The y axis is log10(ratio), symmetric around 0 (= 1.0x), so that 2x ahead and
    // 2x behind look alike; bars grow up from 1.0 where we lead, down where we trail.
    let extent = bars
        .iter()
        .map(|(_, r)| r.log10().abs())
        .fold(2f64.log10(), f64::max)
        * 1.25;
    let ticks: Vec<(f64, f64)> = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
    ]
    .iter()
    .map(|&r: &f64| (r, r.log10()))
    .filter(|(_, l)| l.abs() <= extent)
    .collect();
    let width = (160 + 120 * n).max(640) as u32;
    let root = SVGBackend::new(path, (width, 480)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let caption = format!(
        "OxiPG vs PostgreSQL 15{}: above 1.0x we lead",
        if meta.quick { " (--quick)" } else { "" }
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..n as f64, -extent..extent)
        .map_err(|e| err(&e))?;
    let names: Vec<String> = bars.iter().map(|(n, _)| (*n).to_owned()).collect();
    // x: one label at each bar's centre (the key points fall on multiples of 0.5).
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(2 * n + 1)
        .x_label_formatter(&|v| {
            if (v.fract() - 0.5).abs() < 1e-9 {
                names.get(v.floor() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_labels(0)
        .y_desc("ratio, log scale")
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    // y: grid lines and labels at round ratios.
    let grid = RGBColor(220, 220, 220);
    chart
        .draw_series(
            ticks.iter().map(|&(_, t)| {
                PathElement::new(vec![(0.0, t), (n as f64, t)], grid.stroke_width(1))
            }),
        )
        .map_err(|e| err(&e))?;
    for &(r, t) in &ticks {
        let (px, py) = chart.backend_coord(&(0.0, t));
        let style = ("sans-serif", 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(format!("{r}x"), (px - 6, py), style))
            .map_err(|e| err(&e))?;
    }
    let lead = RGBColor(46, 139, 87);
    let trail = RGBColor(200, 60, 50);
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(_, r))| {
            let color = if r >= 1.0 { lead } else { trail };
            Rectangle::new(
                [(i as f64 + 0.18, 0.0), (i as f64 + 0.82, r.log10())],
                color.filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, &(_, r))| {
            let (v, pos) = if r >= 1.0 {
                (VPos::Bottom, r.log10() + extent * 0.02)
            } else {
                (VPos::Top, r.log10() - extent * 0.02)
            };
            let style = ("sans-serif", 15)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, v));
            Text::new(format!("{r:.2}x"), (i as f64 + 0.5, pos), style)
        }))
        .map_err(|e| err(&e))?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (n as f64, 0.0)],
            BLACK.stroke_width(1),
        )))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
