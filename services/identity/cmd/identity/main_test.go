package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"mock defaults", map[string]string{"DATABASE_URL": "postgres://u:p@h/db"}, nil},
		{"production needs the key path", map[string]string{"MODE": "production", "DATABASE_URL": "postgres://u:p@h/db"}, []string{"JWT_PRIVATE_KEY_PATH"}},
		{"everything wrong", map[string]string{"MODE": "staging", "ACCESS_TOKEN_TTL": "forever", "DB_MAX_CONNS": "1", "REFRESH_TOKEN_TTL": "1s", "SESSION_SYNC_INTERVAL": "1h"},
			[]string{"MODE", "DATABASE_URL", "ACCESS_TOKEN_TTL", "DB_MAX_CONNS", "REFRESH_TOKEN_TTL", "SESSION_SYNC_INTERVAL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			common, cfg, err := service.LoadConfig(spec(), config.FromMap(tc.env))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.JWTPrivateKeyPath == "" || cfg.AccessTTL.Minutes() != 15 || common.HTTPAddr != "127.0.0.1:8101" || cfg.SessionSyncInterval != 5*time.Second {
					t.Errorf("defaults = %+v", cfg)
				}
				return
			}
			for _, name := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), name) {
					t.Errorf("error %v does not name %s", err, name)
				}
			}
			if err != nil && strings.Contains(err.Error(), "u:p@") {
				t.Errorf("error leaks the database password: %v", err)
			}
		})
	}
}

func TestRunRejectsUnknownCommands(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"serve", "extra"}, {"frobnicate"}} {
		var out, errOut bytes.Buffer
		err := service.Run(t.Context(), spec(), args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("run(%v) = %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if err := service.Run(t.Context(), spec(), []string{"help"}, &out, &out); err != nil || !strings.Contains(out.String(), "migrate up") {
		t.Errorf("help: %v %q", err, out.String())
	}
}

func TestLoadRetentionConfig(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (Config, error) {
		env["DATABASE_URL"] = "postgres://u:p@h/db"
		_, cfg, err := service.LoadConfig(spec(), config.FromMap(env))
		return cfg, err
	}
	cfg, err := load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Retention; r.AttemptRetention != 2160*time.Hour || r.RefreshRetention != 720*time.Hour || r.Interval != time.Hour {
		t.Errorf("defaults = %+v", r)
	}
	cfg, err = load(map[string]string{"RETENTION_INTERVAL": "0", "LOGIN_ATTEMPT_RETENTION": "24h", "REFRESH_TOKEN_RETENTION": "1h"})
	if err != nil || cfg.Retention.Interval != 0 || cfg.Retention.AttemptRetention != 24*time.Hour || cfg.Retention.RefreshRetention != time.Hour {
		t.Errorf("interval 0 and the floors: %+v, %v", cfg.Retention, err)
	}
	for _, bad := range []map[string]string{
		{"LOGIN_ATTEMPT_RETENTION": "23h"}, {"LOGIN_ATTEMPT_RETENTION": "soon"},
		{"REFRESH_TOKEN_RETENTION": "59m"}, {"REFRESH_TOKEN_RETENTION": "-1h"},
		{"RETENTION_INTERVAL": "30s"}, {"RETENTION_INTERVAL": "25h"}, {"RETENTION_INTERVAL": "hourly"},
	} {
		_, err := load(bad)
		for name := range bad {
			if name == "DATABASE_URL" {
				continue
			}
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%v: error %v does not name %s", bad, err, name)
			}
		}
	}
}
