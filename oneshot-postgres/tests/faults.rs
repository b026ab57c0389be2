//! Faults on a real PostgreSQL (fsync and synchronous_commit on) while 32
//! tasks put and take: kill -9 of every server process and a restart on the
//! same port and data (crash recovery), SIGSTOP/SIGCONT, a server that is gone.

mod common;

use std::time::Duration;

use common::{CALL_BOUND, RESPONSE_TIMEOUT, fault_config};
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::fault_load::{
    Kind, Load, Outcome, assert_guarded_ran, check_invariants, started_after, time_to_recover,
};
use oneshot_core::testkit::{random_id, value_for};
use oneshot_core::{SecretStore, StoreError};
use oneshot_pg_harness::PgServer;
use oneshot_postgres::PgStore;
use tokio::time::{Instant, sleep};

async fn fault_store(server: &PgServer) -> PgStore {
    fault_config(server).connect().await.expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_load_then_restart_delivers_nothing_twice_and_loses_nothing_committed() {
    let mut server = PgServer::start();
    let store = fault_store(&server).await;
    let load = Load::start(store.clone(), |_| random_id());

    sleep(Duration::from_millis(600)).await;
    load.next_epoch();
    server.kill();
    let killed_at = load.start.elapsed();
    // Down for a while: every call must still come back, typed and bounded.
    sleep(Duration::from_millis(800)).await;
    server.restart();
    load.next_epoch();
    let restarted_at = load.start.elapsed();
    // The same store object, not rebuilt, works again.
    let recovery = time_to_recover(&store, Duration::from_secs(5)).await;
    let recovered_at = load.start.elapsed();
    sleep(Duration::from_millis(400)).await;
    let iterations = load.finish().await;

    let summary = check_invariants("kill -9", &iterations, CALL_BOUND);
    assert_guarded_ran("kill -9", &summary);
    eprintln!(
        "kill -9: killed at {killed_at:?}, restarted at {restarted_at:?}, recovered in \
         {recovery:?}; {summary:?}"
    );
    assert!(
        summary.errors() > 0,
        "killing the server produced no errors"
    );
    let down = iterations
        .iter()
        .filter(|it| {
            it.calls[0].started > killed_at + Duration::from_millis(100)
                && it.calls[0].started + Duration::from_millis(100) < restarted_at
        })
        .count();
    assert!(down > 0, "no iteration ran while the server was down");
    for it in started_after(&iterations, recovered_at + Duration::from_millis(100)) {
        assert!(
            it.calls.iter().all(|c| !c.outcome.is_error()),
            "after recovery an iteration failed: {it:?}"
        );
        assert_eq!(it.winners(), 1, "after recovery: {it:?}");
    }

    // What Redis without persistence cannot say: a secret delivered before
    // the crash stays taken after it (its commit reached the disk before the
    // store returned it), and one stored and not taken is still there.
    let mut taken_before = 0;
    let mut kept = 0;
    for it in iterations.iter().filter(|it| it.ended() < killed_at) {
        if it.winners() == 1 {
            taken_before += 1;
            let again = store.take(&it.id, None).await.expect("take after restart");
            assert_eq!(
                again,
                TakeOutcome::NotFound,
                "id {} came back after the crash",
                it.id
            );
        }
    }
    for it in &iterations {
        // Committed, and no take that may have run: it must have survived.
        let untouched = it.takes().all(|o| o == Outcome::Unavailable);
        if it.kind == Kind::Plain && it.put() == Outcome::Ok && untouched && it.calls.len() > 1 {
            kept += 1;
            let got = store.take(&it.id, None).await.expect("take after restart");
            assert_eq!(
                got,
                TakeOutcome::Taken(value_for(&it.id, 64)),
                "id {} stored before the crash was lost",
                it.id
            );
        }
    }
    // And a spent id is still spent: re-creating it is refused.
    for it in iterations
        .iter()
        .filter(|it| it.ended() < killed_at && it.winners() == 1)
        .take(100)
    {
        let forged = store
            .put_with_ttl(&it.id, b"forged", Duration::from_secs(60), &Guards::NONE)
            .await;
        assert!(
            matches!(forged, Err(StoreError::AlreadyExists)),
            "re-create gave {forged:?}"
        );
    }
    eprintln!("kill -9: {taken_before} taken before the crash stayed taken; {kept} untouched kept");
    assert!(
        taken_before > 100,
        "too little load before the kill: {taken_before}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstop_fails_typed_and_bounded_then_sigcont_heals() {
    let server = PgServer::start();
    let store = fault_store(&server).await;
    let load = Load::start(store.clone(), |_| random_id());

    sleep(Duration::from_millis(300)).await;
    load.next_epoch();
    server.pause();
    let paused_at = load.start.elapsed();
    // Long enough for the store to give up the silent connections (3
    // response timeouts) and fail reconnecting (the startup is never answered).
    sleep(Duration::from_millis(2600)).await;
    let resumed_at = load.start.elapsed();
    server.resume();
    load.next_epoch();
    let recovery = time_to_recover(&store, Duration::from_secs(3)).await;
    let recovered_at = load.start.elapsed();
    sleep(Duration::from_millis(400)).await;
    let iterations = load.finish().await;

    let summary = check_invariants("SIGSTOP", &iterations, CALL_BOUND);
    assert_guarded_ran("SIGSTOP", &summary);
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
            "a {} during SIGSTOP gave {:?}: {call:?}",
            call.op,
            call.outcome
        );
    }
    let count = |o| during.iter().filter(|c| c.outcome == o).count();
    let (indeterminate, unavailable) = (count(Outcome::Indeterminate), count(Outcome::Unavailable));
    eprintln!("SIGSTOP: {indeterminate} Indeterminate, then {unavailable} Unavailable");
    // First the calls on the frozen connections time out (they may run when
    // the server wakes); once those are given up, calls fail connecting.
    assert!(indeterminate > 0 && unavailable > 0);
    // Indeterminate only in the first 3 response timeouts (+ slack), then
    // only Unavailable: the uncertain window is bounded.
    let late_indeterminate = during
        .iter()
        .filter(|c| c.outcome == Outcome::Indeterminate)
        .filter(|c| c.started > paused_at + RESPONSE_TIMEOUT * 3 + Duration::from_millis(500))
        .count();
    assert_eq!(
        late_indeterminate, 0,
        "Indeterminate calls long after the freeze"
    );
    assert!(
        recovery < Duration::from_secs(2),
        "after SIGCONT the store took {recovery:?}"
    );
    for it in started_after(&iterations, recovered_at + Duration::from_millis(100)) {
        assert!(
            it.calls.iter().all(|c| !c.outcome.is_error()),
            "after SIGCONT an iteration failed: {it:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_gone_gives_unavailable_quickly() {
    let mut server = PgServer::start_with(&["-c", "fsync=off"]);
    let store = fault_store(&server).await;
    server.kill();
    // Give the driver a moment to see the sockets close.
    sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        let began = Instant::now();
        let put = store
            .put_with_ttl(&random_id(), b"x", Duration::from_secs(60), &Guards::NONE)
            .await;
        let take = store.take(&random_id(), None).await;
        assert!(began.elapsed() < CALL_BOUND);
        // Nothing can have been sent: the connections are known closed and
        // reconnecting is refused.
        assert!(matches!(put, Err(StoreError::Unavailable(_))), "{put:?}");
        assert!(matches!(take, Err(StoreError::Unavailable(_))), "{take:?}");
        assert!(take.as_ref().err().is_some_and(StoreError::is_retry_safe));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_survive_a_crash_and_the_first_call_after_it_is_not_indeterminate() {
    let mut server = PgServer::start();
    let store = fault_config(&server)
        .connections(4)
        .connect()
        .await
        .expect("connect");
    let ids: Vec<_> = (0..32).map(|_| random_id()).collect();
    for id in &ids {
        store
            .put_with_ttl(
                id,
                &value_for(id, 100),
                Duration::from_secs(60),
                &Guards::NONE,
            )
            .await
            .expect("put");
    }
    let spent = ids[0];
    assert!(matches!(
        store.take(&spent, None).await,
        Ok(TakeOutcome::Taken(_))
    ));
    server.restart();
    // The closed connections are noticed without a round trip, so the
    // first calls already go to new connections.
    let began = Instant::now();
    assert_eq!(
        store.take(&spent, None).await.expect("take"),
        TakeOutcome::NotFound
    );
    for id in &ids[1..] {
        let taken = store.take(id, None).await;
        assert_eq!(
            taken.expect("take after a restart"),
            TakeOutcome::Taken(value_for(id, 100)),
            "a committed secret was lost"
        );
    }
    assert!(began.elapsed() < Duration::from_secs(3));
}
