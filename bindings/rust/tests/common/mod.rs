//! Shared test helpers: sample texts, a small JSON reader (no crates), RFC 3339 timestamps,
//! scratch directories, the seed corpus.
#![allow(dead_code)]

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

mod json;
pub use json::{parse_json, Json};

pub const RATE: &str = "The central bank of Examplestan raised its main interest rate by half a percentage point \
on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor \
Ana Petrova told reporters in the capital after the board meeting that further increases \
could not be ruled out if the currency kept weakening against the dollar and the euro.";
pub const RATE_COPY_TAIL: &str = " Analysts polled last week had expected the move.";
pub const FOOTBALL: &str = "Riverside United beat Harbour City 3-1 in the cup semi-final on Saturday, with two late \
goals from the substitute striker sealing a place in the final for the first time since \
1998. The coach praised the young squad and said the club would now aim for the title.";
pub const WEATHER: &str = "Forecasters expect heavy snow across the northern mountains over the weekend, with up to \
forty centimetres on the high passes, and warned drivers to carry chains. Temperatures in \
the lowlands will stay just above freezing until Wednesday, when a warmer front arrives.";

pub fn rate_copy() -> String {
    format!("{}{}", RATE, RATE_COPY_TAIL)
}

/// A text of 60 pseudo-random words, distinct per (writer, i): unrelated to every other.
pub fn random_text(writer: u64, i: u64) -> String {
    let mut x = writer.wrapping_mul(100_003).wrapping_add(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut words = Vec::new();
    for _ in 0..60 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 4 + (x % 6) as usize;
        let w: String = (0..len).map(|k| (b'a' + ((x >> (8 + 5 * k)) % 26) as u8) as char).collect();
        words.push(w);
    }
    words.join(" ")
}

/// A fresh, empty directory under cargo's per-target scratch space.
pub fn scratch_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}-{}-{}",
        name,
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

// ------------------------------------------------------------------------------------------
// timestamps

/// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS" with "Z" or a "+HH:MM"/"-HH:MM" offset.
pub fn rfc3339_seconds(s: &str) -> i64 {
    let b = s.as_bytes();
    let num = |a: usize, n: usize| -> i64 { s[a..a + n].parse().unwrap_or_else(|_| panic!("bad timestamp {:?}", s)) };
    assert!(b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b' '), "bad timestamp {:?}", s);
    let (y, mo, d) = (num(0, 4), num(5, 2), num(8, 2));
    let (h, mi, se) = (num(11, 2), num(14, 2), num(17, 2));
    let rest = &s[19..];
    let offset = if rest.is_empty() || rest == "Z" {
        0
    } else {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        sign * (rest[1..3].parse::<i64>().unwrap() * 3600 + rest[4..6].parse::<i64>().unwrap() * 60)
    };
    // days from civil (Howard Hinnant's algorithm)
    let y = if mo <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3600 + mi * 60 + se - offset
}

// ------------------------------------------------------------------------------------------
// the seed corpus (seeds/ at the repository root, or $RETOLD_SEEDS_DIR)

pub fn seeds_dir() -> PathBuf {
    match env::var_os("RETOLD_SEEDS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds"),
    }
}

pub struct SeedDoc {
    pub id: String,
    pub text: String,
    pub title: Option<String>,
    pub source: String,
    pub timestamp: i64,
}

pub fn seed_corpus() -> Vec<SeedDoc> {
    let path = seeds_dir().join("corpus.jsonl");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {} ({}): set RETOLD_SEEDS_DIR", path.display(), e));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let j = parse_json(l);
            SeedDoc {
                id: j.get("id").unwrap().str().to_string(),
                text: j.get("text").unwrap().str().to_string(),
                title: j.get("title").map(|t| t.str().to_string()),
                source: j.get("source").unwrap().str().to_string(),
                timestamp: rfc3339_seconds(j.get("timestamp").unwrap().str()),
            }
        })
        .collect()
}

pub fn golden() -> Json {
    let path = seeds_dir().join("expected_clusters.json");
    parse_json(&fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {} ({})", path.display(), e)))
}

/// Resident set size of this process in bytes (VmRSS of Linux /proc/self/status).
pub fn rss_bytes() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("needs /proc/self/status (Linux)");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("no VmRSS in /proc/self/status");
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}
