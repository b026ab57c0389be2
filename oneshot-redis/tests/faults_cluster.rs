//! A 3-master cluster loses one master (kill -9) while 32 tasks put and take
//! plain and guarded secrets (with receipts and burns): calls for its slots
//! fail typed and bounded, the others keep working.

mod common;

use oneshot_core::testkit::fault_load;

use std::time::Duration;

use common::CALL_BOUND;
use oneshot_core::SecretId;
use oneshot_core::testkit::fault_load::{Outcome, check_invariants, started_after};
use oneshot_core::testkit::random_id;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::{RedisCluster, SlotRanges, key_slot};
use tokio::time::sleep;

const VICTIM: usize = 0;

/// A fresh id whose key lives (or, with `on_victim` false, does not live) on
/// the victim's slots.
fn id_where(store: &RedisStore, victim: &SlotRanges, on_victim: bool) -> SecretId {
    for _ in 0..10_000 {
        let id = random_id();
        let owned = victim.contains_key(&store.key_for(&id));
        if owned == on_victim {
            return id;
        }
    }
    panic!("no id found for the wanted slots in 10,000 tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_master_fails_its_slots_typed_and_bounded_and_spares_the_rest() {
    let mut cluster = RedisCluster::start();
    let store = common::cluster_config(cluster.urls())
        .connect()
        .await
        .expect("connect to the cluster");
    let ranges = cluster.slot_ranges();
    let victim = ranges[VICTIM].clone();
    assert!(!victim.is_empty(), "the victim serves no slots: {ranges:?}");
    // Our slot computation agrees with the server's.
    let probe = store.key_for(&random_id());
    let probe_str = String::from_utf8(probe.clone()).expect("ASCII key");
    assert_eq!(
        cluster.nodes()[1].cli(&["cluster", "keyslot", &probe_str]),
        key_slot(&probe).to_string()
    );

    // Even tasks use keys on the victim, odd tasks keys elsewhere.
    let ids_store = store.clone();
    let load = fault_load::Load::start(store.clone(), move |task| {
        id_where(&ids_store, &victim, task % 2 == 0)
    });
    sleep(Duration::from_millis(400)).await;
    load.next_epoch();
    let kill_sent_at = load.start.elapsed();
    cluster.node_mut(VICTIM).kill();
    let killed_at = load.start.elapsed();
    sleep(Duration::from_millis(4000)).await;
    let iterations = load.finish().await;
    let victim_ranges = &ranges[VICTIM];
    let on_victim = |it: &fault_load::Iteration| victim_ranges.contains_key(&store.key_for(&it.id));

    let summary = check_invariants("cluster kill", &iterations, CALL_BOUND);
    eprintln!("cluster kill: killed at {killed_at:?}; {summary:?}");
    fault_load::assert_guarded_ran("cluster kill", &summary);

    // Before the kill, everything worked.
    for it in iterations
        .iter()
        .filter(|it| it.calls.iter().all(|c| c.started + c.took < kill_sent_at))
    {
        assert!(
            it.calls.iter().all(|c| !c.outcome.is_error()),
            "before the kill: {it:?}"
        );
    }
    // After the kill (and a moment for in-flight calls), the victim's keys
    // fail typed (checked above) and the others keep working.
    let after = started_after(&iterations, killed_at + Duration::from_millis(200));
    let (dead, alive): (Vec<_>, Vec<_>) = after.iter().partition(|it| on_victim(it));
    assert!(
        !dead.is_empty() && !alive.is_empty(),
        "no calls after the kill"
    );
    for it in &dead {
        assert!(
            it.put().is_error(),
            "a put on a dead master's slot succeeded: {it:?}"
        );
    }
    let alive_failed = alive
        .iter()
        .filter(|it| it.calls.iter().any(|c| c.outcome.is_error()))
        .count();
    eprintln!(
        "after the kill: {} iterations on the dead master (all failed), {} on live masters \
         ({alive_failed} with an error)",
        dead.len(),
        alive.len()
    );
    // Normally the live masters never notice. But the redis crate's cluster
    // client can stall every slot while it refreshes its slot map after a node
    // died (calls end Indeterminate at the response timeout), and in about one
    // run in ten it deadlocks until the store replaces the connection (see
    // `src/backend/cluster.rs`). What must hold: such failures are rare, and
    // the live masters work again well before the end of the run.
    let replacements = store.cluster_connection_replacements();
    eprintln!("connection replacements: {replacements}");
    assert!(
        alive_failed * 10 <= alive.len(),
        "{alive_failed} of {} live-master iterations failed after the kill",
        alive.len()
    );
    let recovered = killed_at + Duration::from_millis(3000);
    let late: Vec<_> = alive
        .iter()
        .filter(|it| it.calls[0].started >= recovered)
        .collect();
    assert!(!late.is_empty(), "no live-master calls late in the run");
    let late_failed: Vec<_> = late
        .iter()
        .filter(|it| it.calls.iter().any(|c| c.outcome.is_error()))
        .collect();
    assert!(
        late_failed.is_empty(),
        "live masters still failing 3 s after the kill: {late_failed:?}"
    );
    let dead_unavailable = dead
        .iter()
        .filter(|it| it.put() == Outcome::Unavailable)
        .count();
    eprintln!(
        "dead-slot puts that were Unavailable: {dead_unavailable}/{}",
        dead.len()
    );

    // check_server still answers, bounded: the dead master is reported as
    // unchecked (or the whole check fails typed).
    let began = tokio::time::Instant::now();
    let checked = store.check_server().await;
    assert!(
        began.elapsed() <= CALL_BOUND,
        "check_server took {:?}",
        began.elapsed()
    );
    eprintln!("check_server with a dead master: {checked:?}");
    let victim_port = format!(":{}", cluster.nodes()[VICTIM].port());
    match checked {
        Ok(warnings) => assert!(
            matches!(
                warnings.as_slice(),
                [oneshot_redis::ServerWarning::Unchecked { node, .. }] if node.ends_with(&victim_port)
            ),
            "{warnings:?}"
        ),
        Err(e) => assert!(
            matches!(
                e,
                oneshot_core::StoreError::Unavailable(_)
                    | oneshot_core::StoreError::Indeterminate(_)
            ),
            "{e:?}"
        ),
    }
}
