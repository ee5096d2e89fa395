#!/usr/bin/env bash
# Check everything under infrastructure/monitoring with its real tool:
#   promtool check config   prometheus.yml (Kubernetes) and prometheus-compose.yml
#   promtool check rules    alerts.yml
#   promtool test rules     tests/*.yml (every alert fires on a failing series, not on a healthy one)
#   check.py dashboards     grafana/: valid dashboards and provisioning, and every panel's
#                           query names a metric the app really exports
# Usage: infrastructure/monitoring/check.sh PROMTOOL   (make infra-check passes Debian's promtool)
# PYTHON (default: the repository's .venv/bin/python) runs the Python checks.
set -euo pipefail

promtool=${1:?usage: check.sh PATH-TO-PROMTOOL}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}

echo "monitoring: $("$promtool" --version 2>&1 | head -n 1)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The scrape configurations are checked in full (their rule files included) from a copy whose
# bearer-token file exists; Debian's promtool is built without Kubernetes service discovery,
# so the copy of prometheus.yml lists one static target instead (check.py says when).
cp "$here/alerts.yml" "$work/alerts.yml"
echo "not-a-secret" >"$work/token"
for config in prometheus.yml prometheus-compose.yml; do
  "$python" "$here/check.py" standalone-config "$here/$config" "$work/$config" "$work/token"
  "$promtool" check config "$work/$config"
done

"$promtool" check rules "$here/alerts.yml"
shopt -s nullglob
tests=("$here"/tests/*.yml)
if [ ${#tests[@]} -eq 0 ]; then
  echo "monitoring: no alert unit tests in $here/tests" >&2
  exit 1
fi
"$promtool" test rules "${tests[@]}"

"$python" "$here/check.py" dashboards "$here/grafana"
