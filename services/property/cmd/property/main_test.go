package main

import (
	"bytes"
	"strings"
	"testing"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	common, cfg, err := service.LoadConfig(spec(), config.FromMap(map[string]string{
		"DATABASE_URL": "postgres://u:p@h/db", "SEED_ORG_ID": "0190c0de-0000-7000-8000-000000000001",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if common.HTTPAddr != "127.0.0.1:8102" || cfg.SeedOrgID == "" {
		t.Errorf("config = %+v %+v", common, cfg)
	}
	if _, _, err := service.LoadConfig(spec(), config.FromMap(nil)); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("missing DATABASE_URL: %v", err)
	}
}

func TestSeedWithoutOrgIsANoOp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := seed(config.ModeMock, "", nil)(t.Context(), &out); err != nil || !strings.Contains(out.String(), "SEED_ORG_ID is not set") {
		t.Errorf("seed without org: %v %q", err, out.String())
	}
	if err := seed(config.ModeMock, "demo", nil)(t.Context(), &out); err == nil {
		t.Error("seed accepted a non-UUID org")
	}
	if err := seed("production", "0190c0de-0000-7000-8000-000000000001", nil)(t.Context(), &out); err == nil {
		t.Error("seed ran in production mode")
	}
}

func TestRunRejectsUnknownCommands(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"serve", "extra"}, {"frobnicate"}} {
		var out, errOut bytes.Buffer
		if err := service.Run(t.Context(), spec(), args, &out, &errOut); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("run(%v) = %v, want a usage error", args, err)
		}
	}
}
