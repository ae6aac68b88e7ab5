//! The event catalogue: each event serialises to exactly the documented JSON.

use chrono::{DateTime, Utc};
use serde_json::json;
use webhook_outbox::events::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn built() -> DateTime<Utc> {
    at("2025-01-01T00:00:05Z")
}

#[test]
fn sandbox_created_serialises_as_documented() {
    let event = Event::SandboxCreated(SandboxCreated {
        id: "sandbox-uuid".into(),
        organization_id: "org-uuid".into(),
        state: SandboxState::Started,
        class: SandboxClass::Small,
        created_at: at("2025-01-01T00:00:00Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "sandbox.created", "timestamp": "2025-01-01T00:00:05.000Z", "id": "sandbox-uuid",
               "organizationId": "org-uuid", "state": "STARTED", "class": "SMALL", "createdAt": "2025-01-01T00:00:00.000Z"})
    );
}

#[test]
fn sandbox_state_updated_serialises_as_documented() {
    let event = Event::SandboxStateUpdated(SandboxStateUpdated {
        id: "sandbox-uuid".into(),
        organization_id: "org-uuid".into(),
        old_state: SandboxState::PendingBuild,
        new_state: SandboxState::BuildingSnapshot,
        updated_at: at("2025-01-01T00:00:00.123Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "sandbox.state.updated", "timestamp": "2025-01-01T00:00:05.000Z", "id": "sandbox-uuid",
               "organizationId": "org-uuid", "oldState": "PENDING_BUILD", "newState": "BUILDING_SNAPSHOT",
               "updatedAt": "2025-01-01T00:00:00.123Z"})
    );
}

#[test]
fn snapshot_created_serialises_as_documented() {
    let event = Event::SnapshotCreated(SnapshotCreated {
        id: "snapshot-uuid".into(),
        name: "my-snapshot".into(),
        organization_id: "org-uuid".into(),
        state: SnapshotState::Active,
        created_at: at("2025-01-01T00:00:00Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "snapshot.created", "timestamp": "2025-01-01T00:00:05.000Z", "id": "snapshot-uuid",
               "name": "my-snapshot", "organizationId": "org-uuid", "state": "ACTIVE", "createdAt": "2025-01-01T00:00:00.000Z"})
    );
}

#[test]
fn snapshot_state_updated_serialises_as_documented() {
    let event = Event::SnapshotStateUpdated(SnapshotStateUpdated {
        id: "snapshot-uuid".into(),
        name: "my-snapshot".into(),
        organization_id: "org-uuid".into(),
        old_state: SnapshotState::BuildFailed,
        new_state: SnapshotState::Removing,
        updated_at: at("2025-01-01T00:00:00Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "snapshot.state.updated", "timestamp": "2025-01-01T00:00:05.000Z", "id": "snapshot-uuid",
               "name": "my-snapshot", "organizationId": "org-uuid", "oldState": "BUILD_FAILED", "newState": "REMOVING",
               "updatedAt": "2025-01-01T00:00:00.000Z"})
    );
}

#[test]
fn snapshot_removed_serialises_as_documented() {
    let event = Event::SnapshotRemoved(SnapshotRemoved {
        id: "snapshot-uuid".into(),
        name: "my-snapshot".into(),
        organization_id: "org-uuid".into(),
        removed_at: at("2025-01-01T00:00:00Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "snapshot.removed", "timestamp": "2025-01-01T00:00:05.000Z", "id": "snapshot-uuid",
               "name": "my-snapshot", "organizationId": "org-uuid", "removedAt": "2025-01-01T00:00:00.000Z"})
    );
}

#[test]
fn volume_created_serialises_as_documented() {
    let event = Event::VolumeCreated(VolumeCreated {
        id: "volume-uuid".into(),
        name: "my-volume".into(),
        organization_id: "org-uuid".into(),
        state: VolumeState::PendingCreate,
        created_at: at("2025-01-01T00:00:00Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "volume.created", "timestamp": "2025-01-01T00:00:05.000Z", "id": "volume-uuid",
               "name": "my-volume", "organizationId": "org-uuid", "state": "PENDING_CREATE", "createdAt": "2025-01-01T00:00:00.000Z"})
    );
}

#[test]
fn volume_state_updated_serialises_as_documented() {
    let event = Event::VolumeStateUpdated(VolumeStateUpdated {
        id: "volume-uuid".into(),
        name: "my-volume".into(),
        organization_id: "org-uuid".into(),
        old_state: VolumeState::Creating,
        new_state: VolumeState::Ready,
        updated_at: at("2025-01-01T00:00:00Z"),
    });
    assert_eq!(
        event.payload_at(built()),
        json!({"event": "volume.state.updated", "timestamp": "2025-01-01T00:00:05.000Z", "id": "volume-uuid",
               "name": "my-volume", "organizationId": "org-uuid", "oldState": "CREATING", "newState": "READY",
               "updatedAt": "2025-01-01T00:00:00.000Z"})
    );
}

#[test]
fn every_state_serialises_in_upper_case() {
    let all =
        serde_json::to_value([SandboxState::Creating, SandboxState::PullingSnapshot, SandboxState::Resizing])
            .unwrap();
    assert_eq!(all, json!(["CREATING", "PULLING_SNAPSHOT", "RESIZING"]));
    let volume = serde_json::to_value([VolumeState::PendingDelete, VolumeState::Deleted]).unwrap();
    assert_eq!(volume, json!(["PENDING_DELETE", "DELETED"]));
}

#[test]
fn the_catalogue_has_the_seven_events_each_with_a_schema_requiring_its_fields() {
    let catalogue = catalogue();
    let names: Vec<_> = catalogue.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "sandbox.created",
            "sandbox.state.updated",
            "snapshot.created",
            "snapshot.state.updated",
            "snapshot.removed",
            "volume.created",
            "volume.state.updated"
        ]
    );
    let sandbox = &catalogue[0].schema;
    let required: Vec<&str> =
        sandbox["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for field in ["id", "organizationId", "state", "class", "createdAt", "event", "timestamp"] {
        assert!(required.contains(&field), "{field} not required in {sandbox}");
    }
    assert_eq!(sandbox["properties"]["event"]["const"], "sandbox.created");
}

#[test]
fn event_type_names_follow_the_custom_event_pattern() {
    assert!(is_valid_event_type("custom.event"));
    assert!(is_valid_event_type("A-z_0.9"));
    assert!(!is_valid_event_type(""));
    assert!(!is_valid_event_type("with space"));
    assert!(!is_valid_event_type(&"a".repeat(257)));
    assert!(is_valid_event_type(&"a".repeat(256)));
}
