//! Conformance tests for the Svix fake: the real `svix` 2.9.1 SDK must decode every answer (or see
//! the same error) exactly as against svix-server, so tests built on the fake mean something.

use std::time::Duration;

use serde_json::json;
use svix::api::{MessageAttemptListByMsgOptions, MessageCreateOptions, MessageGetOptions, Svix, SvixOptions};
use svix::error::Error;
use svix::models::{
    AppPortalAccessIn, ApplicationIn, EndpointIn, EventTypeImportOpenApiIn, EventTypeIn, EventTypePatch,
    EventTypeUpsertIn, MessageIn, MessageOut,
};

use super::svix_fake::{Scope, SvixFake};

fn client(fake: &SvixFake) -> Svix {
    client_with(fake, SvixFake::TOKEN, None)
}

/// The SDK's own retries are off, as in the project: every call is one request.
fn client_with(fake: &SvixFake, token: &str, timeout: Option<Duration>) -> Svix {
    let options = SvixOptions {
        server_url: Some(fake.url()),
        num_retries: Some(0),
        timeout: timeout.or(Some(Duration::from_secs(5))),
        ..Default::default()
    };
    Svix::new(token.into(), Some(options))
}

fn org(uid: &str) -> ApplicationIn {
    ApplicationIn { uid: Some(uid.into()), ..ApplicationIn::new(format!("Org {uid}")) }
}

fn event(event_id: &str) -> MessageIn {
    let mut msg = MessageIn::new("invoice.paid".into(), json!({ "amount": 42 }));
    msg.event_id = Some(event_id.into());
    msg
}

fn http_status(result: Result<impl std::fmt::Debug, Error>) -> u16 {
    match result {
        Err(Error::Http(e)) => e.status.as_u16(),
        other => panic!("expected Error::Http, got {other:?}"),
    }
}

/// Creates app `org-1` and sends `evt-1` to it.
async fn sent_message(svix: &Svix) -> MessageOut {
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    svix.message().create("org-1".into(), event("evt-1"), None).await.unwrap()
}

#[tokio::test]
async fn get_or_create_answers_201_then_200_with_the_same_id() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let first = svix.application().get_or_create(org("org-1"), None).await.unwrap();
    let second = svix.application().get_or_create(org("org-1"), None).await.unwrap();
    assert_eq!(first.id, second.id);
    assert!(first.id.starts_with("app_"));
    assert_eq!(first.uid.as_deref(), Some("org-1"));
    assert_eq!((fake.responses_with_status(201), fake.responses_with_status(200)), (1, 1));
    let fetched = svix.application().get("org-1".into()).await.unwrap();
    assert_eq!(fetched.id, first.id);
}

#[tokio::test]
async fn creating_an_app_with_a_taken_uid_answers_409() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().create(org("org-1"), None).await.unwrap();
    assert_eq!(http_status(svix.application().create(org("org-1"), None).await), 409);
}

#[tokio::test]
async fn a_created_message_decodes_and_is_stored() {
    let fake = SvixFake::start().await;
    let msg = sent_message(&client(&fake)).await;
    assert!(msg.id.starts_with("msg_"));
    assert_eq!(msg.event_id.as_deref(), Some("evt-1"));
    assert_eq!(msg.payload, json!({}), "the SDK asks for with_content=false");
    let stored = fake.messages();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].app_uid.as_deref(), stored[0].id.as_str()), (Some("org-1"), &*msg.id));
    assert_eq!(stored[0].payload, json!({ "amount": 42 }));
}

#[tokio::test]
async fn a_repeated_event_id_answers_409_conflict() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    sent_message(&svix).await;
    let again = svix.message().create("org-1".into(), event("evt-1"), None).await;
    match again {
        Err(Error::Http(e)) => {
            assert_eq!(e.status.as_u16(), 409);
            assert_eq!(e.payload.unwrap().code, "conflict");
        }
        other => panic!("expected a 409, got {other:?}"),
    }
    assert_eq!((fake.message_count(), fake.responses_with_status(409)), (1, 1));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_cached_message() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    let options = || MessageCreateOptions { idempotency_key: Some("idem-1".into()), ..Default::default() };
    let (app, msg) = ("org-1".to_owned(), event("evt-1"));
    let first = svix.message().create(app.clone(), msg.clone(), Some(options())).await.unwrap();
    let second = svix.message().create(app, msg, Some(options())).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(fake.message_count(), 1);
}

#[tokio::test]
async fn a_message_can_be_fetched_by_its_event_id() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let sent = sent_message(&svix).await;
    let with_content = Some(MessageGetOptions { with_content: Some(true) });
    let (app, key) = ("org-1".to_owned(), "evt-1".to_owned());
    let got = svix.message().get(app, key, with_content).await.unwrap();
    assert_eq!((got.id, got.payload), (sent.id, json!({ "amount": 42 })));
    let missing = svix.message().get("org-1".into(), "evt-2".into(), None).await;
    assert_eq!(http_status(missing), 404);
}

#[tokio::test]
async fn attempts_are_listed_by_msg_id_and_by_event_id() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    let endpoint = EndpointIn::new("http://127.0.0.1:9/hook".into());
    let ep = svix.endpoint().create("org-1".into(), endpoint, None).await.unwrap();
    let msg = svix.message().create("org-1".into(), event("evt-1"), None).await.unwrap();
    for key in [msg.id.clone(), "evt-1".to_owned()] {
        let list = svix.message_attempt().list_by_msg("org-1".into(), key, None).await.unwrap();
        assert_eq!(list.data.len(), 1);
        let attempt = &list.data[0];
        assert!(attempt.id.starts_with("atmpt_"));
        assert_eq!((&attempt.msg_id, &attempt.endpoint_id), (&msg.id, &ep.id));
        assert_eq!((attempt.response_status_code, attempt.response.as_str()), (200, "{}"));
    }
}

#[tokio::test]
async fn attempt_bodies_are_shown_only_with_content_and_limit_is_honored() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    fake.add_endpoint("org-1", "http://127.0.0.1:9/hook");
    fake.insert_message("org-1", "evt-1", "invoice.paid", json!({}));
    fake.record_attempt("org-1", "evt-1", 500, "boom").unwrap();
    let options =
        MessageAttemptListByMsgOptions { with_content: Some(true), limit: Some(1), ..Default::default() };
    let (app, key) = ("org-1".to_owned(), "evt-1".to_owned());
    let list = svix.message_attempt().list_by_msg(app, key, Some(options)).await.unwrap();
    assert_eq!((list.data.len(), list.done), (1, false));
    assert_eq!((list.data[0].response.as_str(), list.data[0].response_status_code), ("boom", 500));
}

#[tokio::test]
async fn app_portal_access_decodes_and_unknown_apps_answer_404() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    let portal = |app: &str| {
        let svix = svix.clone();
        let app = app.to_owned();
        async move { svix.authentication().app_portal_access(app, AppPortalAccessIn::new(), None).await }
    };
    let access = portal("org-1").await.unwrap();
    assert!(access.url.contains(&access.token));
    assert_eq!(http_status(portal("nope").await), 404);
}

#[tokio::test]
async fn event_types_can_be_created_upserted_patched_and_listed() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let created = EventTypeIn::new("invoice.paid".into(), "Paid".into());
    assert!(!svix.event_type().create(created, None).await.unwrap().deprecated);
    let upsert = EventTypeUpsertIn::new("Paid!".into());
    let upserted = svix.event_type().upsert("invoice.paid".into(), upsert).await.unwrap();
    assert_eq!(upserted.description, "Paid!");
    let patch = EventTypePatch { deprecated: Some(true), ..EventTypePatch::new() };
    assert!(svix.event_type().patch("invoice.paid".into(), patch).await.unwrap().deprecated);
    let fetched = svix.event_type().get("invoice.paid".into()).await.unwrap();
    assert_eq!((fetched.description.as_str(), fetched.deprecated), ("Paid!", true));
    svix.event_type().upsert("invoice.sent".into(), EventTypeUpsertIn::new("Sent".into())).await.unwrap();
    assert_eq!(svix.event_type().list(None).await.unwrap().data.len(), 2);
}

#[tokio::test]
async fn a_duplicate_event_type_answers_409_and_a_bad_name_422() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let et = || EventTypeIn::new("invoice.paid".into(), "Paid".into());
    svix.event_type().create(et(), None).await.unwrap();
    match svix.event_type().create(et(), None).await {
        Err(Error::Http(e)) => assert_eq!(e.payload.unwrap().code, "event_type_exists"),
        other => panic!("expected a 409, got {other:?}"),
    }
    let bad = EventTypeIn::new("bad name!".into(), "x".into());
    match svix.event_type().create(bad, None).await {
        Err(Error::Validation(e)) => assert_eq!(e.payload.unwrap().detail[0].loc[1], "name"),
        other => panic!("expected a 422, got {other:?}"),
    }
}

#[tokio::test]
async fn uids_and_event_ids_are_validated_as_svix_server_does() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    let refused_field = |result: Result<_, Error>| match result {
        Err(Error::Validation(e)) => e.payload.unwrap().detail[0].loc[1].clone(),
        other => panic!("expected a 422, got {other:?}"),
    };

    let app_prefix = svix.application().get_or_create(org("app_1"), None).await.map(|_| ());
    let bad_app = svix.application().get_or_create(org("org 1"), None).await.map(|_| ());
    let msg_prefix = svix.message().create("org-1".into(), event("msg_1"), None).await.map(|_| ());
    let bad_event = svix.message().create("org-1".into(), event("evt:1"), None).await.map(|_| ());

    assert_eq!(refused_field(app_prefix), "uid");
    assert_eq!(refused_field(bad_app), "uid");
    assert_eq!(refused_field(msg_prefix), "eventId");
    assert_eq!(refused_field(bad_event), "eventId");
    assert_eq!(fake.message_count(), 0);
}

#[tokio::test]
async fn a_bad_or_revoked_token_answers_401() {
    let fake = SvixFake::start().await;
    let wrong = client_with(&fake, "testsk_wrong", None);
    assert_eq!(http_status(wrong.application().get_or_create(org("org-1"), None).await), 401);
    let svix = client(&fake);
    fake.set_accepted_token(None);
    assert_eq!(http_status(svix.application().get_or_create(org("org-1"), None).await), 401);
    fake.set_accepted_token(Some(SvixFake::TOKEN));
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
}

#[tokio::test]
async fn fail_next_429_answers_http_429_then_recovers() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    fake.fail_next(1, 429);
    let limited = svix.message().create("org-1".into(), event("evt-1"), None).await;
    assert_eq!(http_status(limited), 429);
    assert_eq!(fake.message_count(), 0);
    svix.message().create("org-1".into(), event("evt-1"), None).await.unwrap();
}

#[tokio::test]
async fn fail_next_on_all_requests_hits_any_route() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    fake.fail_next_in(Scope::AllRequests, 1, 500);
    assert_eq!(http_status(svix.application().get_or_create(org("org-1"), None).await), 500);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
}

#[tokio::test]
async fn a_failure_rate_of_one_fails_every_message_create() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    fake.set_failure_rate(1.0, 502);
    for id in ["evt-1", "evt-2"] {
        assert_eq!(http_status(svix.message().create("org-1".into(), event(id), None).await), 502);
    }
    fake.clear_faults();
    svix.message().create("org-1".into(), event("evt-1"), None).await.unwrap();
}

#[tokio::test]
async fn an_outage_answers_503_until_it_ends() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    fake.outage_for(Duration::from_millis(300), 503);
    assert_eq!(http_status(svix.health().get().await), 503);
    tokio::time::sleep(Duration::from_millis(350)).await;
    svix.health().get().await.unwrap();
}

#[tokio::test]
async fn accept_then_fail_stores_the_message_and_the_retry_gets_409() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    fake.accept_then_fail_next(1, 500);
    let lost = svix.message().create("org-1".into(), event("evt-1"), None).await;
    assert_eq!(http_status(lost), 500);
    assert_eq!(fake.message_count(), 1);
    let retry = svix.message().create("org-1".into(), event("evt-1"), None).await;
    assert_eq!(http_status(retry), 409);
}

#[tokio::test]
async fn accept_then_hang_times_the_client_out_but_stores_the_message() {
    let fake = SvixFake::start().await;
    let svix = client_with(&fake, SvixFake::TOKEN, Some(Duration::from_millis(200)));
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    fake.accept_then_hang_next(1, Duration::from_secs(1));
    let hung = svix.message().create("org-1".into(), event("evt-1"), None).await;
    assert!(matches!(hung, Err(Error::Timeout { .. })), "got {hung:?}");
    assert!(fake.find_message("org-1", "evt-1").is_some());
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let fake = SvixFake::start().await;
    fake.set_latency(Duration::from_millis(150));
    let started = std::time::Instant::now();
    client(&fake).health().get().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_message_to_an_unknown_app_answers_404() {
    let fake = SvixFake::start().await;
    let sent = client(&fake).message().create("nope".into(), event("evt-1"), None).await;
    match sent {
        Err(Error::Http(e)) => assert_eq!(e.payload.unwrap().detail, "Application not found"),
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_routes_answer_404_without_a_body() {
    let fake = SvixFake::start().await;
    let import = EventTypeImportOpenApiIn::new();
    match client(&fake).event_type().import_openapi(import, None).await {
        Err(Error::Http(e)) => assert_eq!((e.status.as_u16(), e.payload.is_none()), (404, true)),
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn seeded_messages_conflict_with_later_creates() {
    let fake = SvixFake::start().await;
    let seeded = fake.insert_message("org-1", "evt-1", "invoice.paid", json!({ "amount": 1 }));
    let svix = client(&fake);
    let again = svix.message().create("org-1".into(), event("evt-1"), None).await;
    assert_eq!(http_status(again), 409);
    let got = svix.message().get("org-1".into(), "evt-1".into(), None).await.unwrap();
    assert_eq!(got.id, seeded);
}

#[tokio::test]
async fn a_stopped_fake_refuses_connections_and_can_restart_on_its_port() {
    let fake = SvixFake::start().await;
    let addr = fake.addr();
    let svix = client(&fake);
    svix.health().get().await.unwrap();
    fake.stop().await;
    assert!(matches!(svix.health().get().await, Err(Error::Generic(_))));
    let _fake = SvixFake::start_on(addr).await.unwrap();
    svix.health().get().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn three_concurrent_clients_create_thousands_of_messages() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.application().get_or_create(org("org-1"), None).await.unwrap();
    let clients = (0..3).map(|c| {
        let svix = svix.clone();
        tokio::spawn(async move {
            for i in 0..700 {
                let msg = event(&format!("evt-{c}-{i}"));
                svix.message().create("org-1".into(), msg, None).await.unwrap();
            }
        })
    });
    for client in clients.collect::<Vec<_>>() {
        client.await.unwrap();
    }
    assert_eq!(fake.message_count(), 2100);
}

#[tokio::test]
async fn an_injected_429_carries_retry_after() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fake = SvixFake::start().await;
    fake.fail_next_in(Scope::AllRequests, 1, 429);
    fake.set_retry_after(7);
    // the SDK hides response headers, so speak HTTP directly
    let mut conn = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    let request = "GET /api/v1/health HTTP/1.1\r\nhost: fake\r\nconnection: close\r\n\r\n";
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.to_lowercase().contains("retry-after: 7"), "{answer}");
}
