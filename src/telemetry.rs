//! Logging (tracing to stderr, as text or JSON, filtered by RUST_LOG) and metrics (one
//! Prometheus recorder per process, rendered by the API's `/metrics`).

use std::sync::OnceLock;

use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. RUST_LOG overrides the default `info` filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Hand-offs to Svix that succeeded (counter, emitted by the relay).
pub const DELIVERED_TOTAL: &str = "webhook_outbox_delivered_total";
/// Rows marked `failed` (counter).
pub const FAILED_TOTAL: &str = "webhook_outbox_failed_total";
/// Hand-offs that will be retried (counter).
pub const RETRIED_TOTAL: &str = "webhook_outbox_retried_total";
/// Seconds from the producer's commit (`created_at`) to Svix accepting the message (histogram).
pub const DELIVERY_LATENCY_SECONDS: &str = "webhook_outbox_delivery_latency_seconds";
/// Seconds one Svix request took, labelled `call` (create_message, find_message) and `outcome`
/// (ok, conflict, rate_limited, server_error, transport, timeout, …) (histogram).
pub const SVIX_REQUEST_DURATION_SECONDS: &str = "webhook_outbox_svix_request_duration_seconds";

/// Latency buckets in seconds, from a fast local Svix call up to a backlog measured in hours.
const LATENCY_BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

/// The process's Prometheus recorder, installed on first use. Installing is once per process
/// (the `metrics` facade has one global recorder), so this is what `startup` calls: tests that
/// start several servers in one process share it instead of failing on the second install.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = || {
            // Without explicit buckets the exporter renders histograms as summaries.
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("the bucket list is not empty")
        };
        let handle = match builder().install_recorder() {
            Ok(handle) => handle,
            Err(error) => {
                // Someone else owns the global recorder: serve an empty one rather than none.
                tracing::warn!(error = %error, "cannot install the metrics recorder; /metrics will be empty");
                builder().build_recorder().handle()
            }
        };
        describe();
        handle
    })
}

/// HELP lines for the metrics the relay emits, and the counters registered at 0 so `rate()`
/// sees them from the first scrape rather than from the first event.
fn describe() {
    for counter in [DELIVERED_TOTAL, FAILED_TOTAL, RETRIED_TOTAL] {
        metrics::counter!(counter).absolute(0);
    }
    metrics::describe_counter!(DELIVERED_TOTAL, Unit::Count, "Events handed to Svix successfully.");
    metrics::describe_counter!(FAILED_TOTAL, Unit::Count, "Events that gave up and were marked failed.");
    metrics::describe_counter!(RETRIED_TOTAL, Unit::Count, "Hand-offs that failed and will be retried.");
    metrics::describe_histogram!(
        DELIVERY_LATENCY_SECONDS,
        Unit::Seconds,
        "Seconds from the event's commit to Svix accepting it."
    );
    metrics::describe_histogram!(
        SVIX_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Seconds one Svix request took, by call and outcome."
    );
}
