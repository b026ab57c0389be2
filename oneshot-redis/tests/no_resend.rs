//! An operation that timed out is never sent again, by the store or by the
//! `redis` crate underneath: against a frozen server, the server counts
//! exactly one `SET` per plain take and one `EVALSHA` per script, a wrong
//! passphrase counts one attempt, and a take whose first step timed out
//! never sends its second. (With the cluster client's defaults it would
//! count several: it re-sends after timeouts.)

mod common;

use std::time::Duration;

use common::{CALL_BOUND, RESPONSE_TIMEOUT};
use oneshot_core::store::{BurnReason, Guards, ReceiptState, TakeOutcome};
use oneshot_core::testkit::{passphrase_guard, random_id, random_proof, random_receipt_claim};
use oneshot_core::{SecretId, SecretStore, StoreError};
use oneshot_redis::RedisStore;
use oneshot_redis_harness::{RedisCluster, RedisServer};
use tokio::time::{Instant, sleep};

/// Freeze `server`, run one operation of each kind on ids it holds (each
/// times out), wait long enough for any re-send, thaw it, and count what it
/// ran. Meanwhile takes of `elsewhere` (ids on other nodes) keep the client
/// busy: the cluster client dispatches parked retries when other requests
/// arrive, so without traffic a re-send could go unnoticed. (With the
/// crate's defaults, `retries` 16 and no overall timeout, this test counted
/// 8 `GETDEL`s for one take of the v1 store.)
async fn timed_out_operations_run_once(
    store: &RedisStore,
    server: &RedisServer,
    on_server: impl Fn(&SecretId) -> bool,
    elsewhere: Vec<SecretId>,
) {
    let fresh = || {
        (0..10_000)
            .map(|_| random_id())
            .find(|id| on_server(id))
            .expect("an id on the wanted node")
    };
    let (plain, wrong, burned, unproved, warm) = (fresh(), fresh(), fresh(), fresh(), fresh());
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards =
        passphrase_guard(&proof, 5).with_receipt(claim.verifier(), Duration::from_secs(60));
    let ttl = Duration::from_secs(60);
    store
        .put_with_ttl(&plain, b"frozen", ttl, &Guards::NONE)
        .await
        .expect("put");
    for id in [&wrong, &burned, &unproved, &warm] {
        store
            .put_with_ttl(id, b"guarded", ttl, &guards)
            .await
            .expect("put");
    }
    // The node knows every script now, so none needs EVAL after NOSCRIPT.
    store
        .take(&warm, Some(&random_proof()))
        .await
        .expect("warm up");
    store.burn(&warm, &claim).await.expect("warm up");
    store.receipt(&warm, &claim).await.expect("warm up");

    server.cli(&["config", "resetstat"]);
    server.pause();
    let background = store.clone();
    let traffic = tokio::spawn(async move {
        for id in elsewhere {
            let _ = background.take(&id, None).await;
            sleep(Duration::from_millis(10)).await;
        }
    });
    let began = Instant::now();
    let wrong_proof = random_proof();
    let (plain_take, wrong_take, burn, unproved_take) = tokio::join!(
        store.take(&plain, None),
        store.take(&wrong, Some(&wrong_proof)),
        store.burn(&burned, &claim),
        store.take(&unproved, None),
    );
    let took = began.elapsed();
    // Several response timeouts: room for the client to retry, if it would.
    sleep(RESPONSE_TIMEOUT * 3).await;
    traffic.abort();
    server.resume();
    sleep(Duration::from_millis(300)).await;
    let shown = format!("{plain_take:?} {wrong_take:?} {burn:?} {unproved_take:?}");
    assert!(
        matches!(plain_take, Err(StoreError::Indeterminate(_)))
            && matches!(wrong_take, Err(StoreError::Indeterminate(_)))
            && matches!(burn, Err(StoreError::Indeterminate(_)))
            && matches!(unproved_take, Err(StoreError::Indeterminate(_))),
        "calls to a frozen server gave {shown}"
    );
    assert!(took <= CALL_BOUND, "the calls took {took:?}");
    let (sets, evalshas, evals) = (
        server.command_calls("set"),
        server.command_calls("evalsha"),
        server.command_calls("eval"),
    );
    // Two SET … XX GET (the plain take, and the first step of the take
    // without a proof, whose script never went out) and two scripts (the
    // wrong-proof take and the burn), each exactly once.
    assert_eq!(
        (sets, evalshas, evals),
        (2, 2, 0),
        "(SET, EVALSHA, EVAL) counts: a timed-out operation was sent again"
    );
    // Each ran once, when the server woke: that is why a timeout has to be
    // Indeterminate rather than "try again".
    assert_eq!(
        store.take(&plain, None).await.expect("take"),
        TakeOutcome::NotFound
    );
    let counted = store
        .receipt(&wrong, &claim)
        .await
        .expect("receipt")
        .expect("kept");
    assert_eq!(
        (counted.state, counted.failed_attempts),
        (ReceiptState::Pending, 1),
        "the wrong proof was not counted exactly once"
    );
    assert_eq!(
        store
            .take(&wrong, Some(&random_proof()))
            .await
            .expect("take"),
        TakeOutcome::WrongPassphrase { attempts_left: 3 }
    );
    let burnt = store
        .receipt(&burned, &claim)
        .await
        .expect("receipt")
        .expect("kept");
    assert!(
        matches!(
            burnt.state,
            ReceiptState::Burned {
                reason: BurnReason::Sender,
                ..
            }
        ),
        "{burnt:?}"
    );
    // The take without a proof ran only its first step (refused: WRONGTYPE).
    let untouched = store
        .receipt(&unproved, &claim)
        .await
        .expect("receipt")
        .expect("kept");
    assert_eq!(
        (untouched.state, untouched.failed_attempts),
        (ReceiptState::Pending, 0)
    );
    assert_eq!(
        store.take(&unproved, Some(&proof)).await.expect("take"),
        TakeOutcome::Taken(b"guarded".to_vec())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_node_never_resends_a_timed_out_operation() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    timed_out_operations_run_once(&store, &server, |_| true, Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_never_resends_a_timed_out_operation() {
    let cluster = RedisCluster::start();
    let store = common::cluster_config(cluster.urls())
        .connect()
        .await
        .expect("connect");
    let ranges = cluster.slot_ranges();
    let target = 1;
    let on_target = |id: &SecretId| ranges[target].contains_key(&store.key_for(id));
    let elsewhere = (0..10_000)
        .map(|_| random_id())
        .filter(|id| !on_target(id))
        .take(300)
        .collect();
    timed_out_operations_run_once(&store, &cluster.nodes()[target], on_target, elsewhere).await;
}
