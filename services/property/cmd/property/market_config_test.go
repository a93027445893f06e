package main

import (
	"strings"
	"testing"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
	"reos.dev/services/property/internal/adapters/market"
)

func TestMarketDataConfig(t *testing.T) {
	t.Parallel()
	base := map[string]string{"DATABASE_URL": "postgres://u:p@h/db"}
	_, cfg, err := service.LoadConfig(spec(), config.FromMap(base))
	if err != nil || cfg.Market.Seed != market.DefaultSeed || len(cfg.Market.Outages) != 0 {
		t.Fatalf("defaults: %+v %v", cfg.Market, err)
	}
	base["MARKET_DATA_SEED"], base["MARKET_DATA_OUTAGES"] = "42", "99999:3,down"
	_, cfg, err = service.LoadConfig(spec(), config.FromMap(base))
	if err != nil || cfg.Market.Seed != 42 || cfg.Market.Outages["99999"] != 3 || cfg.Market.Outages["down"] != market.Always {
		t.Fatalf("set: %+v %v", cfg.Market, err)
	}
	base["MARKET_DATA_SEED"], base["MARKET_DATA_OUTAGES"] = "-1", "x:0"
	_, _, err = service.LoadConfig(spec(), config.FromMap(base))
	if err == nil || !strings.Contains(err.Error(), "MARKET_DATA_SEED") || !strings.Contains(err.Error(), "MARKET_DATA_OUTAGES") {
		t.Fatalf("bad values: %v, want both variables named", err)
	}
}
