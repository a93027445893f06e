package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCampaignThroughputOverSMTP sends a campaign through the whole engine
// (targets frozen, the gate with the lists' facts, attempts under their
// keys, events, the real SMTP adapter) to the counting sink, after the
// bare SMTP client loop sent as many messages to the same sink: every
// target gets its message once, none twice. It reports msg/s, the ratio
// to the bare loop and the outreach process's peak RSS; with
// REOS_BENCH_TARGETS (scripts/bench/outreach/campaign.sh: 100,000) it is
// the campaign benchmark, and REOS_BENCH_OUT names a JSON file for the
// figures. Timings are reported, never asserted.
func TestCampaignThroughputOverSMTP(t *testing.T) {
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("REOS_BENCH_TARGETS")); err == nil && v > 0 {
		n = v
	}
	c := newSMTPCampaign(t, n)
	bare := runBare(t, c.smtpAddr, n)
	if r := do(t, "POST", c.ctl+"/reset", "", nil); r.Status >= 300 {
		t.Fatalf("reset the sink: %d", r.Status)
	}
	c.launch(t)
	c.waitCompleted(t, time.Duration(n/100+120)*time.Second)
	var secs float64
	if err := c.s.DB.Pool(t, "").QueryRow(context.Background(),
		`SELECT extract(epoch FROM completed_at - launched_at) FROM outreach.campaigns WHERE id = $1`, c.id).Scan(&secs); err != nil {
		t.Fatal(err)
	}
	rss := peakRSS(t, c.s.Services["outreach"])
	sent, unknown, other := c.outcomes(t)
	st := c.stats(t)
	if sent != n || unknown != 0 || other != 0 || st.Messages != int64(n) || st.Duplicates != 0 {
		t.Fatalf("%d sent, %d unknown, %d other; the sink has %d messages, %d duplicates; want %d once each",
			sent, unknown, other, st.Messages, st.Duplicates, n)
	}
	rate := float64(n) / secs
	out := map[string]any{"targets": n, "seconds": secs, "msg_per_sec": rate, "bare_msg_per_sec": bare, "ratio": rate / bare,
		"duplicates": st.Duplicates, "outreach_peak_rss_mb": float64(rss) / 1024}
	t.Logf("campaign of %d over SMTP: %.0f msg/s (%.1f s), bare loop %.0f msg/s, ratio %.2f, 0 duplicates, outreach peak RSS %.0f MB",
		n, rate, secs, bare, rate/bare, float64(rss)/1024)
	if path := os.Getenv("REOS_BENCH_OUT"); path != "" {
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// runBare runs the bare SMTP loop (smtpsink bare) of n messages over 4
// connections against addr and returns its msg/s.
func runBare(t *testing.T, addr string, n int) float64 {
	t.Helper()
	bin := filepath.Join(binaries(t, repoRoot(t)), "smtpsink")
	out, err := exec.Command(bin, "bare", "-addr", addr, "-n", strconv.Itoa(n), "-conns", "4").Output() // #nosec G204 -- the test's own binary
	if err != nil {
		t.Fatalf("bare loop: %v %s", err, out)
	}
	var res struct {
		Sent      int     `json:"sent"`
		MsgPerSec float64 `json:"msg_per_sec"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Sent != n {
		t.Fatalf("bare loop: %s (%v)", out, err)
	}
	return res.MsgPerSec
}

// peakRSS reads a running process's peak resident set (VmHWM, KiB).
func peakRSS(t *testing.T, p *proc) int {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
