//! The OpenAPI document: the committed `openapi.json` is what the code generates, it is valid
//! OpenAPI 3.1 whose every `$ref` resolves, it lists the seven webhooks, and every path it
//! documents is served.

use serde_json::Value;
use webhook_outbox::api::openapi::document;

use crate::support::{ADMIN_TOKEN, TestDb, spawn_app};

fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match item {
                    Value::String(target) if key == "$ref" => found.push(target),
                    other => refs(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[test]
fn the_committed_openapi_json_is_the_generated_one() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("openapi.json at the repository root");

    let generated = format!("{:#}\n", document());

    assert!(
        committed == generated,
        "openapi.json is stale: run `cargo run -- openapi > openapi.json` and commit it"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_every_ref_resolves() {
    let doc = document();

    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 10);
    for target in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {target}"));
        assert!(doc.pointer(pointer).is_some(), "$ref {target} does not resolve");
    }
}

#[test]
fn the_document_lists_the_seven_webhooks_with_catalogue_schemas() {
    let doc = document();

    let webhooks = doc["webhooks"].as_object().unwrap();
    let catalogue = webhook_outbox::events::catalogue();
    assert_eq!(webhooks.len(), 7);
    for event in catalogue {
        let schema_ref = webhooks[event.name]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap();
        let schema = doc.pointer(schema_ref.strip_prefix('#').unwrap()).unwrap();
        assert_eq!(schema["properties"]["event"]["const"], event.name);
        assert_eq!(schema["required"], event.schema["required"]);
    }
}

#[test]
fn every_operation_declares_its_error_bodies_and_protected_ones_need_bearer() {
    let doc = document();

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let protected = path.contains("/organizations/");
            let security = operation.get("security").is_some();
            assert_eq!(security, protected, "{method} {path}: bearer security iff under /organizations/");
            if protected {
                for status in ["401", "403"] {
                    assert!(operation["responses"].get(status).is_some(), "{method} {path} lacks {status}");
                }
            }
        }
    }
}

#[tokio::test]
async fn every_documented_route_is_served_and_openapi_json_serves_the_document() {
    let db = TestDb::new().await;
    let app = spawn_app(&db, None).await;
    let doc = document();

    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{organizationId}", "org-1").replace("{messageId}", "m-1");
        for method in item.as_object().unwrap().keys() {
            let reply = app.request(&method.to_uppercase(), &concrete, Some(ADMIN_TOKEN), None).await;

            assert_ne!(reply.status, 405, "{method} {path}");
            assert!(
                !reply.text().contains("no route"),
                "{method} {path} is documented but not routed: {}",
                reply.text()
            );
        }
    }
    assert_eq!(app.get("/openapi.json", None).await.json(), doc);
}
