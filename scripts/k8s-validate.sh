#!/usr/bin/env bash
# make k8s-validate: validates examples/k8s offline against the k6-operator's TestRun CRD.
#
#  1. Converts the CRD's openAPIV3Schema (spec.versions[].schema) to a JSON schema with
#     `additionalProperties: false` on every object that lists its properties (what kubeconform's own
#     openapi2jsonschema does in strict mode), so unknown fields are errors; apiVersion and kind are pinned.
#     A small Go program (below) does the conversion with sigs.k8s.io/yaml from the tools module.
#  2. Writes a JSON schema for core/v1 ConfigMap and validates the ConfigMap scripts/k8s-configmap.sh makes.
#  3. Runs kubeconform (pinned in tools/go.mod) with -strict on examples/k8s/*.yaml (Deployment and
#     Service, Job skipped: no core schemas offline) -> must pass, and on every examples/k8s/testdata/invalid-*.yaml
#     -> each must fail, which proves the validation catches errors.
#
# K6_OPERATOR_CRD: the CRD file (default ../shared/k6-operator/k6.io_testruns.yaml next to the clone).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CRD=${K6_OPERATOR_CRD:-$root/../shared/k6-operator/k6.io_testruns.yaml}
if [ ! -f "$CRD" ]; then
  echo "FAIL: the k6-operator TestRun CRD is not at $CRD" >&2
  echo "      (CI checks shared/ out next to the clone; set K6_OPERATOR_CRD=/path/to/k6.io_testruns.yaml)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
schemas=$tmp/schemas
mkdir -p "$schemas" "$tmp/conv"

# 1. CRD -> JSON schema. A throwaway module next to the tools module's go.sum (same dependency versions).
cat >"$tmp/conv/main.go" <<'GO'
// crd2jsonschema converts each version of a CustomResourceDefinition to a strict JSON schema file
// named <kind>_<version>.json (kubeconform's {{.ResourceKind}}_{{.ResourceAPIVersion}} layout).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

type crd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// strict closes every object schema that lists its properties, unless it preserves unknown fields
// or already says what extra properties may be.
func strict(n any) {
	switch v := n.(type) {
	case map[string]any:
		_, hasProps := v["properties"]
		_, hasAdd := v["additionalProperties"]
		preserve, _ := v["x-kubernetes-preserve-unknown-fields"].(bool)
		if hasProps && !hasAdd && !preserve {
			v["additionalProperties"] = false
		}
		for _, c := range v {
			strict(c)
		}
	case []any:
		for _, c := range v {
			strict(c)
		}
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: crd2jsonschema CRD.yaml OUTDIR")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var c crd
	if err := yaml.Unmarshal(raw, &c); err != nil {
		fmt.Fprintln(os.Stderr, "parse CRD:", err)
		os.Exit(1)
	}
	if c.Spec.Names.Kind == "" || len(c.Spec.Versions) == 0 {
		fmt.Fprintln(os.Stderr, "not a CustomResourceDefinition with versions:", os.Args[1])
		os.Exit(1)
	}
	for _, ver := range c.Spec.Versions {
		s := ver.Schema.OpenAPIV3Schema
		if s == nil {
			fmt.Fprintln(os.Stderr, "version", ver.Name, "has no openAPIV3Schema")
			os.Exit(1)
		}
		strict(s)
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			s["properties"] = props
		}
		props["apiVersion"] = map[string]any{"type": "string", "enum": []any{c.Spec.Group + "/" + ver.Name}}
		props["kind"] = map[string]any{"type": "string", "enum": []any{c.Spec.Names.Kind}}
		s["required"] = []any{"apiVersion", "kind", "metadata", "spec"}
		s["$schema"] = "http://json-schema.org/draft-04/schema#"
		out, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		name := filepath.Join(os.Args[2], strings.ToLower(c.Spec.Names.Kind)+"_"+ver.Name+".json")
		if err := os.WriteFile(name, out, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("schema:", name)
	}
}
GO
yaml_ver=$(go -C tools list -m -f '{{.Version}}' sigs.k8s.io/yaml)
cat >"$tmp/conv/go.mod" <<GOMOD
module crd2jsonschema

go 1.26

require sigs.k8s.io/yaml $yaml_ver
GOMOD
cp tools/go.sum "$tmp/conv/go.sum"
(cd "$tmp/conv" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true; GOFLAGS=-mod=mod go run . "$CRD" "$schemas")

# 2. core/v1 ConfigMap, strict.
cat >"$schemas/configmap_v1.json" <<'JSON'
{
  "$schema": "http://json-schema.org/draft-04/schema#",
  "type": "object",
  "required": ["apiVersion", "kind", "metadata"],
  "additionalProperties": false,
  "properties": {
    "apiVersion": {"type": "string", "enum": ["v1"]},
    "kind": {"type": "string", "enum": ["ConfigMap"]},
    "metadata": {
      "type": "object",
      "required": ["name"],
      "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}}
      }
    },
    "data": {"type": "object", "additionalProperties": {"type": "string"}},
    "binaryData": {"type": "object", "additionalProperties": {"type": "string"}},
    "immutable": {"type": "boolean"}
  }
}
JSON
scripts/k8s-configmap.sh >"$tmp/configmap.yaml"

kubeconform() {
  go -C "$root/tools" tool kubeconform -strict -summary -output text \
    -schema-location "$schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json" \
    -skip Deployment,Service,Job "$@"
}

# 3. the manifests must pass ...
echo "==> kubeconform examples/k8s/*.yaml + generated ConfigMap"
kubeconform "$root"/examples/k8s/*.yaml "$tmp/configmap.yaml"
grep -q 'parallelism: [2-9]' examples/k8s/testrun.yaml || { echo "FAIL: testrun.yaml needs parallelism > 1" >&2; exit 1; }

# ... and the deliberately broken ones must fail.
n=0
for f in "$root"/examples/k8s/testdata/invalid-*.yaml; do
  n=$((n + 1))
  if out=$(kubeconform "$f" 2>&1); then
    echo "$out" >&2
    echo "FAIL: $f passed validation; it must not" >&2
    exit 1
  fi
  if ! grep -q 'is invalid' <<<"$out"; then
    echo "$out" >&2
    echo "FAIL: $f did not fail schema validation (an error instead?)" >&2
    exit 1
  fi
  echo "==> rejected as expected: ${f#"$root"/}"
  grep -E 'is invalid|additional properties|got|expected|missing' <<<"$out" | head -3 | sed 's/^/      /'
done
[ "$n" -gt 0 ] || { echo "FAIL: no examples/k8s/testdata/invalid-*.yaml" >&2; exit 1; }
echo "PASS k8s-validate (CRD $(basename "$CRD"), $n broken manifests rejected)"
