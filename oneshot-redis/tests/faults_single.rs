//! Faults on one real server while 32 tasks put and take plain and guarded
//! secrets (with receipts and burns): kill -9 and a new server on the same
//! port, SIGSTOP/SIGCONT, a restart that loses everything.

mod common;

use oneshot_core::testkit::fault_load;

use std::time::Duration;

use common::{CALL_BOUND, RESPONSE_TIMEOUT};
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::fault_load::{Outcome, check_invariants, started_after};
use oneshot_core::testkit::{passphrase_guard, random_id, random_proof, random_receipt_claim};
use oneshot_core::{SecretStore, StoreError};
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
    let load = fault_load::Load::start(store.clone(), |_| random_id());

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
    let recovery = fault_load::time_to_recover(&store, Duration::from_secs(2)).await;
    let recovered_at = load.start.elapsed();
    sleep(Duration::from_millis(400)).await;
    let iterations = load.finish().await;

    let summary = check_invariants("kill -9", &iterations, CALL_BOUND);
    eprintln!(
        "kill -9: killed at {killed_at:?}, restarted at {restarted_at:?}, recovered in \
         {recovery:?}; {summary:?}"
    );
    fault_load::assert_guarded_ran("kill -9", &summary);
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
        assert_eq!(it.winners(), 1, "after recovery: {it:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstop_fails_typed_within_the_response_timeout_and_sigcont_heals() {
    let server = RedisServer::start();
    let store = fault_store(&server).await;
    let load = fault_load::Load::start(store.clone(), |_| random_id());

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
    let recovery = fault_load::time_to_recover(&store, Duration::from_secs(2)).await;
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
    fault_load::assert_guarded_ran("SIGSTOP", &summary);
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
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards =
        passphrase_guard(&proof, 3).with_receipt(claim.verifier(), Duration::from_secs(60));
    let ids: Vec<_> = (0..32).map(|_| random_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        let kind = if i % 2 == 0 { Guards::NONE } else { guards };
        store
            .put_with_ttl(id, b"before the restart", Duration::from_secs(60), &kind)
            .await
            .expect("put");
    }
    server.restart();
    // The old connection's close is noticed (RESP3 disconnect notice), so the
    // first call already goes to the new server.
    let began = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let taken = if i % 2 == 0 {
            store.take(id, None).await
        } else {
            store.take(id, Some(&proof)).await
        };
        assert!(
            matches!(taken, Ok(TakeOutcome::NotFound)),
            "take after an empty restart gave {taken:?}"
        );
        if i % 2 == 1 {
            let receipt = store.receipt(id, &claim).await;
            assert!(matches!(receipt, Ok(None)), "{receipt:?}");
            let burn = store.burn(id, &claim).await;
            assert!(matches!(burn, Ok(None)), "{burn:?}");
        }
    }
    assert!(began.elapsed() < Duration::from_secs(2));
    // And the store works normally, ids included: the restart forgot them.
    for (i, id) in ids.iter().enumerate().take(4) {
        let kind = if i % 2 == 0 { Guards::NONE } else { guards };
        store
            .put_with_ttl(id, b"after", Duration::from_secs(60), &kind)
            .await
            .expect("put after restart");
        assert_eq!(
            store.take(id, Some(&proof)).await.expect("take"),
            TakeOutcome::Taken(b"after".to_vec())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_gone_gives_unavailable_quickly() {
    let mut server = RedisServer::start();
    let store = fault_store(&server).await;
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards =
        passphrase_guard(&proof, 3).with_receipt(claim.verifier(), Duration::from_secs(60));
    server.kill();
    // Give the driver a moment to see the close.
    sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        let id = random_id();
        let mut results = Vec::new();
        let mut timed = |what: &'static str, began: Instant, result: Result<(), StoreError>| {
            assert!(
                began.elapsed() < CALL_BOUND,
                "{what} took {:?}",
                began.elapsed()
            );
            results.push((what, result));
        };
        let began = Instant::now();
        let put = store
            .put_with_ttl(&id, b"x", Duration::from_secs(60), &Guards::NONE)
            .await;
        timed("put", began, put);
        let began = Instant::now();
        let put = store
            .put_with_ttl(&id, b"x", Duration::from_secs(60), &guards)
            .await;
        timed("guarded put", began, put);
        let began = Instant::now();
        let take = store.take(&id, None).await.map(drop);
        timed("take", began, take);
        let began = Instant::now();
        let take = store.take(&id, Some(&proof)).await.map(drop);
        timed("guarded take", began, take);
        let began = Instant::now();
        let receipt = store.receipt(&id, &claim).await.map(drop);
        timed("receipt", began, receipt);
        let began = Instant::now();
        let burn = store.burn(&id, &claim).await.map(drop);
        timed("burn", began, burn);
        // Nothing can have been sent: the connection is known dead and
        // reconnecting is refused.
        for (what, result) in results {
            assert!(
                matches!(&result, Err(StoreError::Unavailable(_))),
                "{what}: {result:?}"
            );
            assert!(result.as_ref().err().is_some_and(StoreError::is_retry_safe));
        }
    }
}
