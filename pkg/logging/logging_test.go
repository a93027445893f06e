package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"reos.dev/pkg/logging"
)

func TestContextFieldsAreLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, "info", "identity").With("component", "test")
	ctx := logging.WithRequestID(context.Background(), "req-1")
	ctx = logging.WithOrgUser(ctx, "org-1", "user-1")
	log.InfoContext(ctx, "hello", "k", "v")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	want := map[string]string{"service": "identity", "component": "test", "request_id": "req-1", "org_id": "org-1", "user_id": "user-1", "k": "v", "msg": "hello"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
}

func TestLevelFilters(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, "warn", "x")
	log.Info("dropped")
	if buf.Len() != 0 {
		t.Fatalf("info logged at warn level: %s", buf.String())
	}
	log.Warn("kept")
	if buf.Len() == 0 {
		t.Fatal("warn not logged")
	}
}
