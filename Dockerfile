# Build a static binary, then copy it into a minimal image that runs as a
# non-root user. modernc.org/sqlite is pure Go, so CGO stays off.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/panther-triage ./cmd/panther-triage \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/panther-triage /usr/local/bin/panther-triage
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV PANTHER_TRIAGE_ADDR=:8080 \
    PANTHER_TRIAGE_DB=/data/panther-triage.db
EXPOSE 8080
VOLUME /data
USER 65532:65532
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/panther-triage"]
CMD ["serve"]
