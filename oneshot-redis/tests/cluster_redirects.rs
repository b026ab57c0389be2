//! A slot in migration: the source node answers ASK, and the store follows it
//! with ASKING + the command on the target (the cluster client's own
//! redirect-following is off, because it would also re-send after timeouts).

mod common;

use std::time::Duration;

use oneshot_core::SecretStore;
use oneshot_core::testkit::random_id;
use oneshot_redis_harness::key_slot;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_redirects_during_a_migration_are_followed() {
    let cluster = common::shared_cluster();
    let store = common::cluster_store(&cluster).await;
    let ranges = cluster.slot_ranges();
    let (source, target) = (0, 1);
    let owned_by_source = |slot: u16| ranges[source].contains(slot);
    let (id, slot) = (0..200_000)
        .map(|_| random_id())
        .map(|id| {
            let slot = key_slot(&store.key_for(&id));
            (id, slot)
        })
        .find(|(_, slot)| owned_by_source(*slot))
        .expect("an id on the source node");
    let slot_arg = slot.to_string();
    let source_node = &cluster.nodes()[source];
    let target_node = &cluster.nodes()[target];
    let source_id = source_node.cli(&["cluster", "myid"]);
    let target_id = target_node.cli(&["cluster", "myid"]);
    target_node.cli(&["cluster", "setslot", &slot_arg, "importing", &source_id]);
    source_node.cli(&["cluster", "setslot", &slot_arg, "migrating", &target_id]);

    // The key does not exist on the source, so the put is sent on with ASK.
    store
        .put_with_ttl(&id, b"in transit", Duration::from_secs(60))
        .await
        .expect("put during migration");
    assert_eq!(
        target_node.cli(&["cluster", "countkeysinslot", &slot_arg]),
        "1",
        "the put did not land on the importing node"
    );
    assert_eq!(
        store
            .take(&id)
            .await
            .expect("take during migration")
            .as_deref(),
        Some(&b"in transit"[..])
    );
    assert_eq!(store.take(&id).await.expect("second take"), None);

    for node in [source_node, target_node] {
        node.cli(&["cluster", "setslot", &slot_arg, "stable"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_path_works_on_a_cluster_even_after_script_flush() {
    let cluster = common::shared_cluster();
    let store = common::cluster_config(cluster.urls())
        .take_mode(oneshot_redis::TakeMode::Script)
        .connect()
        .await
        .expect("connect");
    assert_eq!(store.take_mode(), oneshot_redis::TakeMode::Script);
    for round in 0..2 {
        for node in cluster.nodes() {
            node.cli(&["script", "flush"]);
        }
        // Ids across all three masters: EVALSHA is routed by its key.
        for _ in 0..12 {
            let id = random_id();
            store
                .put_with_ttl(&id, b"scripted", Duration::from_secs(60))
                .await
                .expect("put");
            assert_eq!(
                store.take(&id).await.expect("take").as_deref(),
                Some(&b"scripted"[..]),
                "round {round}"
            );
            assert_eq!(store.take(&id).await.expect("second take"), None);
        }
    }
}
