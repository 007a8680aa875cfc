# syntax=docker/dockerfile:1
# paperbot: one static binary (pure-Go SQLite, no cgo) on an empty image.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t paperbot .
#   docker run -v $PWD/paperbot.yaml:/etc/paperbot/paperbot.yaml:ro \
#              -v paperbot-data:/var/lib/paperbot -p 8080:8080 paperbot
#   docker run --rm paperbot version          # any subcommand: check, lookup, ...
#
# PAPERBOT_DATA_DIR puts the default SQLite store and the git clone on the
# volume; a config's own relative paths are relative to /etc/paperbot.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/paperbot ./cmd/paperbot \
 && /out/paperbot version \
 && mkdir -p /out/data /out/etc \
 && echo 'paperbot:x:65532:65532:paperbot:/var/lib/paperbot:/sbin/nologin' > /out/etc/passwd \
 && echo 'paperbot:x:65532:' > /out/etc/group

# The runtime image is empty but for the binary, CA certificates (Slack,
# Discord and git over https) and a non-root user; time zones are compiled
# into the binary. There is no shell or curl to run a HEALTHCHECK with:
# use the orchestrator's probes on /healthz and /readyz (see deploy/).
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build --chown=65532:65532 /out/data /var/lib/paperbot
COPY --from=build /out/paperbot /usr/local/bin/paperbot
COPY examples/paperbot.yaml /etc/paperbot/paperbot.yaml.example
USER 65532:65532
ENV PAPERBOT_DATA_DIR=/var/lib/paperbot
WORKDIR /var/lib/paperbot
VOLUME /var/lib/paperbot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/paperbot"]
CMD ["run", "--config", "/etc/paperbot/paperbot.yaml"]
