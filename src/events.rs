//! The event catalogue: the seven webhook events, their payload types and states, and their JSON Schemas.
//!
//! Every payload is a JSON object with camelCase fields, times as ISO-8601 UTC with milliseconds
//! (`2025-01-01T00:00:00.000Z`), plus `event` (its type) and `timestamp` (when it was built).

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Times are written as JavaScript's `toISOString()` does, which is what the service we replace sent.
mod iso8601 {
    use super::*;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(at))
    }

    pub fn format(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($variant),+ }
    };
}

state_enum!(
    /// A sandbox's lifecycle state.
    SandboxState {
        Creating, Restoring, Destroyed, Destroying, Started, Stopped, Starting, Stopping, Error,
        BuildFailed, PendingBuild, BuildingSnapshot, Unknown, PullingSnapshot, Archived, Archiving,
        Resizing,
    }
);
state_enum!(
    /// A sandbox's size class.
    SandboxClass { Small, Medium, Large }
);
state_enum!(
    /// A snapshot's lifecycle state.
    SnapshotState { Building, Pending, Pulling, Active, Inactive, Error, BuildFailed, Removing }
);
state_enum!(
    /// A volume's lifecycle state.
    VolumeState { Creating, Ready, PendingCreate, PendingDelete, Deleting, Deleted, Error }
);

/// `sandbox.created`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxCreated {
    pub id: String,
    pub organization_id: String,
    pub state: SandboxState,
    pub class: SandboxClass,
    #[serde(serialize_with = "iso8601::serialize")]
    pub created_at: DateTime<Utc>,
}

/// `sandbox.state.updated`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStateUpdated {
    pub id: String,
    pub organization_id: String,
    pub old_state: SandboxState,
    pub new_state: SandboxState,
    #[serde(serialize_with = "iso8601::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// `snapshot.created`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotCreated {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    pub state: SnapshotState,
    #[serde(serialize_with = "iso8601::serialize")]
    pub created_at: DateTime<Utc>,
}

/// `snapshot.state.updated`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotStateUpdated {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    pub old_state: SnapshotState,
    pub new_state: SnapshotState,
    #[serde(serialize_with = "iso8601::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// `snapshot.removed`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotRemoved {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    #[serde(serialize_with = "iso8601::serialize")]
    pub removed_at: DateTime<Utc>,
}

/// `volume.created`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeCreated {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    pub state: VolumeState,
    #[serde(serialize_with = "iso8601::serialize")]
    pub created_at: DateTime<Utc>,
}

/// `volume.state.updated`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeStateUpdated {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    pub old_state: VolumeState,
    pub new_state: VolumeState,
    #[serde(serialize_with = "iso8601::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// One of the catalogue's events. Serialises with its type in `event`, next to its fields.
///
/// ```
/// use webhook_outbox::events::{Event, SandboxClass, SandboxCreated, SandboxState};
/// let event = Event::SandboxCreated(SandboxCreated {
///     id: "sb-1".into(),
///     organization_id: "org-1".into(),
///     state: SandboxState::Started,
///     class: SandboxClass::Small,
///     created_at: "2025-01-01T00:00:00Z".parse().unwrap(),
/// });
/// let payload = event.payload_at("2025-01-01T00:00:01Z".parse().unwrap());
/// assert_eq!(payload["event"], "sandbox.created");
/// assert_eq!(payload["createdAt"], "2025-01-01T00:00:00.000Z");
/// assert_eq!(payload["timestamp"], "2025-01-01T00:00:01.000Z");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum Event {
    #[serde(rename = "sandbox.created")]
    SandboxCreated(SandboxCreated),
    #[serde(rename = "sandbox.state.updated")]
    SandboxStateUpdated(SandboxStateUpdated),
    #[serde(rename = "snapshot.created")]
    SnapshotCreated(SnapshotCreated),
    #[serde(rename = "snapshot.state.updated")]
    SnapshotStateUpdated(SnapshotStateUpdated),
    #[serde(rename = "snapshot.removed")]
    SnapshotRemoved(SnapshotRemoved),
    #[serde(rename = "volume.created")]
    VolumeCreated(VolumeCreated),
    #[serde(rename = "volume.state.updated")]
    VolumeStateUpdated(VolumeStateUpdated),
}

impl Event {
    /// The event type, e.g. `sandbox.created`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::SandboxCreated(_) => "sandbox.created",
            Event::SandboxStateUpdated(_) => "sandbox.state.updated",
            Event::SnapshotCreated(_) => "snapshot.created",
            Event::SnapshotStateUpdated(_) => "snapshot.state.updated",
            Event::SnapshotRemoved(_) => "snapshot.removed",
            Event::VolumeCreated(_) => "volume.created",
            Event::VolumeStateUpdated(_) => "volume.state.updated",
        }
    }

    /// The organization the event belongs to.
    pub fn organization_id(&self) -> &str {
        match self {
            Event::SandboxCreated(e) => &e.organization_id,
            Event::SandboxStateUpdated(e) => &e.organization_id,
            Event::SnapshotCreated(e) => &e.organization_id,
            Event::SnapshotStateUpdated(e) => &e.organization_id,
            Event::SnapshotRemoved(e) => &e.organization_id,
            Event::VolumeCreated(e) => &e.organization_id,
            Event::VolumeStateUpdated(e) => &e.organization_id,
        }
    }

    /// The webhook payload, stamped with the current time.
    pub fn payload(&self) -> Value {
        self.payload_at(Utc::now())
    }

    /// The webhook payload with `timestamp` set to `at` (deterministic, for tests and replays).
    pub fn payload_at(&self, at: DateTime<Utc>) -> Value {
        // Serialising plain structs of strings, enums and times cannot fail.
        let mut payload = serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Default::default()));
        if let Value::Object(map) = &mut payload {
            map.insert("timestamp".into(), Value::String(iso8601::format(&at)));
        }
        payload
    }
}

/// A catalogue entry: an event type, what it means, and the JSON Schema of its payload.
#[derive(Debug, Clone)]
pub struct EventTypeInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub schema: Value,
}

/// Adds the `event` and `timestamp` fields every payload carries to a struct's generated schema.
fn payload_schema<T: JsonSchema>(event_type: &str) -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            props.insert(
                "event".into(),
                serde_json::json!({ "type": "string", "const": event_type, "description": "The event type." }),
            );
            props.insert(
                "timestamp".into(),
                serde_json::json!({ "type": "string", "format": "date-time", "description": "When the payload was built." }),
            );
        }
        if let Some(Value::Array(required)) = map.get_mut("required") {
            required.push("event".into());
            required.push("timestamp".into());
        }
    }
    schema
}

/// Every event of the catalogue with its payload schema, in a stable order.
pub fn catalogue() -> Vec<EventTypeInfo> {
    fn entry<T: JsonSchema>(name: &'static str, description: &'static str) -> EventTypeInfo {
        EventTypeInfo { name, description, schema: payload_schema::<T>(name) }
    }
    vec![
        entry::<SandboxCreated>("sandbox.created", "A sandbox was created."),
        entry::<SandboxStateUpdated>("sandbox.state.updated", "A sandbox changed state."),
        entry::<SnapshotCreated>("snapshot.created", "A snapshot was created."),
        entry::<SnapshotStateUpdated>("snapshot.state.updated", "A snapshot changed state."),
        entry::<SnapshotRemoved>("snapshot.removed", "A snapshot was removed."),
        entry::<VolumeCreated>("volume.created", "A volume was created."),
        entry::<VolumeStateUpdated>("volume.state.updated", "A volume changed state."),
    ]
}

/// The longest event type accepted.
pub const MAX_EVENT_TYPE_LEN: usize = 256;

/// Whether `name` is a valid event type: `^[a-zA-Z0-9_.-]{1,256}$`.
pub fn is_valid_event_type(name: &str) -> bool {
    (1..=MAX_EVENT_TYPE_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}
