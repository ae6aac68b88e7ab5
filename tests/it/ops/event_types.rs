//! `event-types sync`: every catalogue event type reaches Svix with its description and schema.

use webhook_outbox::events::catalogue;
use webhook_outbox::ops::event_types::sync;
use webhook_outbox::svix::{SdkClient, Svix};

use super::{cli, stderr, stdout};
use crate::support::TestDb;
use crate::svix_fake::SvixFake;

fn client(fake: &SvixFake) -> SdkClient {
    SdkClient::new(&SvixFake::TOKEN.to_owned().into(), Some(fake.url()))
}

#[tokio::test]
async fn sync_creates_every_catalogue_type_with_its_description_and_schema() {
    let fake = SvixFake::start().await;
    let mut seen = Vec::new();

    let synced = sync(&client(&fake), |name| seen.push(name.to_owned())).await.expect("sync");

    let catalogue = catalogue();
    assert_eq!(synced, catalogue.len());
    assert_eq!(seen, catalogue.iter().map(|e| e.name).collect::<Vec<_>>());
    let stored = fake.event_types();
    assert_eq!(stored.len(), catalogue.len());
    for entry in catalogue {
        let found = stored.iter().find(|t| t["name"] == entry.name).expect(entry.name);
        assert_eq!(found["description"], entry.description);
        assert_eq!(found["schemas"]["1"], entry.schema, "{}", entry.name);
    }
}

#[tokio::test]
async fn sync_updates_a_type_that_exists_with_other_text() {
    let fake = SvixFake::start().await;
    let svix = client(&fake);
    svix.upsert_event_type("sandbox.created", "stale", &serde_json::json!({})).await.unwrap();

    sync(&svix, |_| {}).await.expect("sync");

    let stored = fake.event_types();
    let sandbox = stored.iter().find(|t| t["name"] == "sandbox.created").unwrap();
    assert_eq!(sandbox["description"], "A sandbox was created.");
    assert_eq!(sandbox["schemas"]["1"]["required"].as_array().map(Vec::len), Some(7));
}

#[tokio::test]
async fn a_refused_token_stops_the_sync_saying_what_to_check() {
    let fake = SvixFake::start().await;
    fake.set_accepted_token(None);

    let error = sync(&client(&fake), |_| {}).await.expect_err("the token is refused");

    assert!(format!("{error:#}").contains("check SVIX_AUTH_TOKEN"), "{error:#}");
    assert!(fake.event_types().is_empty());
}

#[tokio::test]
async fn the_binary_syncs_against_svix_and_prints_each_type() {
    let (db, fake) = (TestDb::new().await, SvixFake::start().await);
    let url = fake.url();

    let output = cli(
        &db,
        &["event-types", "sync"],
        &[("SVIX_AUTH_TOKEN", SvixFake::TOKEN), ("SVIX_SERVER_URL", &url)],
    )
    .await;

    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    for entry in catalogue() {
        assert!(printed.contains(&format!("synced {}", entry.name)), "{printed}");
    }
    assert_eq!(fake.event_types().len(), catalogue().len());
}

#[tokio::test]
async fn the_binary_without_a_svix_token_or_with_an_empty_one_says_how_to_set_it() {
    let db = TestDb::new().await;

    let unset = cli(&db, &["event-types", "sync"], &[]).await;
    // What compose's `${SVIX_AUTH_TOKEN:-}` passes when no token was generated yet.
    let empty = cli(&db, &["event-types", "sync"], &[("SVIX_AUTH_TOKEN", "")]).await;

    for output in [unset, empty] {
        assert!(!output.status.success());
        let error = stderr(&output);
        assert!(error.contains("SVIX_AUTH_TOKEN is not set: pass --svix-auth-token"), "{error}");
    }
}
