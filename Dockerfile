# Build a static binary, then copy it into a distroless image: no shell, no
# package manager, CA certificates and time zones included, a non-root user.
# modernc.org/sqlite is pure Go, so CGO stays off and the binary is static.
#
#   docker build -t panther-triage .
#   docker run --rm -p 8080:8080 --stop-timeout 40 -v triage-data:/data \
#     -e PANTHER_API_URL -e PANTHER_API_TOKEN -e PANTHER_TRIAGE_WEBHOOK_SECRET \
#     panther-triage
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/panther-triage ./cmd/panther-triage \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="panther-triage" \
      org.opencontainers.image.description="Investigates Panther alerts delivered to a Custom Webhook and comments the result"
COPY --from=build /out/panther-triage /usr/local/bin/panther-triage
COPY --from=build --chown=65532:65532 /out/data /data
# The SQLite file (the default, relative "panther-triage.db") lands in the
# /data volume. No setting is fixed here with ENV: an environment variable
# would shadow the same key of a --config file.
WORKDIR /data
VOLUME /data
USER 65532:65532
EXPOSE 8080
# SIGTERM starts a graceful shutdown: intake closes, running investigations
# get PANTHER_TRIAGE_SHUTDOWN_TIMEOUT (30s) to finish, the rest go back to
# the queue. Give the container longer than that to stop (docker's default
# is 10s: --stop-timeout 40; Kubernetes: terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/panther-triage"]
CMD ["serve"]
