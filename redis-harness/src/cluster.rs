//! [`RedisCluster`]: three cluster-enabled [`RedisServer`]s joined by
//! `redis-cli --cluster create`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::binaries::require_binary;
use crate::server::RedisServer;
use crate::slots::SlotRanges;

/// A Redis Cluster of three masters (no replicas) on free ports.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Three masters, slots spread by `redis-cli --cluster create`, with
    /// `cluster-require-full-coverage no` so that losing one master leaves the
    /// others serving their slots.
    pub fn start() -> Self {
        require_binary("redis-cli");
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-node-timeout",
                    "2000",
                    "--cluster-require-full-coverage",
                    "no",
                ])
            })
            .collect();
        let addrs: Vec<String> = nodes.iter().map(RedisServer::addr).collect();
        let output = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("run redis-cli --cluster create");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = Self { nodes };
        cluster.wait_until_ok(Duration::from_secs(20));
        cluster
    }

    /// `redis://127.0.0.1:<port>/` for every node: the seed list for a client.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The nodes, in creation order.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// One node, for fault injection.
    pub fn node_mut(&mut self, index: usize) -> &mut RedisServer {
        &mut self.nodes[index]
    }

    /// The slots each node serves, in node order, from each node's own line
    /// in its `CLUSTER NODES`. Every node must be running.
    pub fn slot_ranges(&self) -> Vec<SlotRanges> {
        self.nodes
            .iter()
            .map(|node| SlotRanges::of_myself(&node.cli(&["cluster", "nodes"])))
            .collect()
    }

    /// The index of the node that serves `key`'s slot (per `CLUSTER KEYSLOT`
    /// and `CLUSTER NODES`, asked of the live nodes).
    pub fn node_for_key(&self, key: &str) -> usize {
        let asker = self
            .nodes
            .iter()
            .find(|n| n.pid().is_some())
            .expect("a live node");
        let slot: u16 = asker
            .cli(&["cluster", "keyslot", key])
            .parse()
            .expect("numeric slot");
        for (index, node) in self.nodes.iter().enumerate() {
            if node.pid().is_none() {
                continue;
            }
            if SlotRanges::of_myself(&node.cli(&["cluster", "nodes"])).contains(slot) {
                return index;
            }
        }
        panic!("no live node owns slot {slot}");
    }

    fn wait_until_ok(&self, deadline: Duration) {
        let until = Instant::now() + deadline;
        loop {
            let all_ok = self.nodes.iter().all(|n| {
                n.cli(&["cluster", "info"])
                    .lines()
                    .any(|l| l.trim() == "cluster_state:ok")
            });
            if all_ok {
                return;
            }
            assert!(
                Instant::now() < until,
                "cluster did not reach cluster_state:ok within {deadline:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slots::SLOTS;

    #[test]
    fn cluster_of_three_masters_serves_every_slot() {
        let cluster = RedisCluster::start();
        assert_eq!(cluster.urls().len(), 3);
        let owners: std::collections::BTreeSet<usize> = ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .map(|k| cluster.node_for_key(k))
            .collect();
        assert!(
            owners.len() > 1,
            "all keys on one node: slots were not spread"
        );
        let ranges = cluster.slot_ranges();
        assert_eq!(
            ranges.iter().map(SlotRanges::len).sum::<usize>(),
            usize::from(SLOTS),
            "{ranges:?}"
        );
        for key in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            assert!(ranges[cluster.node_for_key(key)].contains_key(key.as_bytes()));
        }
    }
}
