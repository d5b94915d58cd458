//! Per-call overhead of the safe Rust API against the C call itself, in the same process.
//!
//!   RETOLD_LIB_DIR=BUILD_DIR cargo bench --offline --bench query_overhead [-- SCALE]
//!
//! State: the 200 synthetic documents of bench/bench_capi.cpp (same generator), so the numbers
//! compare with bench_capi's C++ calls and bench/e2e_python_overhead.py. Calls: `query()` of the
//! same short 12-word text (the small query of the issue) and `contains()` of a stored id (the
//! cheapest call, which shows the fixed cost). Each is timed through `retold` (what users call:
//! the result converted into an owned `Vec<Match>`) and through `retold-sys` (the raw C call and
//! the list dispose, nothing else: what a C program pays).
//!
//! The two sides are paired: a batch of calls through one, then the same batch through the other
//! (the order alternating), 2000 * SCALE pairs for query() (one call per batch) and 300 * SCALE
//! for contains() (10000 calls per batch). Load from other processes then hits both sides of a
//! pair alike; the table shows the medians per call, the median of the per-pair differences
//! (the overhead) and of the per-pair ratios. When BUILD_DIR/bench/bench_capi exists (a CMake
//! build with benchmarks) its C++ medians are printed beside them (another process, not paired).
//!
//! Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a machine shared with other
//! jobs slows both sides without inflating either; RETOLD_BENCH_CLOCK=wall uses the wall clock.
//! A benchmark, not a test: nothing is asserted.
use std::env;
use std::os::raw::c_char;
use std::path::Path;
use std::process::Command;
use std::ptr;
use std::time::Instant;

use retold::{sys, Deduplicator, Document};

/// One timed call; returns something derived from its result so it is not optimized away.
type Call<'a> = dyn FnMut() -> usize + 'a;

const SHORT_QUERY: &str = "central bank raises its main interest rate by half a point citing inflation";

/// Mirror of synthetic_text() in bench/bench_capi.cpp: 80 words "w<k>" from a 31-bit LCG.
fn synthetic_text(i: u64) -> String {
    let mut x = (i + 1) * 2_654_435_761 % 2_147_483_648;
    let mut words = Vec::with_capacity(80);
    for _ in 0..80 {
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
        words.push(format!("w{}", x % 30_000));
    }
    words.join(" ")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    // glibc; declared here because the workspace takes no crate (not even libc)
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3; // Linux

/// Nanoseconds of this thread's CPU time, or of the wall clock since `start`.
fn now_ns(cpu: bool, start: Instant) -> f64 {
    if cpu {
        let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: a valid clock id and a caller-owned timespec.
        let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
    } else {
        start.elapsed().as_nanos() as f64
    }
}

/// Per-call ns of `batch` calls of `f`.
fn time_batch(batch: usize, f: &mut Call, sink: &mut usize, cpu: bool, start: Instant) -> f64 {
    let t = now_ns(cpu, start);
    for _ in 0..batch {
        *sink = sink.wrapping_add(f());
    }
    (now_ns(cpu, start) - t) / batch as f64
}

struct Paired {
    c: f64,
    rust: f64,
    overhead: f64,
    ratio: f64,
}

/// `pairs` pairs of batches, C side and Rust side in alternating order: medians.
fn paired(pairs: usize, batch: usize, c: &mut Call, rust: &mut Call, cpu: bool) -> Paired {
    let start = Instant::now();
    let time_batch = |batch: usize, f: &mut Call, sink: &mut usize| time_batch(batch, f, sink, cpu, start);
    let mut sink = 0usize;
    for _ in 0..(pairs / 10).max(1) {
        time_batch(batch, c, &mut sink); // warm up both
        time_batch(batch, rust, &mut sink);
    }
    let (mut cs, mut rs, mut diffs, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in 0..pairs {
        let (tc, tr) = if p % 2 == 0 {
            let tc = time_batch(batch, c, &mut sink);
            (tc, time_batch(batch, rust, &mut sink))
        } else {
            let tr = time_batch(batch, rust, &mut sink);
            (time_batch(batch, c, &mut sink), tr)
        };
        cs.push(tc);
        rs.push(tr);
        diffs.push(tr - tc);
        ratios.push(tr / tc);
    }
    assert!(sink != usize::MAX); // keeps the results alive
    Paired { c: median(&mut cs), rust: median(&mut rs), overhead: median(&mut diffs), ratio: median(&mut ratios) }
}

fn raw_query(d: &Deduplicator) -> usize {
    let mut list = sys::retold_match_list {
        struct_size: std::mem::size_of::<sys::retold_match_list>() as u32,
        item_size: std::mem::size_of::<sys::retold_match>() as u32,
        items: ptr::null_mut(),
        count: 0,
        internal_: ptr::null_mut(),
    };
    // SAFETY: a live handle, a borrowed text, NULL options (defaults), a caller list disposed below.
    let rc = unsafe {
        sys::retold_dedup_query(
            d.as_raw(),
            SHORT_QUERY.as_ptr() as *const c_char,
            SHORT_QUERY.len() as u64,
            ptr::null(),
            &mut list,
        )
    };
    assert_eq!(rc, sys::RETOLD_OK);
    let n = list.count as usize;
    // SAFETY: filled by the library, disposed once.
    unsafe { sys::retold_match_list_dispose(&mut list) };
    n
}

fn raw_contains(d: &Deduplicator, id: &std::ffi::CStr) -> usize {
    let mut out = 0i32;
    // SAFETY: a live handle and a NUL-terminated id.
    let rc = unsafe { sys::retold_dedup_contains(d.as_raw(), id.as_ptr(), &mut out) };
    assert_eq!(rc, sys::RETOLD_OK);
    out as usize
}

/// Median CPU (`cpu`) or real time in ns of each BM_cpp_* benchmark of bench_capi, from its JSON.
fn cpp_medians(exe: &Path, repetitions: usize, cpu: bool) -> Vec<(String, f64)> {
    let out = match Command::new(exe)
        .arg(format!("--benchmark_repetitions={}", repetitions))
        .args(["--benchmark_report_aggregates_only=true", "--benchmark_format=json", "--benchmark_min_time=0.1"])
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => return Vec::new(),
    };
    // a flat scan is enough: each benchmark object has "name", then "real_time", "cpu_time", "time_unit"
    let mut res = Vec::new();
    for chunk in out.split("\"name\": \"").skip(1) {
        let name = chunk.split('"').next().unwrap_or("");
        if !name.ends_with("_median") {
            continue;
        }
        let field = |key: &str| -> Option<String> {
            let at = chunk.find(&format!("\"{}\": ", key))? + key.len() + 4;
            Some(chunk[at..].split(&[',', '\n'][..]).next()?.trim().trim_matches('"').to_string())
        };
        if let (Some(t), Some(unit)) = (field(if cpu { "cpu_time" } else { "real_time" }), field("time_unit")) {
            let scale = match unit.as_str() {
                "us" => 1e3,
                "ms" => 1e6,
                _ => 1.0,
            };
            if let Ok(v) = t.parse::<f64>() {
                res.push((name.trim_end_matches("_median").to_string(), v * scale));
            }
        }
    }
    res
}

fn main() {
    let scale: usize = env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1);

    let d = Deduplicator::new().expect("a deduplicator");
    for i in 0..200u64 {
        let text = synthetic_text(i);
        d.add(&Document::new(&format!("doc-{}", i), &text).timestamp(i as i64)).expect("add");
    }
    let id = std::ffi::CString::new("doc-100").unwrap();
    assert_eq!(d.query(SHORT_QUERY).unwrap().len(), raw_query(&d), "both sides answer alike");

    let cpu = env::var("RETOLD_BENCH_CLOCK").map(|c| c != "wall").unwrap_or(true);
    let query = paired(2000 * scale, 1, &mut || raw_query(&d), &mut || d.query(SHORT_QUERY).unwrap().len(), cpu);
    let contains = paired(
        300 * scale,
        10_000,
        &mut || raw_contains(&d, &id),
        &mut || d.contains("doc-100").unwrap() as usize,
        cpu,
    );
    println!(
        "retold {} (query(): {} pairs of 1 call; contains(): {} pairs of 10000 calls; {} time)",
        retold::library_version(),
        2000 * scale,
        300 * scale,
        if cpu { "thread CPU" } else { "wall-clock" }
    );
    println!(
        "{:<22} {:>14} {:>14} {:>14} {:>12}",
        "ns per call (median)", "C (retold-sys)", "retold", "overhead", "retold / C"
    );
    for (name, r) in [("query() 12-word text", &query), ("contains()", &contains)] {
        println!("{:<22} {:>14.0} {:>14.0} {:>14.1} {:>11.4}x", name, r.c, r.rust, r.overhead, r.ratio);
    }
    if let Some(dir) = env::var_os("RETOLD_LIB_DIR") {
        let exe = Path::new(&dir).join("bench/bench_capi");
        if exe.exists() {
            for (name, ns) in cpp_medians(&exe, 5, cpu) {
                println!("C++ {:<26} {:>10.0} ns  ({}, another process)", name, ns, exe.display());
            }
        }
    }
}
