package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// deployDir holds the Kubernetes manifests.
var deployDir = filepath.Join("..", "..", "deploy", "kubernetes")

// manifests decodes every YAML document in deploy/kubernetes by kind.
func manifests(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", deployDir, err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := doc["kind"].(string)
			if strings.HasSuffix(f, ".example.yaml") {
				kind = "example " + kind
			}
			out[kind] = doc
		}
	}
	return out
}

// dig walks nested maps and lists: a string key for a map, an int for a list.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// TestKubernetesManifests checks that the manifests agree with the binary:
// real setting names, the probes' routes, secrets from a Secret, a grace
// period longer than the shutdown timeout, and a configuration file that
// parses.
func TestKubernetesManifests(t *testing.T) {
	m := manifests(t)
	dep, svc, cm := m["Deployment"], m["Service"], m["ConfigMap"]
	if dep == nil || svc == nil || cm == nil || m["PodDisruptionBudget"] == nil || m["example Secret"] == nil {
		t.Fatalf("want a Deployment, Service, ConfigMap, PodDisruptionBudget and an example Secret; have %v", keys(m))
	}

	if r := dig(dep, "spec", "replicas"); r != 2 {
		t.Errorf("replicas = %v; want 2", r)
	}
	pod := dig(dep, "spec", "template")
	c := dig(pod, "spec", "containers", 0)
	if dig(c, "readinessProbe", "httpGet", "path") != "/readyz" || dig(c, "livenessProbe", "httpGet", "path") != "/healthz" {
		t.Errorf("probes: readiness %v, liveness %v; want /readyz and /healthz",
			dig(c, "readinessProbe", "httpGet", "path"), dig(c, "livenessProbe", "httpGet", "path"))
	}
	if dig(c, "resources", "requests", "memory") == nil || dig(c, "resources", "limits", "memory") == nil {
		t.Error("no memory request and limit")
	}
	if dig(pod, "spec", "securityContext", "runAsNonRoot") != true || dig(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("the pod must run as non-root on a read-only root file system")
	}

	known := map[string]bool{}
	for _, s := range settings() {
		known[s.env] = true
	}
	env := map[string]any{}
	for _, e := range dig(c, "env").([]any) {
		name := dig(e, "name").(string)
		if !known[name] {
			t.Errorf("env %s is not a setting", name)
		}
		env[name] = e
	}
	for _, name := range []string{"PANTHER_API_TOKEN", "PANTHER_TRIAGE_WEBHOOK_SECRET", "PANTHER_TRIAGE_DB"} {
		ref := dig(env[name], "valueFrom", "secretKeyRef")
		if ref == nil || dig(env[name], "value") != nil {
			t.Errorf("%s must come from a Secret", name)
			continue
		}
		key := dig(ref, "key").(string)
		if dig(m["example Secret"], "stringData", key) == nil || dig(ref, "name") != dig(m["example Secret"], "metadata", "name") {
			t.Errorf("%s reads %v, which the example Secret does not have", name, ref)
		}
	}

	shutdown, err := time.ParseDuration(dig(env["PANTHER_TRIAGE_SHUTDOWN_TIMEOUT"], "value").(string))
	if err != nil {
		t.Fatalf("PANTHER_TRIAGE_SHUTDOWN_TIMEOUT: %v", err)
	}
	preStop, _ := dig(c, "lifecycle", "preStop", "sleep", "seconds").(int)
	grace, _ := dig(pod, "spec", "terminationGracePeriodSeconds").(int)
	if time.Duration(grace)*time.Second <= shutdown+time.Duration(preStop)*time.Second {
		t.Errorf("terminationGracePeriodSeconds %d must exceed preStop %ds + shutdown timeout %s", grace, preStop, shutdown)
	}

	// The Service reaches the pods' HTTP port.
	labels := dig(pod, "metadata", "labels").(map[string]any)
	for k, v := range dig(svc, "spec", "selector").(map[string]any) {
		if labels[k] != v {
			t.Errorf("Service selects %s=%v; the pods carry %v", k, v, labels[k])
		}
	}
	port := dig(svc, "spec", "ports", 0, "targetPort")
	if port != dig(c, "ports", 0, "name") && port != dig(c, "ports", 0, "containerPort") {
		t.Errorf("Service targets port %v; the container serves %v", port, dig(c, "ports", 0))
	}

	// The configuration file is mounted where PANTHER_TRIAGE_CONFIG says and parses.
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(dig(cm, "data", "config.yaml").(string)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := dig(env["PANTHER_TRIAGE_CONFIG"], "value").(string)
	if filepath.Base(cfgPath) != "config.yaml" || dig(c, "volumeMounts", 0, "mountPath") != filepath.Dir(cfgPath) {
		t.Errorf("PANTHER_TRIAGE_CONFIG %s is not where the ConfigMap is mounted (%v)", cfgPath, dig(c, "volumeMounts", 0))
	}
	cfg, err := loadConfig([]string{"--config", file}, map[string]string{
		"PANTHER_API_TOKEN": "t", "PANTHER_TRIAGE_WEBHOOK_SECRET": "s", "PANTHER_TRIAGE_DB": "postgres://x@db/triage",
	})
	if err != nil {
		t.Errorf("the ConfigMap's config.yaml does not load:\n%v", err)
	}
	if cfg.PantherURL == "" {
		t.Error("the ConfigMap's config.yaml sets no panther-url")
	}

	// kustomization.yaml lists files that exist, and no example.
	var kust struct {
		Resources []string `yaml:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(deployDir, "kustomization.yaml"))
	if err != nil || yaml.Unmarshal(data, &kust) != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	for _, r := range kust.Resources {
		if _, err := os.Stat(filepath.Join(deployDir, r)); err != nil || strings.Contains(r, "example") {
			t.Errorf("kustomization resource %s: %v", r, err)
		}
	}
}

// TestDockerfile checks the image's production settings.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var final []string // the instructions of the last stage
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "FROM ") {
			final = nil
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			final = append(final, line)
		}
	}
	has := func(prefix string) bool {
		return slices.ContainsFunc(final, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	for _, want := range []string{"FROM gcr.io/distroless/static", "USER 65532", "EXPOSE 8080", "STOPSIGNAL SIGTERM", `ENTRYPOINT ["/usr/local/bin/panther-triage"]`} {
		if !has(want) {
			t.Errorf("the final stage lacks %q", want)
		}
	}
	if slices.ContainsFunc(final, func(l string) bool { return strings.HasPrefix(l, "ENV ") && strings.Contains(l, "PANTHER_") }) {
		t.Error("the image sets a setting with ENV, which would shadow the configuration file")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
