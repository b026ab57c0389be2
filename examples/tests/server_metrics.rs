//! The built `oneshot-server` with `--metrics-listen`: after a known set of
//! creates, takes and not-founds (and one request shed past
//! `--max-in-flight`), every counter on `/metrics` matches exactly; the API
//! listener does not serve `/metrics`.

mod common {
    pub(crate) mod api;
    pub(crate) mod bin;
}

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed};
use common::bin::{address_in, command, start, start_reading, stop_and_read_stderr};
use tokio::io::AsyncWriteExt;

/// The samples of a scrape, by name with labels.
async fn scrape(api: &Api, url: &str) -> HashMap<String, f64> {
    let response = api.http.get(url).send().await.expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("{l}"));
            (
                name.to_owned(),
                value.parse().unwrap_or_else(|_| panic!("{l}")),
            )
        })
        .collect()
}

fn assert_samples(samples: &HashMap<String, f64>, expected: &[(&str, f64)]) {
    for (name, value) in expected {
        assert_eq!(samples.get(*name), Some(value), "{name} in {samples:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_match_what_was_done_and_only_the_metrics_listener_serves_them() {
    let args = ["--metrics-listen", "127.0.0.1:0", "--max-in-flight", "1"];
    let mut command = command(&args, "info");
    command.stderr(Stdio::piped());
    let (mut child, lines) = start_reading(command, 2).await;
    let base = address_in(&lines[0]);
    assert!(lines[1].contains("metrics at"), "{lines:?}");
    let metrics = address_in(&lines[1]);
    assert!(metrics.ends_with("/metrics"), "{metrics}");
    assert_ne!(metrics, format!("{base}/metrics"), "its own listener");
    let api = Api::new(&base);

    let before = scrape(&api, &metrics).await;
    assert_samples(
        &before,
        &[
            ("oneshot_http_requests_in_flight", 0.0),
            ("oneshot_http_requests_shed_total", 0.0),
        ],
    );
    assert!(
        !before
            .keys()
            .any(|k| k.starts_with("oneshot_http_requests_total"))
    );

    let secrets = [sealed(b"one"), sealed(b"two"), sealed(b"three")];
    for s in &secrets {
        assert_eq!(api.create(s, None).await.0, 201);
    }
    assert_eq!(api.create(&secrets[0], None).await.0, 409);
    for s in &secrets[..2] {
        let (status, taken) = api.take(&s.claim).await;
        assert_eq!(status, 200, "{taken}");
        let envelope = Base64UrlUnpadded::decode_vec(taken["envelope"].as_str().unwrap()).unwrap();
        assert!(oneshot_core::open(&s.key, &envelope).is_ok());
    }
    assert_eq!(api.take(&secrets[0].claim).await.0, 404, "already taken");
    assert_eq!(
        api.take(&sealed(b"never").claim).await.0,
        404,
        "never stored"
    );
    let main = api
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404, "the API listener has no /metrics");

    // A create whose body never comes holds the one slot: the next is shed.
    let host = base.trim_start_matches("http://");
    let mut slow = tokio::net::TcpStream::connect(host).await.unwrap();
    slow.write_all(
        b"POST /api/v1/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    while scrape(&api, &metrics).await["oneshot_http_requests_in_flight"] < 1.0 {
        assert!(
            Instant::now() < until,
            "the slow create is in flight within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = api.create(&sealed(b"shed"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("busy")),
        "{body}"
    );

    let after = scrape(&api, &metrics).await;
    let requests = |route: &str, status: u16| {
        format!("oneshot_http_requests_total{{route=\"{route}\",status=\"{status}\"}}")
    };
    let store = |op: &str, outcome: &str| {
        format!("oneshot_store_operations_total{{op=\"{op}\",outcome=\"{outcome}\"}}")
    };
    let expected = [
        (requests("/api/v1/secrets", 201), 3.0),
        (requests("/api/v1/secrets", 409), 1.0),
        (requests("/api/v1/secrets", 503), 1.0),
        (requests("/api/v1/secrets/take", 200), 2.0),
        (requests("/api/v1/secrets/take", 404), 2.0),
        (requests("(no route)", 404), 1.0),
        (store("put", "stored"), 3.0),
        (store("put", "already_exists"), 1.0),
        (store("take", "taken"), 2.0),
        (store("take", "not_found"), 2.0),
        (
            "oneshot_store_operation_seconds_count{op=\"put\"}".to_owned(),
            4.0,
        ),
        (
            "oneshot_store_operation_seconds_count{op=\"take\"}".to_owned(),
            4.0,
        ),
        ("oneshot_http_requests_in_flight".to_owned(), 1.0),
        ("oneshot_http_requests_shed_total".to_owned(), 1.0),
    ];
    let expected: Vec<(&str, f64)> = expected.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_samples(&after, &expected);
    let counted = |prefix: &str| after.keys().filter(|k| k.starts_with(prefix)).count();
    assert_eq!(
        counted("oneshot_http_requests_total"),
        6,
        "no other route or status: {after:#?}"
    );
    assert_eq!(
        counted("oneshot_store_operations_total"),
        4,
        "no other outcome: {after:#?}"
    );
    let take_seconds = after["oneshot_store_operation_seconds_sum{op=\"take\"}"];
    assert!(take_seconds > 0.0 && take_seconds < 5.0, "{take_seconds}");

    drop(slow);
    let logs = String::from_utf8(stop_and_read_stderr(&mut child).await).unwrap();
    assert!(logs.contains("metrics=Some("), "{logs}");
}

/// Without `--metrics-listen` there is no metrics listener, and the API
/// listener has no `/metrics` either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_by_default() {
    let mut command = command(&[], "info");
    command.stderr(Stdio::piped());
    let (mut child, line, base) = start(command).await;
    assert!(!line.contains("metrics"), "{line}");
    let api = Api::new(&base);
    let main = api
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
    let logs = String::from_utf8(stop_and_read_stderr(&mut child).await).unwrap();
    assert!(logs.contains("metrics=None"), "{logs}");
}
