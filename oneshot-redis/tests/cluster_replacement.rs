//! A cluster connection that answers nothing for 3 response timeouts while
//! calls keep timing out is replaced (the health rule shared with the
//! single-node path; it is what gets the store out of the `redis` 1.8.1
//! cluster deadlock, which cannot be produced on demand). Freezing every
//! master gives the same symptom: every call on every slot times out.

mod common;

use oneshot_core::testkit::fault_load;

use std::time::Duration;

use fault_load::Outcome;
use oneshot_core::SecretStore;
use oneshot_core::testkit::random_id;
use oneshot_redis::RedisConfig;
use oneshot_redis_harness::RedisCluster;
use tokio::time::{Instant, sleep};

/// Short, so that silence is soon long enough (3 × 300 ms).
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(300);
/// Long, because it also bounds building the replacement
/// (connect + response timeout), which has to outlast the freeze.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_cluster_connection_is_replaced() {
    let cluster = RedisCluster::start();
    let store = RedisConfig::cluster(cluster.urls())
        .connect_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
        .connect()
        .await
        .expect("connect to the cluster");
    fault_load::time_to_recover(&store, Duration::from_secs(5)).await;
    assert_eq!(store.cluster_connection_replacements(), 0);

    for node in cluster.nodes() {
        node.pause();
    }
    let paused_at = Instant::now();
    // Four callers, so that timeouts come often and one soon follows the
    // moment the silence reaches 3 response timeouts.
    let callers: Vec<_> = (0..4u64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                sleep(RESPONSE_TIMEOUT / 4 * u32::try_from(i).unwrap()).await;
                let mut outcomes = Vec::new();
                while paused_at.elapsed() < RESPONSE_TIMEOUT * 5 {
                    let began = Instant::now();
                    let outcome = Outcome::of_take(&store.take(&random_id(), None).await);
                    outcomes.push((outcome, began.elapsed()));
                }
                outcomes
            })
        })
        .collect();
    // Thaw after the replacement has started (at about 3 response timeouts)
    // and well before it gives up (connect + response timeout later).
    sleep(RESPONSE_TIMEOUT * 3 + Duration::from_millis(900)).await;
    for node in cluster.nodes() {
        node.resume();
    }
    let mut outcomes = Vec::new();
    for caller in callers {
        outcomes.extend(caller.await.expect("caller panicked"));
    }
    let during: Vec<_> = outcomes
        .iter()
        .filter(|(outcome, _)| *outcome != Outcome::None)
        .collect();
    assert!(
        !during.is_empty(),
        "no call failed while the cluster was frozen"
    );
    for (outcome, took) in &during {
        // Frozen nodes never answer, so a call only times out: the command
        // may have been sent (Indeterminate), and it came back promptly.
        assert_eq!(*outcome, Outcome::Indeterminate, "{outcomes:?}");
        assert!(
            *took <= RESPONSE_TIMEOUT + Duration::from_millis(700),
            "a call took {took:?}"
        );
    }

    let waited = Instant::now();
    while store.cluster_connection_replacements() == 0 && waited.elapsed() < CONNECT_TIMEOUT * 2 {
        sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        store.cluster_connection_replacements(),
        1,
        "the silent connection was not replaced exactly once"
    );
    let recovery = fault_load::time_to_recover(&store, Duration::from_secs(5)).await;
    eprintln!(
        "frozen for {:?}; {} calls failed; recovered in {recovery:?}",
        RESPONSE_TIMEOUT * 3 + Duration::from_millis(900),
        during.len()
    );
}
