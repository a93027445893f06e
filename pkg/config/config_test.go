package config_test

import (
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
)

func TestGettersParseAndDefault(t *testing.T) {
	t.Parallel()
	e := config.FromMap(map[string]string{
		"A_INT": "42", "A_DUR": "1500ms", "A_BOOL": "true", "A_LIST": " a, ,b ,c", "A_MODE": "production",
	})
	if got := e.Int("A_INT", 1); got != 42 {
		t.Errorf("Int = %d", got)
	}
	if got := e.Int("MISSING", 7); got != 7 {
		t.Errorf("Int default = %d", got)
	}
	if got := e.Duration("A_DUR", 0); got != 1500*time.Millisecond {
		t.Errorf("Duration = %v", got)
	}
	if got := e.Bool("A_BOOL", false); !got {
		t.Error("Bool = false")
	}
	if got := strings.Join(e.List("A_LIST", nil), "|"); got != "a|b|c" {
		t.Errorf("List = %q", got)
	}
	if got := e.OneOf("A_MODE", "mock", "mock", "production"); got != "production" {
		t.Errorf("OneOf = %q", got)
	}
	if err := e.Err(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestErrNamesEveryBadVariable(t *testing.T) {
	t.Parallel()
	e := config.FromMap(map[string]string{
		"PORT": "eighty", "TIMEOUT": "soon", "MODE": "chaos", "DATABASE_URL": "postgres://u:hunter2@",
	})
	e.Int("PORT", 0)
	e.Duration("TIMEOUT", 0)
	e.OneOf("MODE", "mock", "mock", "production")
	e.Required("SECRET_KEY")
	e.URL("DATABASE_URL", "")
	err := e.Err()
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, name := range []string{"PORT", "TIMEOUT", "MODE", "SECRET_KEY", "DATABASE_URL"} {
		if !strings.Contains(msg, name) {
			t.Errorf("error does not name %s: %s", name, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error leaks a password: %s", msg)
	}
}

func TestLoadCommonDefaults(t *testing.T) {
	t.Parallel()
	e := config.FromMap(nil)
	c := config.LoadCommon(e, "identity", "127.0.0.1:8101")
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if c.Mode != config.ModeMock || c.HTTPAddr != "127.0.0.1:8101" || c.JWTAudience != "reos-api" || len(c.KafkaBrokers) != 1 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}
