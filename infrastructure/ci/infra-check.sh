#!/usr/bin/env bash
# make infra-check: every file under infrastructure/ and .github/workflows/, checked by
# its real tool. docs/development.md, "make infra-check", lists the checks and versions.
#
#   infrastructure/ci/infra-check.sh                 all checks
#   infrastructure/ci/infra-check.sh nginx kustomize only those (names below)
#   INFRA_ROOT=/some/copy infrastructure/ci/infra-check.sh nginx
#       check the files of another tree (tests/infra/ breaks copies to prove each check fails)
#   INFRA_SKIP_IMAGE=1  skip the image build (it says so loudly; CI never sets it)
#
# Tools: Debian's nginx-light, prometheus (promtool), podman, mmdebstrap and shellcheck,
# installed here when missing (as root, through apt); kubectl (with kustomize),
# kubernetes-validate, hadolint, actionlint and check-jsonschema from the dev lock.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$(cd "${INFRA_ROOT:-$REPO}" && pwd)
BIN=$(cd "${BIN:-$REPO/.venv/bin}" && pwd)  # absolute: some checks run from another folder
PY=$BIN/python
K8S_VERSION=${K8S_VERSION:-1.32.0}
ALL_CHECKS=(nginx kustomize promtool hadolint actionlint shellcheck compose image)
CHECKS=("$@")
[ ${#CHECKS[@]} -gt 0 ] || CHECKS=("${ALL_CHECKS[@]}")
for c in "${CHECKS[@]}"; do
  [[ " ${ALL_CHECKS[*]} " == *" $c "* ]] || { echo "unknown check '$c' (one of: ${ALL_CHECKS[*]})"; exit 2; }
done
wants() { [[ " ${CHECKS[*]} " == *" $1 "* ]]; }

# --- Tools ------------------------------------------------------------------------------
need_debian=()
wants nginx && ! [ -x /usr/sbin/nginx ] && need_debian+=(nginx-light)
wants promtool && ! command -v promtool >/dev/null && need_debian+=(prometheus)
wants shellcheck && ! command -v shellcheck >/dev/null && need_debian+=(shellcheck)
wants actionlint && ! command -v shellcheck >/dev/null && need_debian+=(shellcheck)
if wants image && [ -z "${INFRA_SKIP_IMAGE:-}" ]; then
  command -v podman >/dev/null || need_debian+=(podman)
  command -v mmdebstrap >/dev/null || need_debian+=(mmdebstrap)
fi
if [ ${#need_debian[@]} -gt 0 ]; then
  mapfile -t need_debian < <(printf '%s\n' "${need_debian[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ]; then
    echo "infra-check needs these Debian packages: ${need_debian[*]}"
    echo "Install them with: sudo apt-get install -y --no-install-recommends ${need_debian[*]}"
    exit 1
  fi
  echo "== installing from Debian: ${need_debian[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_debian[@]}" >/dev/null
fi
for tool in kubectl kubernetes-validate hadolint actionlint check-jsonschema; do
  [ -x "$BIN/$tool" ] || { echo "$BIN/$tool is missing: run make install (the dev lock has it)"; exit 1; }
done

failed=()
timings=()
run_check() {
  local name=$1; shift
  local t0=$SECONDS
  echo "== $name"
  if "$@"; then
    timings+=("$name $((SECONDS - t0))s ok")
  else
    timings+=("$name $((SECONDS - t0))s FAILED")
    failed+=("$name")
  fi
}

# --- The checks -----------------------------------------------------------------------
check_nginx() {
  # tests/nginx.py's rewrite (certificates, paths and ports under a temporary directory),
  # then `nginx -t` on the file as written.
  /usr/sbin/nginx -v 2>&1
  (cd "$REPO" && "$PY" - "$ROOT/infrastructure/nginx/inkwell.conf" <<'PY'
import pathlib, sys, tempfile
from tests import nginx
with tempfile.TemporaryDirectory() as tmp:
    result = nginx.check(nginx.write_site(pathlib.Path(tmp), conf=pathlib.Path(sys.argv[1])))
    print(result.stderr.strip())
    sys.exit(result.returncode)
PY
  )
}

check_kustomize() {
  # Every kustomization (the base and each overlay) renders, and what they render passes
  # strict schema validation (unknown fields are errors) against Kubernetes $K8S_VERSION,
  # in one kubernetes-validate run (loading its schemas is most of its time).
  "$BIN/kubectl" version --client 2>/dev/null | sed 's/^/  /'
  echo "  kubernetes-validate $("$BIN/kubernetes-validate" --version)"
  local out status=0 dir name file rendered=()
  out=$(mktemp -d)
  for dir in "$ROOT"/infrastructure/k8s/base "$ROOT"/infrastructure/k8s/overlays/*/; do
    dir=${dir%/}
    name=${dir#"$ROOT"/infrastructure/k8s/}
    file="$out/${name//\//_}.yaml"
    if "$BIN/kubectl" kustomize "$dir" > "$file"; then
      echo "  $name: $(grep -c '^kind:' "$file") objects rendered"
      rendered+=("$file")
    else
      echo "  $name: kustomize failed"; status=1
    fi
  done
  if [ ${#rendered[@]} -gt 0 ]; then
    if "$BIN/kubernetes-validate" --strict --quiet --kubernetes-version "$K8S_VERSION" "${rendered[@]}"; then
      echo "  all rendered manifests valid (strict, Kubernetes $K8S_VERSION)"
    else
      echo "  schema validation failed"; status=1
    fi
  fi
  rm -rf "$out"
  return $status
}

check_promtool() {
  promtool --version 2>&1 | head -1 | sed 's/^/  /'
  local script="$ROOT/infrastructure/monitoring/check.sh"
  if [ -x "$script" ]; then
    # The monitoring folder's own check: rules, their unit tests, the dashboards.
    PYTHON="$PY" "$script" "$(command -v promtool)"
  else
    # Hook: until infrastructure/monitoring/check.sh exists, the rules alone.
    promtool check rules "$ROOT"/infrastructure/monitoring/alerts.yml
  fi
}

check_hadolint() {
  echo "  $("$BIN/hadolint" --version)"
  "$BIN/hadolint" "$ROOT"/infrastructure/docker/Dockerfile "$ROOT"/infrastructure/ci/*.Containerfile
}

check_actionlint() {
  echo "  $("$BIN/actionlint" -version | head -1), with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
  (cd "$ROOT" && "$BIN/actionlint" -shellcheck "$(command -v shellcheck)" .github/workflows/*.yml)
}

check_shellcheck() {
  echo "  $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
  shellcheck "$ROOT"/infrastructure/ci/*.sh "$ROOT"/.ci/run
}

check_compose() {
  echo "  $("$BIN/check-jsonschema" --version), vendored compose-spec schema"
  "$BIN/check-jsonschema" --builtin-schema vendor.compose-spec "$ROOT"/infrastructure/compose/compose.yaml
}

check_image() {
  if [ -n "${INFRA_SKIP_IMAGE:-}" ]; then
    echo "!! IMAGE BUILD SKIPPED (INFRA_SKIP_IMAGE is set): the Dockerfile was only linted."
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "!! IMAGE BUILD SKIPPED: mmdebstrap, podman (vfs) and chroot need root here; CI runs as root."
    return 0
  fi
  podman --version | sed 's/^/  /'
  echo "  mmdebstrap $(mmdebstrap --version | awk '{print $2}')"
  (cd "$ROOT" && bash infrastructure/ci/build-image.sh)
}

t_start=$SECONDS
for c in "${CHECKS[@]}"; do
  run_check "$c" "check_$c"
done

echo "== infra-check: $((SECONDS - t_start)) s"
printf '  %s\n' "${timings[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "infra-check FAILED: ${failed[*]}"
  exit 1
fi
echo "infra-check passed: ${CHECKS[*]}"
