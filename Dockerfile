# syntax=docker/dockerfile:1
# webhook-outbox: `serve` (relay + HTTP API) by default; every other subcommand runs the same way,
# e.g. `docker run --rm -e DATABASE_URL=… webhook-outbox status`.
# Build: docker build -t webhook-outbox .   (BuildKit, the default builder, for the cache mounts)

# ---- build -----------------------------------------------------------------------------------
# bookworm like the runtime stage: a binary linked against a newer glibc (the unsuffixed rust
# tag follows Debian's newest release) would not start on bookworm-slim. The full image, not
# -slim, brings the C compiler aws-lc-sys (rustls' crypto) needs.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# Queries are checked against the committed .sqlx/ data, so the build needs no database.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY migrations migrations
COPY src src
# The registry and target caches survive between builds, so a source change rebuilds our crate
# only; the binary is copied out because a cache mount is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin webhook-outbox \
    && install -D target/release/webhook-outbox /out/webhook-outbox

# ---- run -------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: Svix is reached over TLS, and the svix client trusts the OS root store.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A numeric, unprivileged user, so runAsNonRoot-style checks can verify it without /etc/passwd.
RUN groupadd --system --gid 10001 webhook-outbox \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin webhook-outbox
COPY --from=build /out/webhook-outbox /usr/local/bin/webhook-outbox
USER 10001:10001
# Inside a container the API must listen on every interface to be reachable at all.
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
# No HEALTHCHECK: the image has no curl or wget, and LISTEN_ADDR may move the port. Orchestrators
# should probe GET /readyz (ready: database reachable and migrated) and GET /healthz (alive) over
# HTTP themselves; docker-compose.yml shows a check with bash's /dev/tcp that needs no extra tool.
ENTRYPOINT ["webhook-outbox"]
CMD ["serve"]
