//! The `format` section: v1 and v2 seal/open against `openssl speed -evp
//! aes-256-gcm`, for this build's AEAD backend and, with `--aead-bin`,
//! another build's (a `--features ring` build measures its rows in a child
//! process, `--aead-row`, interleaved with this one's); and one v2
//! passphrase derivation against `openssl kdf`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use oneshot_core::v2::{self, Content, Flags, Passphrase};
use oneshot_core::{SecretKey, open, seal};

use super::{Error, Options, time_per_op};
use crate::{AEAD_BACKEND, BODY_SIZES, V2_BODY_SIZES, openssl};

/// The goals of issue 14 for seal and open at 16 KiB, as a fraction of OpenSSL.
const GOAL_RING: f64 = 1.0;
const GOAL_DEFAULT: f64 = 0.6;

/// One row's timings, per operation.
#[derive(Debug, Clone, Copy)]
struct Timing {
    seal: Duration,
    open: Duration,
    /// Deriving the id from the key: one HKDF-Extract, one Expand and a
    /// SHA-256; seal and open do about this plus one more Expand.
    derive: Duration,
}

/// Measures seal, open and the id derivation of format `version` (1 or 2,
/// v2 as text without a passphrase) for a `size`-byte body, each for `limit`.
fn measure(version: u8, size: usize, limit: Duration) -> Result<Timing, Error> {
    let body = vec![0x5a; size];
    match version {
        1 => {
            let key = SecretKey::generate()?;
            let envelope = seal(&key, &body)?;
            assert_eq!(
                open(&key, &envelope)?.as_slice(),
                body.as_slice(),
                "v1 round trip"
            );
            Ok(Timing {
                seal: time_per_op(limit, || {
                    black_box(seal(&key, black_box(&body)).map_or(0, |e| e.len()));
                }),
                open: time_per_op(limit, || {
                    black_box(open(&key, black_box(&envelope)).map_or(0, |b| b.len()));
                }),
                derive: time_per_op(limit / 4, || {
                    black_box(black_box(&key).id());
                }),
            })
        }
        2 => {
            let key = v2::SecretKey::generate(Flags::NONE)?;
            let text = Content::text();
            let envelope = v2::seal(&key, None, &text, &body)?;
            assert_eq!(
                v2::open(&key, None, &envelope)?.body(),
                body.as_slice(),
                "v2 round trip"
            );
            Ok(Timing {
                seal: time_per_op(limit, || {
                    black_box(v2::seal(&key, None, &text, black_box(&body)).map_or(0, |e| e.len()));
                }),
                open: time_per_op(limit, || {
                    black_box(
                        v2::open(&key, None, black_box(&envelope)).map_or(0, |o| o.body().len()),
                    );
                }),
                derive: time_per_op(limit / 4, || {
                    black_box(black_box(&key).id());
                }),
            })
        }
        other => Err(format!("no format v{other}").into()),
    }
}

/// The `--aead-row VERSION SIZE MILLIS` mode: one row, printed as
/// `BACKEND SEAL_NS OPEN_NS DERIVE_NS` for the build that asked.
pub(super) fn print_row([version, size, millis]: &[String; 3]) -> Result<(), Error> {
    let timing = measure(
        version.parse()?,
        size.parse()?,
        Duration::from_millis(millis.parse()?),
    )?;
    println!(
        "{AEAD_BACKEND} {} {} {}",
        timing.seal.as_nanos(),
        timing.open.as_nanos(),
        timing.derive.as_nanos()
    );
    Ok(())
}

/// The same row measured by another build.
fn remote_row(
    bin: &Path,
    version: u8,
    size: usize,
    limit: Duration,
) -> Result<(String, Timing), Error> {
    let out = Command::new(bin)
        .arg("--aead-row")
        .args([
            version.to_string(),
            size.to_string(),
            limit.as_millis().to_string(),
        ])
        .output()
        .map_err(|e| format!("cannot run --aead-bin {}: {e}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let parse = |i: usize| -> Result<Duration, Error> {
        let ns: u64 = fields.get(i).ok_or("short --aead-row answer")?.parse()?;
        Ok(Duration::from_nanos(ns))
    };
    match (out.status.success(), fields.first()) {
        (true, Some(backend)) => Ok((
            (*backend).to_owned(),
            Timing {
                seal: parse(1)?,
                open: parse(2)?,
                derive: parse(3)?,
            },
        )),
        _ => Err(format!(
            "--aead-bin {} failed: {text}{}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into()),
    }
}

/// Ratios at 16 KiB, for the goals: (format, backend, seal, open).
type GoalRow = (u8, String, f64, f64);

pub(super) fn section(options: &Options) -> Result<(), Error> {
    let budget = &options.budget;
    println!("## Format: seal/open vs `openssl speed -evp aes-256-gcm` (one core)\n");
    println!(
        "| format | body | backend | seal MB/s | open MB/s | OpenSSL MB/s | seal / OpenSSL | open / OpenSSL | seal µs | open µs | id derivation µs (÷ seal) |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut reference = BTreeMap::new();
    let mut goals: Vec<GoalRow> = Vec::new();
    let sizes = [(1u8, &BODY_SIZES[..]), (2, &V2_BODY_SIZES[..])];
    for (version, sizes) in sizes {
        for &(size, label) in sizes {
            // OpenSSL measures whole buffers; 16 bytes is its smallest block size.
            let bytes = size.max(16);
            let openssl_bps = match reference.get(&bytes) {
                Some(&bps) => bps,
                None => {
                    let bps = openssl::aes_256_gcm_bytes_per_sec(bytes, budget.openssl_seconds)?;
                    reference.insert(bytes, bps);
                    bps
                }
            };
            let mut rows = vec![(
                AEAD_BACKEND.to_owned(),
                measure(version, size, budget.crypto_time)?,
            )];
            if let Some(bin) = &options.aead_bin {
                rows.push(remote_row(bin, version, size, budget.crypto_time)?);
            }
            for (backend, t) in rows {
                let seal_bps = bytes as f64 / t.seal.as_secs_f64();
                let open_bps = bytes as f64 / t.open.as_secs_f64();
                let (seal_ratio, open_ratio) = (seal_bps / openssl_bps, open_bps / openssl_bps);
                println!(
                    "| v{version} | {label} | {backend} | {:.0} | {:.0} | {:.0} | {seal_ratio:.2} | {open_ratio:.2} | {:.2} | {:.2} | {:.2} ({:.0} %) |",
                    seal_bps / 1e6,
                    open_bps / 1e6,
                    openssl_bps / 1e6,
                    t.seal.as_secs_f64() * 1e6,
                    t.open.as_secs_f64() * 1e6,
                    t.derive.as_secs_f64() * 1e6,
                    100.0 * t.derive.as_secs_f64() / t.seal.as_secs_f64(),
                );
                if size == 16 * 1024 {
                    goals.push((version, backend, seal_ratio, open_ratio));
                }
            }
        }
    }
    println!(
        "\nThe 0 B row counts 16 bytes on both sides (OpenSSL's smallest buffer). seal and open include \
         the HKDF derivations, the padding (v1: 256-byte frame; v2: content header, Padmé) and, for open, \
         zeroizing the plaintext. v2 rows are text without a passphrase. The last column is the id \
         derivation alone (HKDF-Extract, one Expand, SHA-256), about the HKDF share of a seal or open. \
         All times are CPU time of the measuring thread (OpenSSL's speed test also divides by CPU time), \
         so a loaded machine lowers them less than it lowers wall-clock rates.\n"
    );
    print_goals(&goals, options.aead_bin.is_some());
    pbkdf2(budget.pbkdf2_runs)
}

fn print_goals(goals: &[GoalRow], other_build: bool) {
    println!(
        "Goals at 16 KiB (issue 14: ≥ {GOAL_RING:.1}× OpenSSL with ring, ≥ {GOAL_DEFAULT:.1}× with aes-gcm):\n"
    );
    for (version, backend, seal, open) in goals {
        let goal = if backend == "ring" {
            GOAL_RING
        } else {
            GOAL_DEFAULT
        };
        let verdict = if seal.min(*open) >= goal {
            "reached"
        } else {
            "not reached"
        };
        println!("- v{version} {backend}: seal {seal:.2}×, open {open:.2}× → {verdict}");
    }
    if !other_build {
        println!(
            "- the other backend was not measured in this run (build one with `--features ring` and pass it as `--aead-bin`)"
        );
    }
    println!();
}

/// One v2 passphrase derivation (PBKDF2-HMAC-SHA256, 600,000 rounds, and the
/// HKDFs around it) next to `openssl kdf` doing the PBKDF2 alone.
fn pbkdf2(runs: u32) -> Result<(), Error> {
    println!("## Format v2: one passphrase derivation (one core)\n");
    println!(
        "| what | ms per derivation (best of {runs}) | openssl kdf PBKDF2 ms | ours / OpenSSL |"
    );
    println!("|---|---:|---:|---:|");
    let key = v2::SecretKey::generate(Flags::PASSPHRASE)?;
    let passphrase = Passphrase::new("correct horse battery staple")?;
    let started = Instant::now();
    let mut best = Duration::MAX;
    // Bounded by count and by time (a derivation takes ~0.1-0.3 s); in this
    // thread's CPU time, as OpenSSL's figure is the child's CPU time.
    for _ in 0..runs.max(1) {
        let t0 = crate::cpu::thread_cpu();
        black_box(key.passphrase_proof(black_box(&passphrase))?);
        best = best.min(crate::cpu::thread_cpu().saturating_sub(t0));
        if started.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    let reference =
        openssl::pbkdf2_sha256(oneshot_core::format::v2::PBKDF2_ITERATIONS, runs.min(5))?;
    println!(
        "| `SecretKey::passphrase_proof` (PBKDF2 600,000 rounds + HKDF) | {:.1} | {:.1} | {:.2} |\n",
        best.as_secs_f64() * 1e3,
        reference.as_secs_f64() * 1e3,
        best.as_secs_f64() / reference.as_secs_f64()
    );
    println!(
        "A seal or open with a passphrase costs one such derivation on top of the rows above; so does a \
         take's proof. Both figures are CPU time: ours on this thread, OpenSSL's the child process's \
         less that of a 1-round run.\n"
    );
    Ok(())
}
