#!/usr/bin/env bash
# Smoke-test a built image: its default command starts and /healthz answers, the collected
# static files are in it, and it runs as a non-root user.
#
#   PODMAN_CMD="podman --root … --storage-driver=vfs" smoke-image.sh IMAGE
#
# `podman run` fails on these machines (setting RLIMIT_NPROC), so the image's filesystem
# is mounted (a throwaway container's, so nothing is written into the image) and its
# command runs under chroot: as the image's USER, in its WORKDIR, with exactly its ENV,
# in a network namespace of its own (so its port 8000 collides with nothing on the host).
# What this does not exercise: the container runtime itself (cgroups, seccomp, the
# read-only root of the Kubernetes pods), which podman run would add.
set -euo pipefail
IMAGE=${1:?usage: smoke-image.sh IMAGE}
read -r -a PODMAN <<< "${PODMAN_CMD:-podman}"

fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }

user=$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")
workdir=$("${PODMAN[@]}" image inspect --format '{{.Config.WorkingDir}}' "$IMAGE")
mapfile -t env_lines < <("${PODMAN[@]}" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
mapfile -t cmd < <("${PODMAN[@]}" image inspect --format '{{range .Config.Cmd}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
echo "-- image: USER=$user WORKDIR=$workdir CMD=${cmd[*]}"

# 1. Non-root, numerically (Kubernetes' runAsNonRoot can only check a number).
uid=${user%%:*}
gid=${user#*:}
[[ "$uid" =~ ^[0-9]+$ && "$gid" =~ ^[0-9]+$ ]] || fail "USER '$user' is not numeric uid:gid"
[ "$uid" -ne 0 ] || fail "the image runs as root"

ctr=$("${PODMAN[@]}" create "$IMAGE")
root=$("${PODMAN[@]}" mount "$ctr")
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  umount "$root/dev" 2>/dev/null || true
  "${PODMAN[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${PODMAN[@]}" rm --force "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 2. The collected static files: the manifest and the built stylesheet it names.
static_root=$(printf '%s\n' "${env_lines[@]}" | sed -n 's/^DJANGO_STATIC_ROOT=//p')
[ -n "$static_root" ] || fail "DJANGO_STATIC_ROOT is not set in the image"
manifest="$root$static_root/staticfiles.json"
[ -s "$manifest" ] || fail "no $static_root/staticfiles.json (collectstatic did not run)"
css=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["paths"]["css/dist/styles.css"])' "$manifest") \
  || fail "the manifest does not name css/dist/styles.css"
[ -s "$root$static_root/$css" ] || fail "$static_root/$css is missing or empty"
count=$(find "$root$static_root" -type f | wc -l)
echo "-- static: $count files in $static_root, stylesheet $css ($(stat -c %s "$root$static_root/$css") bytes)"

# The code is root's and read-only to the app user; only var/ and media/ are its own.
[ "$(stat -c %u "$root$workdir/manage.py")" = 0 ] || fail "manage.py is not owned by root"
[ "$(stat -c %u "$root$workdir/var")" = "$uid" ] || fail "$workdir/var is not owned by $uid"

# 3. The default command starts and /healthz answers, as uid:gid of the image.
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
log=$(mktemp)
env_args=(DJANGO_SECRET_KEY=smoke-test-only-"$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
          DJANGO_ALLOWED_HOSTS=127.0.0.1)
# shellcheck disable=SC2016  # the script is for the inner bash, which expands it
unshare --net bash -c '
  set -euo pipefail
  root=$1 workdir=$2 uid=$3 gid=$4 log=$5; shift 5
  ip link set lo up
  # env -i: the image environment only (plus the two secrets production demands).
  n=$1; shift; envs=("${@:1:$n}"); shift "$n"
  chroot --userspec="$uid:$gid" "$root" /usr/bin/env -i "${envs[@]}" \
    sh -c "cd \"\$0\" && exec \"\$@\"" "$workdir" "$@" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    if python3 - <<PY 2>/dev/null
import json, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=2)
assert r.status == 200 and json.load(r) == {"status": "ok"}, r.status
PY
    then
      # The process serving it is the image user, not root.
      server_uid=$(awk "/^Uid:/ {print \$2}" /proc/$pid/status 2>/dev/null || true)
      for child in $(pgrep -P $pid 2>/dev/null); do server_uid=$(awk "/^Uid:/ {print \$2}" /proc/$child/status); done
      echo "-- /healthz answered 200 {\"status\": \"ok\"} from a process running as uid $server_uid"
      [ "$server_uid" = "$uid" ] || { echo "server runs as uid $server_uid, not $uid"; exit 1; }
      kill $pid; wait $pid 2>/dev/null || true
      exit 0
    fi
    kill -0 $pid 2>/dev/null || { echo "the server exited:"; cat "$log"; exit 1; }
    sleep 1
  done
  echo "no answer on /healthz within 60 s:"; cat "$log"; kill $pid; exit 1
' _ "$root" "$workdir" "$uid" "$gid" "$log" \
  "$(( ${#env_lines[@]} + ${#env_args[@]} ))" "${env_lines[@]}" "${env_args[@]}" "${cmd[@]}" \
  || { rm -f "$log"; fail "the default command did not serve /healthz"; }
rm -f "$log"
echo "-- smoke test passed: non-root user $uid:$gid, static files collected, ${cmd[*]} serves /healthz"
