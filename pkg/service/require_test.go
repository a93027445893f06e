package service_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/service"
)

type deps struct {
	Handler  http.Handler
	Writer   io.Writer
	Client   *http.Client
	Headers  map[string]string
	Now      func() time.Time
	Document []byte
	// Settings are never dependencies.
	Name    string
	Timeout time.Duration
	// Optional ones say so.
	Hook func() `service:"optional"`
}

func TestRequireFields(t *testing.T) {
	t.Parallel()
	full := deps{Handler: http.NotFoundHandler(), Writer: io.Discard, Client: http.DefaultClient,
		Headers: map[string]string{}, Now: time.Now, Document: []byte("{}")}
	if err := service.RequireFields("x.New", full); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if err := service.RequireFields("x.New", &full); err != nil {
		t.Fatalf("complete, by pointer: %v", err)
	}
	err := service.RequireFields("x.New", deps{})
	want := "x.New: missing Handler, Writer, Client, Headers, Now, Document"
	if err == nil || err.Error() != want {
		t.Fatalf("empty: %v, want %q", err, want)
	}
	if err := service.RequireFields("x.New", (*deps)(nil)); err == nil || !strings.Contains(err.Error(), "nil service_test.deps") {
		t.Fatalf("nil pointer: %v", err)
	}
	if err := service.RequireFields("x.New", 3); err == nil {
		t.Fatal("a non-struct passed")
	}
}
