//! CPU time of a process, read from `/proc/<pid>/stat` (Linux): user plus
//! system time of all its threads, in clock ticks, converted to a duration.
//!
//! Ticks are coarse (10 ms at the usual 100 Hz), so a figure per request is
//! only meaningful over runs of many requests: thousands of pairs give a few
//! hundred ticks at least.

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Why a process's CPU time could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CpuError {
    /// `/proc/<pid>/stat` could not be read (no such process, not Linux).
    #[error("cannot read /proc/{pid}/stat")]
    Unreadable {
        /// The process, or `self`.
        pid: String,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// The file did not have the expected fields.
    #[error("unexpected contents in /proc/{0}/stat")]
    Malformed(String),
}

/// Which process to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// This process (`/proc/self/stat`).
    Current,
    /// Another process, by id.
    Pid(u32),
}

impl Process {
    fn name(self) -> String {
        match self {
            Self::Current => "self".to_owned(),
            Self::Pid(pid) => pid.to_string(),
        }
    }
}

/// The CPU time `process` has used so far (utime + stime, all threads).
pub fn cpu_time(process: Process) -> Result<Duration, CpuError> {
    let name = process.name();
    let text = std::fs::read_to_string(format!("/proc/{name}/stat")).map_err(|source| {
        CpuError::Unreadable {
            pid: name.clone(),
            source,
        }
    })?;
    let ticks = parse_ticks(&text).ok_or(CpuError::Malformed(name))?;
    Ok(ticks_to_duration(ticks))
}

/// utime + stime from the text of `/proc/<pid>/stat`. The command name (field
/// 2) is in parentheses and may hold spaces, so fields count from the last `)`:
/// field 3 (state) is the first after it, utime is field 14, stime field 15.
fn parse_ticks(text: &str) -> Option<u64> {
    let after = text.get(text.rfind(')')? + 1..)?;
    let mut fields = after.split_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The kernel's `USER_HZ` (`getconf CLK_TCK`), 100 if it cannot be asked.
pub fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|&hz| hz > 0)
            .unwrap_or(100)
    })
}

fn ticks_to_duration(ticks: u64) -> Duration {
    let hz = ticks_per_second();
    Duration::from_secs(ticks / hz) + Duration::from_nanos((ticks % hz) * 1_000_000_000 / hz)
}

/// CPU time of the calling thread so far (`CLOCK_THREAD_CPUTIME_ID`,
/// nanoseconds): what a timing loop spent computing, whatever else the
/// machine runs. Zero if the clock cannot be read.
pub fn thread_cpu() -> Duration {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(Duration::ZERO, Duration::from)
}

/// User plus system time of this process's children that have been waited
/// for (`getrusage(RUSAGE_CHILDREN)`); the difference around one child's run
/// is that child's CPU time.
pub fn children_cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike;
    let micros = |t: nix::sys::time::TimeVal| u64::try_from(t.num_microseconds()).unwrap_or(0);
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(Duration::ZERO, |u| {
        Duration::from_micros(micros(u.user_time()) + micros(u.system_time()))
    })
}

/// CPU readings of several processes taken together, to subtract later.
#[derive(Debug, Clone)]
pub struct Snapshot(Vec<Duration>);

impl Snapshot {
    /// Reads every process in `processes`, in order.
    pub fn take(processes: &[Process]) -> Result<Self, CpuError> {
        processes
            .iter()
            .map(|&p| cpu_time(p))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// CPU time used by each process since `earlier` (same processes, same order).
    pub fn since(&self, earlier: &Self) -> Vec<Duration> {
        self.0
            .iter()
            .zip(&earlier.0)
            .map(|(now, then)| now.saturating_sub(*then))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_the_name() {
        // Fields 14 and 15 (utime 250, stime 50) after a name with ") (" in it.
        let text =
            "4242 (odd ) (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 12345 0 0";
        assert_eq!(parse_ticks(text), Some(300));
        assert_eq!(parse_ticks("garbage"), None);
    }

    #[test]
    fn reads_this_process() {
        assert!(cpu_time(Process::Current).is_ok());
    }

    #[test]
    fn thread_clock_advances() {
        let started = thread_cpu();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        assert!(thread_cpu() > started, "{x}");
    }
}
