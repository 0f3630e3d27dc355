# keyfoldd container image (docs/deployment.md).
#
#   docker build -t keyfold .        # or: podman build / buildah bud --format docker
#   docker run -d -p 127.0.0.1:8470:8470 -v keyfold-data:/var/lib/keyfold keyfold
#
# Two stages: a Debian 12 toolchain builds keyfoldd (release), and a
# bookworm-slim runtime holds only the binary and the four shared libraries it
# links (the keyfold library itself is linked statically). It runs as the
# non-root user keyfold (uid/gid 10001) and keeps its store, keyfold.db, on the
# volume /var/lib/keyfold. scripts/container-test.sh builds and exercises it.

############################################################ build stage
FROM debian:bookworm AS build

# `check` only because tests/meson.build asks for it at configure time; only
# the daemon target is built below.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential meson ninja-build pkg-config check \
      libjansson-dev libmicrohttpd-dev libuv1-dev libsqlite3-dev libpq-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

WORKDIR /src
COPY . .

# werror stays a developer setting: a release (-O3) build must not fail on a
# new compiler's false positives.
RUN meson setup --buildtype=release -Dwerror=false /tmp/build \
 && ninja -C /tmp/build server/keyfoldd \
 && install -D -m 0755 -s /tmp/build/server/keyfoldd /out/usr/local/bin/keyfoldd \
 && /out/usr/local/bin/keyfoldd --version

############################################################ runtime stage
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libjansson4 libmicrohttpd12 libuv1 libsqlite3-0 libpq5 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 keyfold \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/keyfold \
      --no-create-home --shell /usr/sbin/nologin keyfold \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/keyfold

COPY --from=build /out/usr/local/bin/keyfoldd /usr/local/bin/keyfoldd

# Listen on all interfaces inside the container; the store on the volume.
# Change the port with KEYFOLD_LISTEN (not --listen): the health check reads it.
ENV KEYFOLD_LISTEN=0.0.0.0:8470 \
    KEYFOLD_DATA_DIR=/var/lib/keyfold

# Declared after the directory is created and chowned, so a new named volume
# starts as a copy of it: empty and owned by keyfold.
VOLUME /var/lib/keyfold
EXPOSE 8470
USER 10001:10001
WORKDIR /var/lib/keyfold

# No curl in the image: bash's /dev/tcp sends one HTTP/1.0 request to
# /v2/health/ready (exempt from --auth-token-file) on the port of
# KEYFOLD_LISTEN and wants a 200 (503 while the store is being recovered).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD bash -c 'l=${KEYFOLD_LISTEN:-127.0.0.1:8470}; p=${l##*:}; h=${l%:*}; h=${h#[}; h=${h%]}; case $h in 0.0.0.0|::|"") h=127.0.0.1;; esac; exec 3<>"/dev/tcp/$h/$p" && printf "GET /v2/health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && read -r _ s _ <&3 && test "$s" = 200'

# keyfoldd is PID 1 and handles SIGTERM itself: it stops accepting, finishes
# the requests in flight, flushes the store and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["keyfoldd"]
