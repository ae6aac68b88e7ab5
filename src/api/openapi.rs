//! The OpenAPI 3.1 document, generated from the handlers' annotations, plus a `webhooks`
//! section with every catalogue event's payload schema (utoipa 5 cannot express webhooks, so
//! they are added to the generated JSON).

use serde_json::{Map, Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{error, messages, ops, webhooks};
use crate::events;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "webhook-outbox",
        description = "Delivery state of webhook events written through a transactional outbox, and access to Svix.\n\nAuth: `Authorization: Bearer <token>`. Admin tokens (`API_TOKENS`) may call every route; organization keys (`webhook-outbox api-key create`) may call their own organization's app-portal-access and read routes."
    ),
    paths(
        webhooks::app_portal_access,
        webhooks::send,
        webhooks::attempts,
        webhooks::status,
        messages::list,
        messages::show,
        messages::retry,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        ops::openapi,
    ),
    components(schemas(error::ErrorBody, messages::MessageStatus)),
    modifiers(&BearerAuth),
    tags(
        (name = "webhooks", description = "The routes of the service webhook-outbox replaces, same paths and shapes."),
        (name = "messages", description = "Delivery state from the outbox table."),
        (name = "operations", description = "Health, readiness, metrics and this document; no auth."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An admin token from API_TOKENS or an organization key (wok_…)."))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The whole document as JSON, as served at `/openapi.json` and printed by `webhook-outbox openapi`.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    add_webhooks(&mut doc);
    doc
}

/// One `webhooks` entry per catalogue event: a POST whose body is the payload schema. The
/// schemas go to `components/schemas` (with their `$defs`, refs rewritten) so every `$ref`
/// resolves within this document.
fn add_webhooks(doc: &mut Value) {
    let mut webhooks = Map::new();
    let mut schemas = Map::new();
    for event in events::catalogue() {
        let (name, schema) = hoist_defs(event.name, event.schema, &mut schemas);
        schemas.insert(name.clone(), schema);
        webhooks.insert(event.name.to_owned(), webhook(event.name, event.description, &name));
    }
    let Some(root) = doc.as_object_mut() else { return };
    let components = root.entry("components").or_insert_with(|| json!({}));
    if let Some(Value::Object(existing)) =
        components.as_object_mut().map(|c| c.entry("schemas").or_insert_with(|| json!({})))
    {
        existing.extend(schemas);
    }
    root.insert("webhooks".into(), Value::Object(webhooks));
}

/// Names the payload schema after its title (`SandboxCreated` → `SandboxCreatedPayload`), moves
/// its `$defs` into `schemas`, and points `#/$defs/X` refs at `#/components/schemas/X`.
fn hoist_defs(event_type: &str, mut schema: Value, schemas: &mut Map<String, Value>) -> (String, Value) {
    let title = schema.get("title").and_then(Value::as_str).map(str::to_owned);
    let name = format!("{}Payload", title.unwrap_or_else(|| event_type.replace('.', "_")));
    if let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|s| s.remove("$defs")) {
        for (def_name, mut def) in defs {
            rewrite_refs(&mut def);
            schemas.insert(def_name, def);
        }
    }
    rewrite_refs(&mut schema);
    (name, schema)
}

fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(target) if key == "$ref" => {
                        if let Some(rest) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{rest}");
                        }
                    }
                    other => rewrite_refs(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

fn webhook(event_type: &str, description: &str, schema_name: &str) -> Value {
    json!({
        "post": {
            "operationId": format!("webhook_{}", event_type.replace('.', "_")),
            "summary": event_type,
            "description": format!("{description} Svix posts this payload to the organization's endpoints."),
            "tags": ["events"],
            "requestBody": {
                "required": true,
                "content": {
                    "application/json": {
                        "schema": { "$ref": format!("#/components/schemas/{schema_name}") }
                    }
                }
            },
            "responses": {
                "200": { "description": "Any 2xx status acknowledges the webhook; others make Svix retry." }
            }
        }
    })
}
