//! The demonstration (the exercise's "run the demonstration"): a simulated packet server on the
//! reference `ProductionPool`, under a steady load and then a burst, with a progress bar and a
//! live metrics line, ending with the metrics table and the Prometheus text.
//!
//! ```text
//! cargo run -p solutions --release --example server                      # the defaults
//! cargo run -p solutions --release --example server -- solutions/examples/server.toml
//! ```
//!
//! With the defaults the burst stays within the limits. `server.toml` sets `max_in_use` low
//! enough for the burst to hit it: watch the degraded (or, with `on_limit = "wait"` or
//! `"fail"`, rejected) count climb while the server keeps serving.

use anyhow::{Context, Result};
use pool_checks::workloads::{Workload, READ_BUFFER};
use pool_contract::task4::{Metrics, PoolConfig, ProductionPoolApi};
use solutions::{task4_config, ProductionPool};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const WORKERS: usize = 4;
const MESSAGES_PER_WORKER: usize = 100_000;
/// Buffers a worker holds at once during the burst (the last fifth of its messages).
const BURST_HELD: usize = 48;

fn main() -> Result<()> {
    let config = match std::env::args().nth(1) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("Failed to read the configuration {path}"))?;
            task4_config::from_toml(&text)
                .with_context(|| format!("Failed to load the configuration {path}"))?
        }
        None => PoolConfig::default(),
    };
    println!("configuration: {config:?}\n");
    let pool = ProductionPool::new(config)?;
    let served = AtomicUsize::new(0);
    let burst_starts = Barrier::new(WORKERS);
    let total = WORKERS * MESSAGES_PER_WORKER;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            let (pool, served, burst_starts) = (&pool, &served, &burst_starts);
            scope.spawn(move || serve(pool, served, burst_starts, worker as u64));
        }
        // The live line: redrawn in place on a terminal, one line a second otherwise.
        let terminal = std::io::stdout().is_terminal();
        let tick = if terminal { 100 } else { 1000 };
        while served.load(Ordering::Relaxed) < total {
            std::thread::sleep(Duration::from_millis(tick));
            let line = progress(served.load(Ordering::Relaxed), total, &pool.metrics());
            if terminal {
                print!("\r{line}");
                let _ = std::io::stdout().flush();
            } else {
                println!("{line}");
            }
        }
    });
    let elapsed = started.elapsed();
    if std::io::stdout().is_terminal() {
        println!("\r{}", progress(total, total, &pool.metrics()));
    }
    println!(
        "\n{total} messages in {:.2} s ({:.0} messages/s)\n",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    print_table(&pool.metrics());
    println!("\nPrometheus text (what a scraper of /metrics would read):\n");
    print!("{}", pool.prometheus());
    Ok(())
}

/// One worker: steady packets, then (with every other worker) a burst holding many buffers at
/// once.
fn serve(pool: &ProductionPool, served: &AtomicUsize, burst_starts: &Barrier, seed: u64) {
    let sizes = Workload::PacketServer.message_sizes(MESSAGES_PER_WORKER, seed);
    let (steady, burst) = sizes.split_at(MESSAGES_PER_WORKER * 4 / 5);
    for chunk in steady.chunks(256) {
        Workload::PacketServer.run_pooled(pool, chunk);
        served.fetch_add(chunk.len(), Ordering::Relaxed);
    }
    burst_starts.wait();
    for chunk in burst.chunks(BURST_HELD) {
        let held: Vec<_> = chunk
            .iter()
            .filter_map(|&size| {
                // A burst: every buffer of the chunk at once, as a server with many slow clients.
                let mut buffer = match pool.try_get(READ_BUFFER) {
                    Ok(buffer) => buffer,
                    Err(_) => return None, // refused by the policy: the request is shed
                };
                buffer.resize(size, 7);
                Some(buffer)
            })
            .collect();
        drop(held);
        served.fetch_add(chunk.len(), Ordering::Relaxed);
    }
}

fn progress(done: usize, total: usize, metrics: &Metrics) -> String {
    const WIDTH: usize = 30;
    let filled = done * WIDTH / total.max(1);
    format!(
        "[{}{}] {:>3}% | hit rate {:>5.1}% | in use {:>4} | pooled {:>3} | degraded {:>5} | \
         rejected {:>5}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        done * 100 / total.max(1),
        metrics.hit_rate() * 100.0,
        metrics.in_use,
        metrics.pooled,
        metrics.degraded,
        metrics.rejected
    )
}

fn print_table(metrics: &Metrics) {
    let rows: [(&str, String); 15] = [
        ("gets", metrics.gets.to_string()),
        ("returns", metrics.returns.to_string()),
        ("hits", metrics.hits.to_string()),
        ("misses", metrics.misses.to_string()),
        ("hit rate", format!("{:.2}%", metrics.hit_rate() * 100.0)),
        ("buffers created", metrics.created.to_string()),
        ("in use", metrics.in_use.to_string()),
        (
            "high-water mark in use",
            metrics.high_water_in_use.to_string(),
        ),
        ("pooled", metrics.pooled.to_string()),
        ("bytes retained", metrics.bytes_retained.to_string()),
        ("dropped: oversized", metrics.dropped_oversized.to_string()),
        ("dropped: pool full", metrics.dropped_full.to_string()),
        ("dropped: trimmed", metrics.dropped_trimmed.to_string()),
        (
            "degraded (served past a limit)",
            metrics.degraded.to_string(),
        ),
        (
            "rejected (refused at a limit)",
            metrics.rejected.to_string(),
        ),
    ];
    println!("{:<32} {:>12}", "metric", "value");
    for (name, value) in rows {
        println!("{name:<32} {value:>12}");
    }
}
