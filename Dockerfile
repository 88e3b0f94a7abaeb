# feedloom in a small image: one static binary on an empty base, run as a
# non-root user, with the config and the store on volumes.
#
#   docker build -t feedloom \
#     --build-arg VERSION="$(git describe --tags --always)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run -d --name feedloom -p 8080:8080 \
#     -v /srv/feedloom/etc:/etc/feedloom:ro -v feedloom-data:/var/lib/feedloom feedloom
#
# The config (/etc/feedloom/feedloom.yaml) must listen on every interface
# and keep the store on the data volume:
#
#   listen: :8080
#   store: /var/lib/feedloom/feedloom.db
#
# Other commands run the same way: docker run --rm -v ...:/etc/feedloom:ro feedloom check

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not sent to the build, so the go command cannot stamp the
# revision: pass it (and the version) as build arguments.
ARG VERSION=""
ARG REVISION=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/feedloom/feedloom.version=${VERSION} -X github.com/feedloom/feedloom.revision=${REVISION}" \
      -o /out/usr/local/bin/feedloom ./cmd/feedloom \
 && mkdir -p /out/etc/feedloom /out/var/lib/feedloom \
 && cp /etc/ssl/certs/ca-certificates.crt /out/ca-certificates.crt

FROM scratch
COPY --from=build /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/usr/local/bin/feedloom /usr/local/bin/feedloom
COPY --from=build /out/etc/feedloom /etc/feedloom
COPY --from=build --chown=65532:65532 /out/var/lib/feedloom /var/lib/feedloom
USER 65532:65532
# Every command's -config defaults to ./feedloom.yaml: the mounted config.
WORKDIR /etc/feedloom
VOLUME ["/etc/feedloom", "/var/lib/feedloom"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/feedloom"]
CMD ["serve", "-config", "/etc/feedloom/feedloom.yaml"]
