package main

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
)

func TestCRDSchemasCloseObjectsAndPinTheKind(t *testing.T) {
	t.Parallel()
	schemas, err := crdSchemas([]byte(`
spec:
  group: k6.io
  names: {kind: TestRun}
  versions:
    - name: v1alpha1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                free: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {a: {type: string}}}
                open: {type: object, additionalProperties: {type: string}, properties: {b: {type: string}}}
`))
	require.NoError(t, err)
	require.Contains(t, schemas, "testrun_v1alpha1.json")
	var s map[string]any
	require.NoError(t, json.Unmarshal(schemas["testrun_v1alpha1.json"], &s))
	props := s["properties"].(map[string]any)
	require.Equal(t, []any{"k6.io/v1alpha1"}, props["apiVersion"].(map[string]any)["enum"])
	require.Equal(t, []any{"TestRun"}, props["kind"].(map[string]any)["enum"])
	require.Equal(t, false, s["additionalProperties"], "the top object is closed")
	spec := props["spec"].(map[string]any)
	require.Equal(t, false, spec["additionalProperties"], "objects listing properties are closed")
	specProps := spec["properties"].(map[string]any)
	require.NotContains(t, specProps["free"].(map[string]any), "additionalProperties", "preserve-unknown-fields stays open")
	require.Equal(t, map[string]any{"type": "string"}, specProps["open"].(map[string]any)["additionalProperties"],
		"an explicit additionalProperties is kept")

	_, err = crdSchemas([]byte("kind: ConfigMap\n"))
	require.ErrorIs(t, err, ErrNotCRD)
	_, err = crdSchemas([]byte("spec: {names: {kind: X}, versions: [{name: v1}]}"))
	require.ErrorIs(t, err, ErrNotCRD)
}

func TestValidatePassesGoodManifestsAndRejectsBrokenOnes(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	code := run([]string{"-crd", "testdata/crd.yaml", "-invalid", "testdata/invalid-*.yaml", "testdata/testrun.yaml"}, &out, &errs)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errs.String())
	require.Contains(t, out.String(), "valid:    testdata/testrun.yaml (TestRun t)")
	require.Contains(t, out.String(), "valid:    testdata/testrun.yaml (ConfigMap s)")
	require.Contains(t, out.String(), "skipped:  testdata/testrun.yaml (Service skipped")
	require.Contains(t, out.String(), "rejected as expected: testdata/invalid-field.yaml")
	require.Contains(t, out.String(), "'parallelizm' not allowed")
	require.Contains(t, out.String(), "PASS k8s-validate (CRD crd.yaml, 1 manifests valid, 1 broken manifests rejected)")
}

func TestValidateFailsOnAnInvalidManifest(t *testing.T) {
	t.Parallel()
	var errs bytes.Buffer
	require.Equal(t, exitcode.Failed, run([]string{"-crd", "testdata/crd.yaml", "testdata/invalid-field.yaml"}, io.Discard, &errs))
	require.Contains(t, errs.String(), "FAIL: testdata/invalid-field.yaml (TestRun t)")

	errs.Reset()
	require.Equal(t, exitcode.Failed, run([]string{"-crd", "testdata/crd.yaml", "testdata/single-runner.yaml"}, io.Discard, &errs))
	require.Contains(t, errs.String(), "TestRun parallelism 1: want at least 2 runners")

	errs.Reset()
	require.Equal(t, exitcode.Failed, run([]string{"-crd", "testdata/crd.yaml", "-invalid", "testdata/testrun.yaml", "testdata/testrun.yaml"}, io.Discard, &errs),
		"a valid file among the must-fail ones fails the check")
	require.Contains(t, errs.String(), "it must be rejected as invalid")
}

func TestUsageErrors(t *testing.T) {
	t.Setenv("FW_K8SVALIDATE_CRD", "")
	var errs bytes.Buffer
	require.Equal(t, 2, run([]string{"testdata/testrun.yaml"}, io.Discard, &errs))
	require.Contains(t, errs.String(), "-crd (or FW_K8SVALIDATE_CRD) is required")
	errs.Reset()
	require.Equal(t, 2, run([]string{"-crd", "testdata/none.yaml", "testdata/testrun.yaml"}, io.Discard, &errs))
	require.Contains(t, errs.String(), "the k6-operator TestRun CRD is not at testdata/none.yaml")
	require.Equal(t, 2, run([]string{"-crd", "testdata/testrun.yaml", "testdata/testrun.yaml"}, io.Discard, io.Discard),
		"a file that is not a CRD")
	require.Equal(t, 2, run([]string{"-crd", "testdata/crd.yaml"}, io.Discard, io.Discard), "no manifests")
}
