//! Redis Cluster key slots: the slot a key hashes to, and the slots a node
//! serves. Tests use these to pick keys on (or off) a given node.

/// How many slots a Redis Cluster has.
pub const SLOTS: u16 = 16384;

/// The slot of `key`, as Redis Cluster computes it: CRC16/XMODEM mod 16384 of
/// the key's hash tag if it has one, else of the whole key.
///
/// The hash tag (cluster spec, "Hash tags") is what lies between the first
/// `{` and the first `}` after it, if that is not empty: `a{b}c` and `{b}` share
/// a slot, while `a{}{b}` hashes whole and `a{{b}}` hashes `{b`.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16_xmodem(hash_tag(key).unwrap_or(key)) % SLOTS
}

fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&b| b == b'{')?;
    let after = key.get(open + 1..)?;
    let close = after.iter().position(|&b| b == b'}')?;
    after.get(..close).filter(|tag| !tag.is_empty())
}

/// CRC16/XMODEM (polynomial 0x1021, initial value 0), the cluster's hash.
fn crc16_xmodem(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The slots one node serves, as inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotRanges(Vec<(u16, u16)>);

impl SlotRanges {
    /// The ranges at the end of a `CLUSTER NODES` line (`0-5460 7000`);
    /// migration entries (`[slot->-id]`, `[slot-<-id]`) are not served yet,
    /// or no longer, and are left out.
    pub fn from_nodes_line(line: &str) -> Self {
        Self(
            line.split_whitespace()
                .skip(8)
                .filter_map(|range| {
                    let (start, end) = range.split_once('-').unwrap_or((range, range));
                    Some((start.parse().ok()?, end.parse().ok()?))
                })
                .collect(),
        )
    }

    /// The ranges of the node that gave this `CLUSTER NODES` output (its
    /// `myself` line).
    pub fn of_myself(cluster_nodes: &str) -> Self {
        let myself = cluster_nodes
            .lines()
            .find(|l| l.contains("myself"))
            .expect("CLUSTER NODES lists myself");
        Self::from_nodes_line(myself)
    }

    /// Whether `slot` is in one of the ranges.
    pub fn contains(&self, slot: u16) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&slot))
    }

    /// Whether `key`'s slot ([`key_slot`]) is in one of the ranges.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.contains(key_slot(key))
    }

    /// Whether the node serves no slot at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many slots the ranges cover.
    pub fn len(&self) -> usize {
        self.0
            .iter()
            .map(|&(a, b)| usize::from(b.saturating_sub(a)) + 1)
            .sum()
    }

    /// The ranges, inclusive, in `CLUSTER NODES` order.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::server::RedisServer;

    #[test]
    fn slot_ranges_parse() {
        let line = "id 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-5460 7000 [8000-<-abc]";
        let ranges = SlotRanges::from_nodes_line(line);
        assert!(ranges.contains(0) && ranges.contains(5460) && ranges.contains(7000));
        assert!(!ranges.contains(5461) && !ranges.contains(8000));
        assert_eq!(ranges.ranges(), &[(0, 5460), (7000, 7000)]);
        assert_eq!(ranges.len(), 5462);
        let other = "id2 127.0.0.1:3@4 master - 0 0 2 connected 5461-6999";
        assert_eq!(SlotRanges::of_myself(&format!("{other}\n{line}\n")), ranges);
        assert!(
            SlotRanges::from_nodes_line("id 127.0.0.1:5@6 master - 0 0 3 connected").is_empty()
        );
    }

    #[test]
    fn known_slots_and_hash_tags() {
        // The CRC16/XMODEM check value of "123456789" is 0x31C3.
        assert_eq!(key_slot(b"123456789"), 0x31C3);
        // From the Redis docs (CLUSTER KEYSLOT) and the cluster spec.
        assert_eq!(key_slot(b"somekey"), 11058);
        assert_eq!(key_slot(b"foo{hash_tag}"), 2515);
        assert_eq!(key_slot(b"{hash_tag}"), 2515);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"{user1000}.followers"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16_xmodem(b"foo{}{bar}") % SLOTS);
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        // oneshot-redis: a secret's key and its envelope key share a slot.
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            key_slot(format!("oneshot:{{{id}}}").as_bytes()),
            key_slot(format!("oneshot:{{{id}}}:e").as_bytes())
        );
        assert_eq!(
            key_slot(format!("oneshot:{{{id}}}").as_bytes()),
            key_slot(id.as_bytes())
        );
    }

    /// Keys of every shape: plain, oneshot-redis's old and current keys, hash tags
    /// well-formed and not, binary.
    fn sample_keys() -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = [
            "",
            "a",
            "foo",
            "bar",
            "somekey",
            "123456789",
            "{",
            "}",
            "{}",
            "}{",
            "{{}}",
            "{a",
            "a}",
            "{a}",
            "x{a}y",
            "{}{a}",
            "{a}{b}",
            "foo{}{bar}",
            "foo{{bar}}zap",
            "foo{bar}{zap}",
            "{user1000}.following",
            "{user1000}.followers",
            "ключ{тег}",
            "oneshot:{}",
        ]
        .iter()
        .map(|k| k.as_bytes().to_vec())
        .collect();
        keys.push(vec![0xff, 0x00, b'{', 0x80, b'}', 0x01]);
        keys.push(vec![b'{', 0xfe, b'}']);
        // Deterministic "random" ids (an LCG): no extra dependency.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10 {
            let mut id = String::new();
            for _ in 0..2 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                id.push_str(&format!("{state:016x}"));
            }
            keys.push(format!("oneshot:{id}").into_bytes());
            keys.push(format!("oneshot:{{{id}}}").into_bytes());
            keys.push(format!("oneshot:{{{id}}}:e").into_bytes());
        }
        keys
    }

    /// `CLUSTER KEYSLOT` of each key, pipelined over one RESP connection
    /// (redis-cli arguments cannot carry arbitrary bytes).
    fn server_key_slots(port: u16, keys: &[Vec<u8>]) -> Vec<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut request = Vec::new();
        for key in keys {
            request.extend_from_slice(b"*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n");
            request.extend_from_slice(format!("${}\r\n", key.len()).as_bytes());
            request.extend_from_slice(key);
            request.extend_from_slice(b"\r\n");
        }
        stream.write_all(&request).expect("send");
        let mut replies = BufReader::new(stream);
        keys.iter()
            .map(|key| {
                let mut line = String::new();
                replies.read_line(&mut line).expect("reply");
                line.trim_end()
                    .strip_prefix(':')
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("CLUSTER KEYSLOT {key:?}: {line:?}"))
            })
            .collect()
    }

    #[test]
    fn key_slot_agrees_with_cluster_keyslot() {
        let server = RedisServer::start_with(&["--cluster-enabled", "yes"]);
        let keys = sample_keys();
        assert!(keys.len() >= 50, "{} keys", keys.len());
        let expected = server_key_slots(server.port(), &keys);
        for (key, expected) in keys.iter().zip(expected) {
            assert_eq!(
                key_slot(key),
                expected,
                "key {:?}",
                String::from_utf8_lossy(key)
            );
        }
    }
}
