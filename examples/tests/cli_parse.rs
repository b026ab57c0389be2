//! Property tests of what the CLI parses from people: links, keys, server
//! URLs, lifetimes and whole command lines. Never a panic; errors are one
//! clear line that never repeats the key.

mod common {
    pub(crate) mod keys;
}

use clap::Parser;
use common::keys::{KEYS, key};
use oneshot_core::SecretId;
use oneshot_core::SecretKey;
use oneshot_core::link::LinkKey;
use oneshot_core::v2::{self, Flags, ReceiptKey};
use oneshot_examples::cli::{
    Cli, Command, exit, parse_open_target, parse_receipt_target, parse_server,
};
use oneshot_examples::ttl::{format_ttl, parse_ttl};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..120)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ".{0,120}",
        "(https?://[a-z0-9.:]{1,20}/[a-z/]{0,10})?#?[A-Za-z0-9_=+/-]{0,50}",
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn open_targets_never_panic_and_errors_are_clean(input in text(), server in prop::option::of(text())) {
        match parse_open_target(&input, server.as_deref()) {
            Ok(target) => {
                prop_assert!(matches!(target.take_url.scheme(), "http" | "https"));
                let path = match target.key {
                    LinkKey::V1(_) => "/api/v1/secrets/take",
                    _ => "/api/v2/secrets/take",
                };
                prop_assert!(target.take_url.path().ends_with(path));
            }
            Err(e) => {
                prop_assert_eq!(e.code, exit::USAGE);
                prop_assert!(!e.message.contains('\n'));
                prop_assert!(!e.message.is_empty());
                if let Some((_, fragment)) = input.split_once('#')
                    && fragment.trim().len() >= 12
                {
                    prop_assert!(!e.message.contains(fragment.trim()), "{}", e.message);
                }
            }
        }
    }

    #[test]
    fn links_round_trip(key in any::<[u8; 32]>(), host in "[a-z]{1,12}(\\.[a-z]{2,5})?", port in prop::option::of(1u16..), prefix in "(/[a-z0-9]{1,8}){0,2}", https in any::<bool>(), ws in "[ \t\n]{0,3}") {
        let scheme = if https { "https" } else { "http" };
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let server = format!("{scheme}://{host}{port}{prefix}");
        let key = SecretKey::from_bytes(key);
        let link = oneshot_core::link::build_link(&format!("{server}/s"), &key).unwrap();
        let target = parse_open_target(&format!("{ws}{}{ws}", link.as_str()), None).unwrap();
        prop_assert!(target.key == LinkKey::from(key.clone()));
        let base = parse_server(&server).unwrap();
        let expected = base.join("api/v1/secrets/take").unwrap();
        prop_assert_eq!(&target.take_url, &expected);
        // A bare key needs the server; with it, the same target.
        let bare = parse_open_target(key.to_b64u().as_str(), Some(&server)).unwrap();
        prop_assert!(bare.key == LinkKey::from(key.clone()));
        prop_assert_eq!(bare.take_url, target.take_url);
        prop_assert_eq!(parse_open_target(key.to_b64u().as_str(), None).unwrap_err().code, exit::USAGE);
    }

    #[test]
    fn v2_links_round_trip(key in any::<[u8; 32]>(), passphrase in any::<bool>(), host in "[a-z]{1,12}(\\.[a-z]{2,5})?", prefix in "(/[a-z0-9]{1,8}){0,2}", ws in "[ \t\n]{0,3}") {
        let flags = if passphrase { Flags::PASSPHRASE } else { Flags::NONE };
        let key = v2::SecretKey::from_bytes(key, flags);
        let server = format!("https://{host}{prefix}");
        let link = oneshot_core::link::build_link(&format!("{server}/s"), &key).unwrap();
        let target = parse_open_target(&format!("{ws}{}{ws}", link.as_str()), None).unwrap();
        prop_assert!(target.key == LinkKey::V2(key.clone()));
        prop_assert_eq!(target.key.needs_passphrase(), passphrase);
        let expected = parse_server(&server).unwrap().join("api/v2/secrets/take").unwrap();
        prop_assert_eq!(&target.take_url, &expected);
        let bare = parse_open_target(key.to_fragment().as_str(), Some(&server)).unwrap();
        prop_assert_eq!(bare.take_url, target.take_url);
    }

    #[test]
    fn receipt_links_round_trip(id in any::<[u8; 16]>(), r in any::<[u8; 32]>(), host in "[a-z]{1,12}(\\.[a-z]{2,5})?", prefix in "(/[a-z0-9]{1,8}){0,2}", slash in any::<bool>(), ws in "[ \t\n]{0,3}") {
        let id = SecretId::from_bytes(id);
        let key = ReceiptKey::from_bytes(r);
        let server = format!("https://{host}{prefix}{}", if slash { "/" } else { "" });
        let link = oneshot_core::link::build_receipt_link(&server, &id, &key).unwrap();
        prop_assert!(link.contains("/r#"));
        let target = parse_receipt_target(&format!("{ws}{}{ws}", link.as_str()), None).unwrap();
        prop_assert_eq!(target.id, id);
        prop_assert!(target.key == key);
        prop_assert_eq!(&target.base, &parse_server(&server).unwrap());
        let fragment = link.rsplit('#').next().unwrap().to_owned();
        let bare = parse_receipt_target(&fragment, Some(&server)).unwrap();
        prop_assert_eq!(bare.base, target.base);
        prop_assert_eq!(parse_receipt_target(&fragment, None).unwrap_err().code, exit::USAGE);
    }

    #[test]
    fn receipt_targets_never_panic_and_errors_are_clean(input in text(), server in prop::option::of(text())) {
        if let Err(e) = parse_receipt_target(&input, server.as_deref()) {
            prop_assert_eq!(e.code, exit::USAGE);
            prop_assert!(!e.message.contains('\n'));
            if let Some((_, fragment)) = input.split_once('#')
                && fragment.trim().len() >= 12
            {
                prop_assert!(!e.message.contains(fragment.trim()), "{}", e.message);
            }
        }
    }

    #[test]
    fn servers_never_panic(input in text()) {
        if let Ok(url) = parse_server(&input) {
            prop_assert!(url.path().ends_with('/'));
            prop_assert!(url.fragment().is_none());
        }
    }

    #[test]
    fn lifetimes_never_panic(input in text()) {
        if let Ok(ttl) = parse_ttl(&input) {
            prop_assert!(ttl.as_secs() > 0);
            prop_assert_eq!(parse_ttl(&format_ttl(ttl)).unwrap(), ttl);
        }
    }

    #[test]
    fn lifetimes_parse(n in 1u64..1_000_000, unit in prop::sample::select(vec![("s", 1u64), ("m", 60), ("h", 3600), ("d", 86_400), ("", 1)])) {
        let parsed = parse_ttl(&format!("{n}{}", unit.0));
        let secs = n * unit.1;
        if secs <= 100 * 365 * 86_400 {
            prop_assert_eq!(parsed.unwrap().as_secs(), secs);
        } else {
            prop_assert!(parsed.is_err());
        }
    }

    #[test]
    fn command_lines_never_panic(args in prop::collection::vec(prop_oneof![
        Just("share".to_owned()), Just("open".to_owned()), Just("status".to_owned()),
        Just("burn".to_owned()), Just("--ttl".to_owned()), Just("--server".to_owned()),
        Just("--help".to_owned()), Just("--json".to_owned()), Just("--file".to_owned()),
        Just("--passphrase".to_owned()), Just("--receipt-file".to_owned()), text()
    ], 0..5)) {
        let argv = std::iter::once("oneshot".to_owned()).chain(args);
        if let Err(e) = Cli::try_parse_from(argv) {
            // Usage errors exit 2 (help and version exit 0).
            prop_assert!(matches!(e.exit_code(), 0 | 2));
        }
    }
}

/// What `oneshot open …` was given: the LINK argument and `--server`.
fn open_args(argv: &[&str]) -> (Option<String>, Option<String>) {
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    match cli.command {
        Command::Open { link, server, .. } => (link, server),
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

/// A bare key is the LINK argument whatever it starts with (`-` one time in
/// 64, which clap once read as short flags), before or after `--server`
/// and after `--`.
#[test]
fn bare_keys_that_look_like_flags_are_keys() {
    const SERVER: &str = "https://host.example";
    for text in KEYS {
        for argv in [
            &["oneshot", "open", text, "--server", SERVER][..],
            &["oneshot", "open", "--server", SERVER, text],
            &["oneshot", "open", "--server", SERVER, "--", text],
        ] {
            let (link, server) = open_args(argv);
            assert_eq!(link.as_deref(), Some(text), "{argv:?}");
            assert_eq!(server.as_deref(), Some(SERVER), "{argv:?}");
            let target = parse_open_target(text, server.as_deref()).unwrap();
            assert!(target.key == LinkKey::from(key(text)), "{argv:?}");
        }
    }
    // No LINK, or `-`: the link comes from standard input.
    assert_eq!(open_args(&["oneshot", "open"]), (None, None));
    assert_eq!(open_args(&["oneshot", "open", "-"]).0.as_deref(), Some("-"));
    // Real flags stay flags.
    let help = Cli::try_parse_from(["oneshot", "open", "-h"]).unwrap_err();
    assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_bare_key_parses_as_the_link_argument(bytes in any::<[u8; 32]>(), server_first in any::<bool>()) {
        let text = SecretKey::from_bytes(bytes).to_b64u();
        let argv: Vec<&str> = if server_first {
            vec!["oneshot", "open", "--server", "http://h", text.as_str()]
        } else {
            vec!["oneshot", "open", text.as_str(), "--server", "http://h"]
        };
        let (link, server) = open_args(&argv);
        prop_assert_eq!(link.as_deref(), Some(text.as_str()));
        prop_assert_eq!(server.as_deref(), Some("http://h"));
    }
}

/// What `oneshot status …` (or `burn`) was given: the RECEIPT argument,
/// `--receipt-file` and `--server`.
fn receipt_args(argv: &[&str]) -> (Option<String>, Option<String>, Option<String>) {
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    match cli.command {
        Command::Status { receipt } | Command::Burn { receipt } => (
            receipt.receipt,
            receipt.receipt_file.map(|p| p.display().to_string()),
            receipt.server,
        ),
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

/// A bare receipt is the RECEIPT argument before or after `--server` and
/// after `--`; `-` or nothing means standard input; a file and an argument
/// together are refused.
#[test]
fn receipt_arguments_in_every_form() {
    const SERVER: &str = "https://host.example";
    let receipt = ReceiptKey::from_bytes([3; 32]).to_fragment(&SecretId::from_bytes([4; 16]));
    let receipt = receipt.as_str();
    for command in ["status", "burn"] {
        for argv in [
            &["oneshot", command, receipt, "--server", SERVER][..],
            &["oneshot", command, "--server", SERVER, receipt],
            &["oneshot", command, "--server", SERVER, "--", receipt],
            &["oneshot", command, "--json", "--server", SERVER, receipt],
        ] {
            let (arg, file, server) = receipt_args(argv);
            assert_eq!(arg.as_deref(), Some(receipt), "{argv:?}");
            assert_eq!((file, server.as_deref()), (None, Some(SERVER)), "{argv:?}");
            let target = parse_receipt_target(receipt, server.as_deref()).unwrap();
            assert_eq!(target.id, SecretId::from_bytes([4; 16]));
        }
        assert_eq!(receipt_args(&["oneshot", command]), (None, None, None));
        assert_eq!(
            receipt_args(&["oneshot", command, "-"]).0.as_deref(),
            Some("-")
        );
        let (_, file, _) = receipt_args(&["oneshot", command, "--receipt-file", "r.txt"]);
        assert_eq!(file.as_deref(), Some("r.txt"));
        let both = Cli::try_parse_from(["oneshot", command, receipt, "--receipt-file", "r"]);
        assert_eq!(both.unwrap_err().exit_code(), 2);
    }
}
