# syntax=docker/dockerfile:1

# Switchboard gateway container image.
#
#   docker build -t switchboard .
#   docker run -p 8080:8080 -v switchboard-data:/data switchboard
#
# The runtime image is distroless: it has no shell, no curl and no package
# manager, so there is deliberately no HEALTHCHECK instruction here.
# Orchestrators should probe the gateway over HTTP instead: GET /readyz
# (e.g. a Kubernetes readinessProbe/livenessProbe with httpGet on port 8080).

# Keep this in step with the `go` line in go.mod. The official golang images
# set GOTOOLCHAIN=local, so the image's Go must be at least go.mod's version.
ARG GO_VERSION=1.26

############################
# Build stage
############################
FROM golang:${GO_VERSION}-bookworm AS build

WORKDIR /src

# Dependencies first, so this layer is cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download

# Then the sources.
COPY . .

# Static, reproducible-ish binary (no cgo, no local paths, no symbols).
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/switchboard ./gateway

# The runtime image has no shell to mkdir/chown with, so prepare the data
# directory here and copy it across with the right owner.
RUN mkdir -p /out/data

############################
# Runtime stage
############################
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/switchboard /switchboard
# /data owned by the distroless "nonroot" user (65532). A named volume mounted
# here for the first time is initialised from this directory, ownership included.
COPY --from=build --chown=65532:65532 /out/data /data

ENV SWITCHBOARD_DATA_DIR=/data \
    SWITCHBOARD_ADDR=:8080

VOLUME /data
EXPOSE 8080

USER 65532:65532

ENTRYPOINT ["/switchboard"]
