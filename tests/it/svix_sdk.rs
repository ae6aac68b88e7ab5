//! The SDK adapter against the Svix-compatible fake: each call works, each failure is classified.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use webhook_outbox::svix::{NewMessage, SdkClient, Svix, SvixError};

use crate::svix_fake::SvixFake;

fn client(fake: &SvixFake) -> SdkClient {
    SdkClient::new(&SecretString::from(SvixFake::TOKEN), Some(fake.url()))
}

fn message(event_id: &str) -> NewMessage {
    NewMessage { event_id: event_id.into(), event_type: "custom.event".into(), payload: json!({"n": 1}) }
}

#[tokio::test]
async fn an_application_is_got_or_created_by_uid() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);

    let first = svix.get_or_create_app("org-1", "Acme").await.unwrap();
    let again = svix.get_or_create_app("org-1", "Acme").await.unwrap();

    assert_eq!(first, again);
    assert_eq!(fake.apps().len(), 1);
    assert_eq!(fake.apps()[0].name, "Acme");
}

#[tokio::test]
async fn a_message_is_created_and_found_again_by_its_event_id() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let app = svix.get_or_create_app("org-1", "org-1").await.unwrap();

    let id = svix.create_message(&app, &message("evt-1")).await.unwrap();

    assert!(id.starts_with("msg_"));
    assert_eq!(svix.find_message(&app, "evt-1").await.unwrap(), id);
    assert_eq!(fake.messages()[0].payload, json!({"n": 1}));
}

#[tokio::test]
async fn a_repeated_event_id_is_a_conflict() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let app = svix.get_or_create_app("org-1", "org-1").await.unwrap();
    svix.create_message(&app, &message("evt-1")).await.unwrap();

    let err = svix.create_message(&app, &message("evt-1")).await.unwrap_err();
    assert!(matches!(err, SvixError::Conflict(_)), "{err:?}");
    assert_eq!(fake.message_count(), 1);
}

#[tokio::test]
async fn failures_are_classified_for_the_retry_policy() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let app = svix.get_or_create_app("org-1", "org-1").await.unwrap();

    fake.fail_next(1, 429);
    let rate_limited = svix.create_message(&app, &message("a")).await.unwrap_err();
    fake.fail_next(1, 503);
    let unavailable = svix.create_message(&app, &message("b")).await.unwrap_err();
    fake.fail_next(1, 400);
    let bad_request = svix.create_message(&app, &message("c")).await.unwrap_err();

    assert_eq!(rate_limited, SvixError::RateLimited);
    assert!(rate_limited.is_retryable());
    assert!(matches!(unavailable, SvixError::Server { status: 503, .. }) && unavailable.is_retryable());
    assert!(matches!(bad_request, SvixError::Rejected { status: 400, .. }) && !bad_request.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_a_retryable_transport_error() {
    let svix = SdkClient::new(&SecretString::from(SvixFake::TOKEN), Some("http://127.0.0.1:1".into()));
    let err = svix.get_or_create_app("org-1", "org-1").await.unwrap_err();
    assert!(matches!(err, SvixError::Transport(_)) && err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_rejected_token_is_unauthorized_and_check_token_says_so() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    assert_eq!(svix.check_token().await, Ok(()));

    fake.set_accepted_token(Some("another"));
    assert_eq!(svix.check_token().await, Err(SvixError::Unauthorized { status: 401 }));
}

#[tokio::test]
async fn attempts_come_with_the_endpoint_status_and_body() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let app = svix.get_or_create_app("org-1", "org-1").await.unwrap();
    fake.add_endpoint("org-1", "https://example.com/hook");
    let msg = svix.create_message(&app, &message("evt-1")).await.unwrap();

    let attempts = svix.list_attempts(&app, &msg).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, 200);
    assert_eq!(attempts[0].response, "{\"ok\":true}");
    assert_eq!(attempts[0].status_text, "success");
}

#[tokio::test]
async fn app_portal_access_and_event_types_work() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let app = svix.get_or_create_app("org-1", "org-1").await.unwrap();

    let access = svix.app_portal_access(&app).await.unwrap();
    assert!(!access.url.is_empty() && !access.token.is_empty());
    svix.upsert_event_type("sandbox.created", "A sandbox was created.", &json!({"type": "object"}))
        .await
        .unwrap();
    svix.upsert_event_type("sandbox.created", "Updated.", &json!({"type": "object"})).await.unwrap();
}

#[tokio::test]
async fn a_slow_server_times_out_within_the_request_timeout() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    let app = svix.get_or_create_app("org-1", "org-1").await.unwrap();
    fake.set_latency(Duration::from_millis(50));
    // Latency under the timeout is just latency.
    assert!(svix.create_message(&app, &message("slow")).await.is_ok());
}
