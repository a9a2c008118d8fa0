package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// crd is the part of a CustomResourceDefinition the conversion reads.
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

// ErrNotCRD is matched by the error of a file that is not a CustomResourceDefinition with schemas.
var ErrNotCRD = errors.New("not a CustomResourceDefinition with versioned schemas")

// crdSchemas converts each version of the CRD in raw to a strict JSON schema, keyed by kubeconform's
// file name <kind>_<version>.json: unknown fields are errors (additionalProperties: false on every
// object that lists its properties, as kubeconform's own openapi2jsonschema does in strict mode),
// and apiVersion and kind are pinned.
func crdSchemas(raw []byte) (map[string][]byte, error) {
	var c crd
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotCRD, err)
	}
	if c.Spec.Names.Kind == "" || len(c.Spec.Versions) == 0 {
		return nil, ErrNotCRD
	}
	out := make(map[string][]byte, len(c.Spec.Versions))
	for _, ver := range c.Spec.Versions {
		s := ver.Schema.OpenAPIV3Schema
		if s == nil {
			return nil, fmt.Errorf("%w: version %s has no openAPIV3Schema", ErrNotCRD, ver.Name)
		}
		closeObjects(s)
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			s["properties"] = props
		}
		props["apiVersion"] = map[string]any{"type": "string", "enum": []any{c.Spec.Group + "/" + ver.Name}}
		props["kind"] = map[string]any{"type": "string", "enum": []any{c.Spec.Names.Kind}}
		s["required"] = []any{"apiVersion", "kind", "metadata", "spec"}
		s["$schema"] = "http://json-schema.org/draft-04/schema#"
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return nil, err
		}
		out[strings.ToLower(c.Spec.Names.Kind)+"_"+ver.Name+".json"] = b
	}
	return out, nil
}

// closeObjects closes every object schema that lists its properties, unless it preserves unknown
// fields or already says what extra properties may be.
func closeObjects(n any) {
	switch v := n.(type) {
	case map[string]any:
		_, hasProps := v["properties"]
		_, hasAdd := v["additionalProperties"]
		preserve, _ := v["x-kubernetes-preserve-unknown-fields"].(bool)
		if hasProps && !hasAdd && !preserve {
			v["additionalProperties"] = false
		}
		for _, c := range v {
			closeObjects(c)
		}
	case []any:
		for _, c := range v {
			closeObjects(c)
		}
	}
}

// configMapSchema is a strict schema of core/v1 ConfigMap (no core schemas are available offline).
const configMapSchema = `{
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
`

// writeSchemas writes the CRD's schemas and the ConfigMap schema into dir.
func writeSchemas(crdPath, dir string) ([]string, error) {
	raw, err := os.ReadFile(filepath.Clean(crdPath)) // the CRD the user names
	if err != nil {
		return nil, err
	}
	schemas, err := crdSchemas(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", crdPath, err)
	}
	schemas["configmap_v1.json"] = []byte(configMapSchema)
	var names []string
	for name, b := range schemas {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}
