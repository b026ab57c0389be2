//! Faults on one real server while 32 tasks put and take: kill -9 and a new
//! server on the same port, SIGSTOP/SIGCONT, a restart that loses everything.

mod common;

use std::time::Duration;

use common::{CALL_BOUND, Outcome, RESPONSE_TIMEOUT, check_invariants, started_after};
use oneshot_core::SecretStore;
use oneshot_core::testkit::random_id;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;
use tokio::time::{Instant, sleep};

async fn fault_store(server: &RedisServer) -> RedisStore {
    common::config(&server.url())
        .connect()
        .await
        .expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_load_then_recover_on_the_same_port() {
    let mut server = RedisServer::start();
    let store = fault_store(&server).await;
    let load = common::Load::start(store.clone(), |_| random_id());

    sleep(Duration::from_millis(400)).await;
    load.next_epoch();
    server.kill();
    let killed_at = load.start.elapsed();
    // Down for a while: every call must still come back, typed and bounded.
    sleep(Duration::from_millis(800)).await;
    server.restart();
    load.next_epoch();
    let restarted_at = load.start.elapsed();
    // The same store object, not rebuilt, works again within 2 s.
    let recovery = common::time_to_recover(&store, Duration::from_secs(2)).await;
    let recovered_at = load.start.elapsed();
    sleep(Duration::from_millis(400)).await;
    let iterations = load.finish().await;

    let summary = check_invariants("kill -9", &iterations, CALL_BOUND);
    eprintln!(
        "kill -9: killed at {killed_at:?}, restarted at {restarted_at:?}, recovered in \
         {recovery:?}; {summary:?}"
    );
    assert!(
        summary.errors() > 0,
        "killing the server produced no errors at all"
    );
    // While the server was down, calls failed (typed, checked above) rather than hang.
    let down = iterations
        .iter()
        .filter(|it| {
            it.calls[0].started > killed_at + Duration::from_millis(100)
                && it.calls[0].started + Duration::from_millis(100) < restarted_at
        })
        .count();
    assert!(down > 0, "no iteration ran while the server was down");
    // Once recovered, everything succeeds.
    let after = started_after(&iterations, recovered_at + Duration::from_millis(100));
    assert!(!after.is_empty(), "no iteration after recovery");
    for it in &after {
        assert!(
            it.calls.iter().all(|c| !c.outcome.is_error()),
            "after recovery an iteration failed: {it:?}"
        );
        assert_eq!(it.delivered(), 1, "after recovery: {it:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstop_fails_typed_within_the_response_timeout_and_sigcont_heals() {
    let server = RedisServer::start();
    let store = fault_store(&server).await;
    let load = common::Load::start(store.clone(), |_| random_id());

    sleep(Duration::from_millis(300)).await;
    load.next_epoch();
    server.pause();
    // Measured after the signal went out, so the window is surely frozen.
    let paused_at = load.start.elapsed();
    // Long enough for the store to give up the silent connection (after 3
    // response timeouts) and fail reconnecting (HELLO is never answered).
    sleep(Duration::from_millis(2600)).await;
    let resumed_at = load.start.elapsed();
    server.resume();
    load.next_epoch();
    let recovery = common::time_to_recover(&store, Duration::from_secs(2)).await;
    let recovered_at = load.start.elapsed();
    sleep(Duration::from_millis(400)).await;
    let iterations = load.finish().await;

    // While stopped, nothing answers: calls fail after the response timeout
    // (plus scheduling slack), never later.
    let bound = RESPONSE_TIMEOUT + Duration::from_millis(700);
    let summary = check_invariants("SIGSTOP", &iterations, bound);
    eprintln!(
        "SIGSTOP: paused at {paused_at:?}, resumed at {resumed_at:?}, recovered in \
         {recovery:?}; {summary:?}"
    );
    let during: Vec<_> = iterations
        .iter()
        .flat_map(|it| &it.calls)
        .filter(|c| {
            c.started > paused_at + Duration::from_millis(50) && c.started + c.took < resumed_at
        })
        .collect();
    assert!(
        !during.is_empty(),
        "no call ran while the server was stopped"
    );
    for call in &during {
        assert!(
            matches!(call.outcome, Outcome::Indeterminate | Outcome::Unavailable),
            "a {} during SIGSTOP gave {:?}: {call:?} (paused at {paused_at:?}, resumed at \
             {resumed_at:?})",
            call.op,
            call.outcome
        );
    }
    // First the calls on the frozen connection time out (Indeterminate: they
    // may run when the server wakes); once the store has replaced the silent
    // connection, calls fail while connecting (Unavailable: nothing sent).
    let indeterminate = during
        .iter()
        .filter(|c| c.outcome == Outcome::Indeterminate)
        .count();
    let unavailable = during
        .iter()
        .filter(|c| c.outcome == Outcome::Unavailable)
        .count();
    eprintln!("SIGSTOP: {indeterminate} Indeterminate, then {unavailable} Unavailable");
    assert!(indeterminate > 0 && unavailable > 0);
    assert!(
        recovery < Duration::from_secs(1),
        "after SIGCONT the store took {recovery:?} to work again"
    );
    for it in started_after(&iterations, recovered_at + Duration::from_millis(100)) {
        assert!(
            it.calls.iter().all(|c| !c.outcome.is_error()),
            "after SIGCONT an iteration failed: {it:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restarted_empty_gives_none_not_errors() {
    let mut server = RedisServer::start();
    let store = fault_store(&server).await;
    let ids: Vec<_> = (0..32).map(|_| random_id()).collect();
    for id in &ids {
        store
            .put_with_ttl(id, b"before the restart", Duration::from_secs(60))
            .await
            .expect("put");
    }
    server.restart();
    // The old connection's close is noticed (RESP3 disconnect notice), so the
    // first take already goes to the new server.
    let began = Instant::now();
    for id in &ids {
        let taken = store.take(id).await;
        assert!(
            matches!(taken, Ok(None)),
            "take after an empty restart gave {taken:?}"
        );
    }
    assert!(began.elapsed() < Duration::from_secs(2));
    // And the store works normally.
    let id = random_id();
    store
        .put_with_ttl(&id, b"after", Duration::from_secs(60))
        .await
        .expect("put after restart");
    assert_eq!(
        store.take(&id).await.expect("take").as_deref(),
        Some(&b"after"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_gone_gives_unavailable_quickly() {
    let mut server = RedisServer::start();
    let store = fault_store(&server).await;
    server.kill();
    // Give the driver a moment to see the close.
    sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        let began = Instant::now();
        let put = store
            .put_with_ttl(&random_id(), b"x", Duration::from_secs(60))
            .await;
        let take = store.take(&random_id()).await;
        assert!(began.elapsed() < CALL_BOUND);
        // Nothing can have been sent: the connection is known dead and
        // reconnecting is refused.
        assert!(
            matches!(put, Err(oneshot_core::StoreError::Unavailable(_))),
            "{put:?}"
        );
        assert!(
            matches!(take, Err(oneshot_core::StoreError::Unavailable(_))),
            "{take:?}"
        );
        assert!(take.as_ref().err().is_some_and(|e| e.is_retry_safe()));
    }
}
