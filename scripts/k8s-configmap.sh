#!/usr/bin/env bash
# Prints a ConfigMap manifest holding the bundled scenario, for the TestRun in examples/k8s/testrun.yaml:
#   scripts/k8s-configmap.sh | kubectl apply -n featherweight -f -
# (the same as `kubectl create configmap featherweight-load --from-file=examples/featherweight-load.js
#  --dry-run=client -o yaml`, without needing kubectl). Usage: k8s-configmap.sh [script.js] [name]
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:-examples/featherweight-load.js}
name=${2:-featherweight-load}
[ -f "$script" ] || { echo "no such script: $script" >&2; exit 1; }
cat <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: $name
  labels:
    app.kubernetes.io/name: featherweight-load
data:
  $(basename "$script"): |
YAML
# A literal block scalar: every line indented by four spaces (empty lines stay empty).
sed -e 's/^\(.\)/    \1/' "$script"
