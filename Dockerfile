# No `# syntax=` line: the Dockerfile frontend built into Docker's BuildKit (Docker 20.10 and later) has everything
# used here (cache mounts), and a syntax line would fetch a frontend image from Docker Hub on every build, which
# fails where no registry is reachable.
# Two stages: a Rust builder, then a small distroless image (glibc, CA certificates, no shell) running as a
# non-root user. The build command is the Makefile's `cargo build --locked`, in release mode.
# Both base images are build arguments so that a machine without a registry can build them locally and pass their
# names (the compose test does: docs/docker.md); the defaults are the official images.
ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the target directory between builds; the binary is copied out of the
# cached target because cache mounts are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --bin mekhanikube \
    && install -D -m 0755 target/release/mekhanikube /out/mekhanikube \
    && mkdir -p /out/reports

# cc-debian12 matches the builder's glibc (bookworm); :nonroot runs as uid/gid 65532.
FROM ${RUNTIME_IMAGE}
COPY --from=builder /out/mekhanikube /usr/local/bin/mekhanikube
# An empty /reports owned by the runtime user, so a fresh named volume mounted there is writable.
COPY --from=builder --chown=65532:65532 /out/reports /reports
USER 65532:65532
# Everything the tool writes (history, explanation cache) lives under /reports: the root filesystem can be
# read-only, and any --user can be used as long as it may write /reports.
ENV MEKHANIKUBE_HISTORY=/reports/history.sqlite \
    XDG_CACHE_HOME=/reports/.cache \
    XDG_STATE_HOME=/reports/.state
WORKDIR /reports
ENTRYPOINT ["/usr/local/bin/mekhanikube"]
CMD ["--help"]
