//! Counters for the Prometheus `/metrics` endpoint: decisions by policy and
//! outcome, request latency, reloads, admin actions and refused requests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

/// Counters for the Prometheus `/metrics` endpoint.
#[derive(Default)]
pub struct Metrics {
    decisions: Mutex<HashMap<(String, &'static str), u64>>,
    reloads: Mutex<HashMap<&'static str, u64>>,
    admin: Mutex<HashMap<(&'static str, &'static str), u64>>,
    refused: Mutex<HashMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    pub(super) fn decision(&self, policy: &str, outcome: &'static str) {
        if let Ok(mut m) = self.decisions.lock() {
            *m.entry((policy.to_string(), outcome)).or_default() += 1;
        }
    }
    pub(super) fn reload(&self, result: &'static str) {
        if let Ok(mut m) = self.reloads.lock() {
            *m.entry(result).or_default() += 1;
        }
    }
    /// An admin request: `action` (reload, rollback) and its `result`
    /// (ok, unauthorized, disabled, refused).
    pub(super) fn admin(&self, action: &'static str, result: &'static str) {
        if let Ok(mut m) = self.admin.lock() {
            *m.entry((action, result)).or_default() += 1;
        }
    }
    /// A request refused for a resource bound (`busy`, `too_large`, `log_busy`, ...).
    pub(super) fn refused(&self, why: &'static str) {
        if let Ok(mut m) = self.refused.lock() {
            *m.entry(why).or_default() += 1;
        }
    }
    pub(super) fn latency(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
    /// Prometheus text format.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        out.push_str("# HELP rulebook_decisions_total Evaluated records by policy and outcome.\n");
        out.push_str("# TYPE rulebook_decisions_total counter\n");
        if let Ok(m) = self.decisions.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((policy, outcome), n) in rows {
                let _ = writeln!(
                    out,
                    "rulebook_decisions_total{{policy=\"{}\",outcome=\"{outcome}\"}} {n}",
                    policy.replace('\\', "\\\\").replace('"', "\\\"")
                );
            }
        }
        out.push_str(
            "# HELP rulebook_request_duration_seconds Time to answer an evaluate request.\n",
        );
        out.push_str("# TYPE rulebook_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "rulebook_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "rulebook_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "rulebook_request_duration_seconds_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "rulebook_request_duration_seconds_count {count}");
        out.push_str("# HELP rulebook_reloads_total Policy reloads by result.\n");
        out.push_str("# TYPE rulebook_reloads_total counter\n");
        if let Ok(m) = self.reloads.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for (result, n) in rows {
                let _ = writeln!(out, "rulebook_reloads_total{{result=\"{result}\"}} {n}");
            }
        }
        out.push_str("# HELP rulebook_admin_requests_total Admin requests by action and result.\n");
        out.push_str("# TYPE rulebook_admin_requests_total counter\n");
        if let Ok(m) = self.admin.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((action, result), n) in rows {
                let _ = writeln!(
                    out,
                    "rulebook_admin_requests_total{{action=\"{action}\",result=\"{result}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP rulebook_refused_total Requests refused by a resource bound, by reason.\n",
        );
        out.push_str("# TYPE rulebook_refused_total counter\n");
        if let Ok(m) = self.refused.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for (why, n) in rows {
                let _ = writeln!(out, "rulebook_refused_total{{reason=\"{why}\"}} {n}");
            }
        }
        out
    }
}
