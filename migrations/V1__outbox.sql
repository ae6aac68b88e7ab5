-- The transactional outbox: producers insert rows in their own transactions, relays deliver them
-- to Svix. Everything here is public: producers in any language and DBAs read and write it directly.

create table webhook_outbox (
    id               uuid        primary key default gen_random_uuid(),
    organization_id  text        not null,
    event_type       text        not null,
    payload          jsonb       not null,
    event_id         text,
    status           text        not null default 'pending',
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    svix_message_id  text,
    last_error       text,
    created_at       timestamptz not null default now(),
    delivered_at     timestamptz,
    leased_by        text,
    lease_token      uuid,
    -- A delivering row's lease ends when it becomes due again, so one index serves both the
    -- "pending and due" and the "lease expired" halves of the claim query.
    lease_expires_at timestamptz generated always as
        (case when status = 'delivering' then next_attempt_at end) stored,

    constraint webhook_outbox_status_check
        check (status in ('pending', 'delivering', 'delivered', 'failed')),
    -- organization_id and event_id become Svix uids: Svix refuses any other alphabet, and uids
    -- that look like its own ids (app_…, msg_…).
    constraint webhook_outbox_organization_id_check
        check (organization_id ~ '^[a-zA-Z0-9_.-]+$' and length(organization_id) <= 256
               and organization_id not like 'app\_%'),
    constraint webhook_outbox_event_type_check
        check (event_type ~ '^[a-zA-Z0-9_.-]+$' and length(event_type) <= 256),
    constraint webhook_outbox_payload_check
        check (jsonb_typeof(payload) = 'object'),
    constraint webhook_outbox_event_id_check
        check (event_id is null or (event_id ~ '^[a-zA-Z0-9_.-]+$' and length(event_id) <= 256
                                    and event_id not like 'msg\_%')),
    constraint webhook_outbox_delivered_check
        check (status <> 'delivered' or (svix_message_id is not null and delivered_at is not null))
);

-- Serves the relay's claim: due rows in due order, skipping delivered and failed history.
create index webhook_outbox_due_idx on webhook_outbox (next_attempt_at)
    where status in ('pending', 'delivering');

-- Serve the failures view, replays, the failed gauge and `purge --older-than` (which deletes old
-- delivered, and optionally failed, rows in batches) without scanning the whole table.
create index webhook_outbox_failed_idx on webhook_outbox (created_at) where status = 'failed';
create index webhook_outbox_delivered_idx on webhook_outbox (created_at) where status = 'delivered';

-- The caller's idempotency key: one row per (organization, event_id).
create unique index webhook_outbox_event_id_key on webhook_outbox (organization_id, event_id)
    where event_id is not null;

-- Serves the API's per-organization listing (newest first, keyset on created_at, id).
create index webhook_outbox_organization_idx on webhook_outbox (organization_id, created_at desc, id desc);

-- Serves lookups by Svix message id (the API accepts msg_… ids).
create index webhook_outbox_svix_message_id_idx on webhook_outbox (svix_message_id)
    where svix_message_id is not null;

comment on table webhook_outbox is
    'Transactional outbox of webhook events: insert a row in the transaction that changes state; a relay delivers it to Svix exactly once.';
comment on column webhook_outbox.id is 'The event''s id; sent to Svix as eventId when event_id is null.';
comment on column webhook_outbox.organization_id is 'The organization the event belongs to; the uid of its Svix application, so ^[a-zA-Z0-9_.-]{1,256}$ and not app_….';
comment on column webhook_outbox.event_type is 'Event type, e.g. sandbox.created; must match ^[a-zA-Z0-9_.-]{1,256}$.';
comment on column webhook_outbox.payload is 'The JSON object sent to Svix as the message payload.';
comment on column webhook_outbox.event_id is 'Optional idempotency key chosen by the producer, unique per organization; sent to Svix as eventId, so ^[a-zA-Z0-9_.-]{1,256}$ and not msg_….';
comment on column webhook_outbox.status is 'pending (waiting), delivering (leased by a relay), delivered (Svix has it) or failed (gave up; replayable).';
comment on column webhook_outbox.attempts is 'Hand-offs to Svix tried so far (counted when a relay claims the row).';
comment on column webhook_outbox.next_attempt_at is 'Not claimed before this; for a delivering row, when its lease expires.';
comment on column webhook_outbox.svix_message_id is 'Svix''s msg_… id, once delivered.';
comment on column webhook_outbox.last_error is 'The last delivery failure, readable by a person.';
comment on column webhook_outbox.created_at is 'When the producer wrote the row.';
comment on column webhook_outbox.delivered_at is 'When Svix accepted the message.';
comment on column webhook_outbox.leased_by is 'The relay instance that claimed the row last (for people; not used for correctness).';
comment on column webhook_outbox.lease_token is 'Token of the claim that holds the row; outcomes are written only by the holder (compare-and-set).';
comment on column webhook_outbox.lease_expires_at is 'For a delivering row, when its lease expires and another relay may claim it.';

-- Wakes relays when producers commit: a statement-level trigger sends one notification per
-- inserting statement, and PostgreSQL delivers it only if the transaction commits.
create function webhook_outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('webhook_outbox', '');
    return null;
end;
$$;

comment on function webhook_outbox_notify() is 'Sends NOTIFY webhook_outbox after rows are inserted; relays LISTEN on that channel.';

create trigger webhook_outbox_notify after insert on webhook_outbox
    for each statement execute function webhook_outbox_notify();

create table webhook_organizations (
    id          text        primary key,
    name        text        not null,
    svix_app_id text,
    last_error  text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),

    constraint webhook_organizations_id_check
        check (id ~ '^[a-zA-Z0-9_.-]+$' and length(id) <= 256 and id not like 'app\_%'),
    constraint webhook_organizations_name_check check (length(name) between 1 and 256)
);

comment on table webhook_organizations is 'Organizations and their Svix applications (one application per organization).';
comment on column webhook_organizations.id is 'The organization id; the uid of its Svix application.';
comment on column webhook_organizations.name is 'Display name given to the Svix application.';
comment on column webhook_organizations.svix_app_id is 'Svix''s app_… id once the application exists.';
comment on column webhook_organizations.last_error is 'The last failure creating or reading the Svix application.';
comment on column webhook_organizations.created_at is 'When the organization was registered.';
comment on column webhook_organizations.updated_at is 'When the row last changed.';

create table webhook_outbox_attempts (
    id              bigint      generated always as identity primary key,
    outbox_id       uuid        not null references webhook_outbox (id) on delete cascade,
    attempt         integer     not null,
    relay           text        not null,
    started_at      timestamptz not null,
    duration_ms     integer     not null,
    outcome         text        not null,
    http_status     integer,
    error           text,
    svix_message_id text,

    constraint webhook_outbox_attempts_outcome_check
        check (outcome in ('delivered', 'duplicate', 'retry', 'failed'))
);

create index webhook_outbox_attempts_outbox_idx on webhook_outbox_attempts (outbox_id, started_at);

comment on table webhook_outbox_attempts is 'One row per hand-off of an outbox row to Svix, written by the relay.';
comment on column webhook_outbox_attempts.id is 'Surrogate key.';
comment on column webhook_outbox_attempts.outbox_id is 'The outbox row handed off.';
comment on column webhook_outbox_attempts.attempt is 'The row''s attempts count for this hand-off (1 for the first).';
comment on column webhook_outbox_attempts.relay is 'The relay instance that made the attempt.';
comment on column webhook_outbox_attempts.started_at is 'When the hand-off started.';
comment on column webhook_outbox_attempts.duration_ms is 'How long the hand-off took, in milliseconds.';
comment on column webhook_outbox_attempts.outcome is 'delivered, duplicate (Svix had it already: 409, its id recorded), retry (will be tried again) or failed (gave up).';
comment on column webhook_outbox_attempts.http_status is 'The HTTP status Svix answered, if it answered.';
comment on column webhook_outbox_attempts.error is 'The failure, readable by a person.';
comment on column webhook_outbox_attempts.svix_message_id is 'The Svix message id recorded by this attempt, if any.';

create view webhook_outbox_backlog as
select status,
       count(*)             as events,
       min(created_at)      as oldest_created_at,
       min(next_attempt_at) as next_attempt_at
from webhook_outbox
group by status;

comment on view webhook_outbox_backlog is 'Events per status, with the oldest of each; the DBA''s first look.';
comment on column webhook_outbox_backlog.status is 'The status counted.';
comment on column webhook_outbox_backlog.events is 'How many rows have that status.';
comment on column webhook_outbox_backlog.oldest_created_at is 'The oldest row''s created_at in that status.';
comment on column webhook_outbox_backlog.next_attempt_at is 'The earliest next_attempt_at in that status.';

create view webhook_outbox_oldest_pending as
select count(*)                        as undelivered,
       min(created_at)                 as oldest_created_at,
       coalesce(now() - min(created_at), interval '0') as oldest_age
from webhook_outbox
where status in ('pending', 'delivering');

comment on view webhook_outbox_oldest_pending is 'How far behind delivery is: the age of the oldest undelivered event (0 when none).';
comment on column webhook_outbox_oldest_pending.undelivered is 'Rows pending or delivering.';
comment on column webhook_outbox_oldest_pending.oldest_created_at is 'created_at of the oldest undelivered row.';
comment on column webhook_outbox_oldest_pending.oldest_age is 'now() minus that; alert when it grows.';

create view webhook_outbox_failures as
select o.id,
       o.organization_id,
       o.event_type,
       o.event_id,
       o.attempts,
       o.last_error,
       o.created_at,
       a.http_status as last_http_status,
       a.started_at  as last_attempt_at
from webhook_outbox o
left join lateral (
    select http_status, started_at
    from webhook_outbox_attempts
    where outbox_id = o.id
    order by started_at desc
    limit 1
) a on true
where o.status = 'failed';

comment on view webhook_outbox_failures is 'Rows that gave up, with their last error and HTTP status; replay them with webhook-outbox replay.';
comment on column webhook_outbox_failures.id is 'The outbox row.';
comment on column webhook_outbox_failures.organization_id is 'Its organization.';
comment on column webhook_outbox_failures.event_type is 'Its event type.';
comment on column webhook_outbox_failures.event_id is 'Its idempotency key, if any.';
comment on column webhook_outbox_failures.attempts is 'Hand-offs tried.';
comment on column webhook_outbox_failures.last_error is 'Why it failed.';
comment on column webhook_outbox_failures.created_at is 'When it was written.';
comment on column webhook_outbox_failures.last_http_status is 'The HTTP status of the last attempt, if Svix answered.';
comment on column webhook_outbox_failures.last_attempt_at is 'When the last attempt started.';

create table webhook_api_keys (
    id              uuid        primary key default gen_random_uuid(),
    organization_id text        not null,
    key_hash        bytea       not null unique,
    key_prefix      text        not null,
    description     text,
    created_at      timestamptz not null default now(),
    revoked_at      timestamptz,

    constraint webhook_api_keys_organization_id_check check (length(organization_id) between 1 and 256)
);

create index webhook_api_keys_organization_idx on webhook_api_keys (organization_id);

comment on table webhook_api_keys is 'Organization API keys: each may read its own organization''s delivery state and open its app portal.';
comment on column webhook_api_keys.id is 'The key''s id, used to revoke it.';
comment on column webhook_api_keys.organization_id is 'The one organization the key may access.';
comment on column webhook_api_keys.key_hash is 'SHA-256 of the secret key; the key itself is shown once at creation and never stored.';
comment on column webhook_api_keys.key_prefix is 'The first characters of the key, so a person can tell keys apart.';
comment on column webhook_api_keys.description is 'What the key is for, as given at creation.';
comment on column webhook_api_keys.created_at is 'When the key was created.';
comment on column webhook_api_keys.revoked_at is 'When the key was revoked; a revoked key is refused.';
