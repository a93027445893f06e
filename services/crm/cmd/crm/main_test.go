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
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"defaults", map[string]string{"DATABASE_URL": "postgres://u:p@h/db"}, nil},
		{"everything wrong", map[string]string{"MODE": "staging", "DEFAULT_PHONE_REGION": "zz", "DB_MAX_CONNS": "1"},
			[]string{"MODE", "DATABASE_URL", "DEFAULT_PHONE_REGION", "DB_MAX_CONNS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			common, cfg, err := service.LoadConfig(spec(), config.FromMap(tc.env))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.DefaultPhoneRegion != "US" || cfg.SeedOrgID != "" || cfg.PropertyEventsGroup != "crm-property-read-model" || cfg.IdentityEventsGroup != "crm-identity-read-model" || cfg.OutreachEventsGroup != "crm-outreach-timeline" || common.HTTPAddr != "127.0.0.1:8103" || common.DBMaxConns != 10 {
					t.Errorf("defaults = %+v %+v", common, cfg)
				}
				return
			}
			for _, name := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), name) {
					t.Errorf("error %v does not name %s", err, name)
				}
			}
		})
	}
}

func TestSeedWithoutOrgIsANoOp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := seed(config.ModeMock, "", nil)(t.Context(), &out); err != nil || !strings.Contains(out.String(), "SEED_ORG_ID is not set") {
		t.Errorf("seed without org: %v %q", err, out.String())
	}
	if err := seed(config.ModeProduction, "0190c0de-0000-7000-8000-000000000001", nil)(t.Context(), &out); err == nil {
		t.Error("seed ran in production mode")
	}
}

func TestRunRejectsUnknownCommands(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"serve", "extra"}, {"seed", "extra"}, {"frobnicate"},
		{"republish", "--org", "not-an-org"}, {"republish", "--batch-size", "0"}, {"republish", "extra"}} {
		var out, errOut bytes.Buffer
		err := service.Run(t.Context(), spec(), args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("run(%v) = %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if err := service.Run(t.Context(), spec(), []string{"help"}, &out, &out); err != nil || !strings.Contains(out.String(), "usage: crm") ||
		!strings.Contains(out.String(), "republish [--org <uuid>]... [--batch-size <n>]") {
		t.Errorf("help: %v %q", err, out.String())
	}
}
