//! The requests: one checked pair, the probe of a server's answer lengths,
//! and a scrape loop.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::error::HttpError;
use super::pool::PairPool;
use super::wire::{Answer, Conn, get_request};
use crate::cpu::Process;
use crate::floor::BodyLens;

/// How long connecting and the warm-up pairs of one connection may take.
pub(crate) const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How a take's answer is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The envelope taken is the one put (a real server).
    Envelope,
    /// The answer has an envelope of the right length (the floor, whose
    /// answers are fixed); parsed the same way, so the generator's work is
    /// the same.
    Length,
}

#[derive(Deserialize)]
struct Taken<'a> {
    #[serde(borrow)]
    envelope: &'a str,
}

/// One checked pair: create (201), take (200, the envelope), take again
/// (404). Returns the answers' lengths and when the first take was checked.
pub(crate) async fn pair(
    conn: &mut Conn,
    pool: &PairPool,
    index: usize,
    check: Check,
) -> Result<(BodyLens, Instant), HttpError> {
    let pair = pool
        .pairs()
        .get(index)
        .ok_or(HttpError::Malformed("pair", "index past the pool"))?;
    let created = conn.send("create", &pool.create_head, &pair.create).await?;
    expect("create", 201, &created)?;
    let create_len = created.body.len();
    let taken = conn.send("take", &pool.take_head, &pair.take).await?;
    expect("take", 200, &taken)?;
    let take_len = taken.body.len();
    let envelope = serde_json::from_slice::<Taken<'_>>(taken.body)
        .map_err(|_| HttpError::Corrupted(index))?
        .envelope;
    let right = match check {
        Check::Envelope => envelope == pair.envelope_b64,
        Check::Length => envelope.len() == pair.envelope_b64.len(),
    };
    if !right {
        return Err(HttpError::Corrupted(index));
    }
    let checked = Instant::now();
    let missed = conn
        .send("second take", &pool.again_head, &pair.take)
        .await?;
    if missed.status == 200 {
        return Err(HttpError::Duplicated(index));
    }
    expect("second take", 404, &missed)?;
    let lens = BodyLens {
        create: create_len,
        take: take_len,
        miss: missed.body.len(),
    };
    Ok((lens, checked))
}

fn expect(request: &'static str, wanted: u16, answer: &Answer<'_>) -> Result<(), HttpError> {
    if answer.status == wanted {
        return Ok(());
    }
    let start = answer
        .body
        .get(..answer.body.len().min(300))
        .unwrap_or_default();
    Err(HttpError::Status {
        request,
        status: answer.status,
        body: String::from_utf8_lossy(start).into_owned(),
    })
}

/// One checked pair on a fresh connection, returning the lengths of the
/// server's three answers (to give the floor the same).
pub async fn probe(addr: SocketAddr, pool: &PairPool) -> Result<BodyLens, HttpError> {
    let mut conn = Conn::open(addr, SETUP_TIMEOUT).await?;
    Ok(pair(&mut conn, pool, 0, Check::Envelope).await?.0)
}

/// `GET path` on one connection, up to `count` times or for `max_time`;
/// `None` if the first answer is 404 (the server does not serve it).
/// Returns the requests made, their wall time, the answer's length, and the
/// CPU time of `process` meanwhile.
pub async fn scrape(
    addr: SocketAddr,
    path: &'static str,
    count: usize,
    max_time: Duration,
    process: Process,
) -> Result<Option<(usize, Duration, usize, Duration)>, HttpError> {
    let mut conn = Conn::open(addr, SETUP_TIMEOUT).await?;
    let request = get_request(path);
    if conn.send("scrape", &request, &[]).await?.status == 404 {
        return Ok(None);
    }
    let before = crate::cpu::cpu_time(process)?;
    let started = Instant::now();
    let mut done = 0;
    let mut len = 0;
    while done < count && started.elapsed() < max_time {
        let answer = conn.send("scrape", &request, &[]).await?;
        expect("scrape", 200, &answer)?;
        len = answer.body.len();
        done += 1;
    }
    let elapsed = started.elapsed();
    let cpu = crate::cpu::cpu_time(process)?.saturating_sub(before);
    Ok(Some((done, elapsed, len, cpu)))
}
