//! A bounded load generator for `rulebook serve`, loopback only.
//!
//! ```sh
//! cargo run --release -- serve rules/ &          # in one terminal
//! cargo run --release --example load -- --policy pension_credit \
//!     --facts rules/pension_credit.example.json --requests 20000 --concurrency 4
//! ```
//!
//! Sends a fixed number of evaluate requests over keep-alive connections
//! (stopping early after `--seconds`), then prints throughput, latency
//! percentiles and the status codes seen. It refuses any address that is not
//! on this machine's loopback interface.
//!
//! `--rate R` sends R requests a second in all (open loop: each connection
//! sends on a fixed schedule, and a request's latency counts from the time
//! it was due, so a slow answer that delays the next request is not
//! hidden); without it, each connection sends its next request as soon as
//! the last is answered, saturating the server.
//!
//! `--flood N --flood-body FILE` also runs N threads that post FILE (a batch
//! body) to `evaluate-batch` over and over while the evaluate requests are
//! measured, and prints their status codes; `--server-pid PID` prints the
//! server's peak resident memory (VmHWM) at the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

struct Args {
    addr: SocketAddr,
    policy: String,
    body: String,
    requests: usize,
    concurrency: usize,
    seconds: u64,
    flood: usize,
    flood_body: Option<String>,
    server_pid: Option<u32>,
    rate: Option<f64>,
}

fn args() -> Result<Args, String> {
    let mut addr = "127.0.0.1:8080".to_string();
    let mut policy = "pension_credit".to_string();
    let mut facts = "rules/pension_credit.example.json".to_string();
    let mut as_of = "2026-11-27".to_string();
    let (mut requests, mut concurrency, mut seconds) = (10_000usize, 4usize, 60u64);
    let (mut flood, mut flood_body, mut server_pid) = (0usize, None, None);
    let mut rate = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => addr = value,
            "--policy" => policy = value,
            "--facts" => facts = value,
            "--as-of" => as_of = value,
            "--requests" => requests = value.parse().map_err(|e| format!("--requests: {e}"))?,
            "--concurrency" => {
                concurrency = value.parse().map_err(|e| format!("--concurrency: {e}"))?
            }
            "--seconds" => seconds = value.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--flood" => flood = value.parse().map_err(|e| format!("--flood: {e}"))?,
            "--flood-body" => {
                flood_body =
                    Some(std::fs::read_to_string(&value).map_err(|e| format!("{value}: {e}"))?)
            }
            "--rate" => {
                let r: f64 = value.parse().map_err(|e| format!("--rate: {e}"))?;
                if !(r.is_finite() && r > 0.0) {
                    return Err(format!(
                        "--rate {value}: a positive number of requests a second"
                    ));
                }
                rate = Some(r)
            }
            "--server-pid" => {
                server_pid = Some(value.parse().map_err(|e| format!("--server-pid: {e}"))?)
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let addr: SocketAddr = addr.parse().map_err(|e| format!("--addr {addr}: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address: this tool only loads this machine"
        ));
    }
    let facts = std::fs::read_to_string(&facts).map_err(|e| format!("{facts}: {e}"))?;
    Ok(Args {
        addr,
        policy,
        body: format!("{{\"facts\": {facts}, \"as_of\": \"{as_of}\"}}"),
        requests: requests.min(10_000_000),
        concurrency: concurrency.clamp(1, 64),
        seconds: seconds.min(3600),
        flood: flood.min(64),
        flood_body,
        server_pid,
        rate,
    })
}

/// One request on a keep-alive connection; returns the status code.
fn request(stream: &mut BufReader<TcpStream>, message: &[u8]) -> std::io::Result<u16> {
    stream.get_mut().write_all(message)?;
    let mut line = String::new();
    stream.read_line(&mut line)?;
    let status = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        stream.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut buf = vec![0; length];
    stream.read_exact(&mut buf)?;
    Ok(status)
}

fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let head = format!(
        "POST /v1/policies/{}/evaluate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        a.policy,
        a.body.len()
    );
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooders: Vec<_> = match &a.flood_body {
        None => Vec::new(),
        Some(body) => (0..a.flood)
            .map(|_| {
                let message = format!(
                    "POST /v1/policies/{}/evaluate-batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    a.policy,
                    body.len()
                )
                .into_bytes();
                let (addr, stop) = (a.addr, stop.clone());
                std::thread::spawn(move || {
                    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let status = TcpStream::connect(addr)
                            .map(BufReader::new)
                            .and_then(|mut c| request(&mut c, &message))
                            .unwrap_or(0);
                        *statuses.entry(status).or_default() += 1;
                    }
                    statuses
                })
            })
            .collect(),
    };
    let per_worker = a.requests.div_ceil(a.concurrency);
    let start = Instant::now();
    // with --rate, each connection's interval, its first request offset so
    // that the connections take turns
    let interval = a
        .rate
        .map(|r| Duration::from_secs_f64(a.concurrency as f64 / r));
    let workers: Vec<_> = (0..a.concurrency)
        .map(|w| {
            let message = format!("{head}{}", a.body).into_bytes();
            let addr = a.addr;
            let first = interval.map(|i| start + i * w as u32 / a.concurrency as u32);
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(per_worker);
                let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
                let mut conn: Option<BufReader<TcpStream>> = None;
                for k in 0..per_worker {
                    if Instant::now() > deadline {
                        break;
                    }
                    let t = match (first, interval) {
                        (Some(first), Some(interval)) => {
                            let due = first + interval * k as u32;
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                            due
                        }
                        _ => Instant::now(),
                    };
                    if conn.is_none() {
                        conn = TcpStream::connect(addr)
                            .ok()
                            .inspect(|s| {
                                let _ = s.set_nodelay(true);
                            })
                            .map(BufReader::new);
                    }
                    let status = match conn.as_mut().map(|c| request(c, &message)) {
                        Some(Ok(s)) => s,
                        _ => {
                            conn = None;
                            0
                        }
                    };
                    latencies.push(t.elapsed());
                    *statuses.entry(status).or_default() += 1;
                }
                (latencies, statuses)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for w in workers {
        if let Ok((l, s)) = w.join() {
            latencies.extend(l);
            for (k, v) in s {
                *statuses.entry(k).or_default() += v;
            }
        }
    }
    let elapsed = start.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut flooded = std::collections::BTreeMap::<u16, usize>::new();
    for f in flooders {
        if let Ok(s) = f.join() {
            for (k, v) in s {
                *flooded.entry(k).or_default() += v;
            }
        }
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{} requests in {:.2} s with {} connections: {:.0} requests/s",
        latencies.len(),
        elapsed.as_secs_f64(),
        a.concurrency,
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    println!("status codes (0 = connection error): {statuses:?}");
    if a.flood_body.is_some() {
        println!(
            "batch flood ({} threads) status codes: {flooded:?}",
            a.flood
        );
    }
    if let Some(pid) = a.server_pid {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        for line in status
            .lines()
            .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        {
            println!("server {line}");
        }
    }
}
