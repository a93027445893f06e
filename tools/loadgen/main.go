// Command loadgen sends GET requests at a constant rate (open loop, so a slow
// server cannot hide latency by slowing the client down, unlike wrk) and
// prints throughput and latency percentiles as JSON. The gateway benchmark
// uses it to measure added p99 latency at a fixed fraction of maximum rate;
// the property benchmark sends a list of URLs (-targets, taken in turn) so
// that no single cached row flatters the result.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

type report struct {
	URL        string         `json:"url,omitempty"`
	Targets    string         `json:"targets,omitempty"`
	TargetURLs int            `json:"target_urls,omitempty"`
	Rate       int            `json:"rate"`
	Seconds    float64        `json:"seconds"`
	Requests   uint64         `json:"requests"`
	Throughput float64        `json:"throughput"`
	Success    float64        `json:"success_ratio"`
	P50Ms      float64        `json:"p50_ms"`
	P90Ms      float64        `json:"p90_ms"`
	P95Ms      float64        `json:"p95_ms"`
	P99Ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Codes      map[string]int `json:"status_codes"`
}

func main() {
	url := flag.String("url", "", "target URL")
	targetsFile := flag.String("targets", "", "file of target URLs, one a line, sent in turn (instead of -url)")
	rate := flag.Int("rate", 1000, "requests per second")
	dur := flag.Duration("duration", 10*time.Second, "how long to send")
	var headers headerFlags
	flag.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	flag.Parse()
	urls := []string{*url}
	if *targetsFile != "" {
		var err error
		if urls, err = readLines(*targetsFile); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
	}
	if (*url == "") == (*targetsFile == "") || len(urls) == 0 || *rate <= 0 || *dur <= 0 {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL | -targets FILE -rate N -duration 10s [-H 'Name: value']")
		os.Exit(2)
	}
	hdr := http.Header{}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "bad header %q\n", h)
			os.Exit(2)
		}
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	targets := make([]vegeta.Target, len(urls))
	for i, u := range urls {
		targets[i] = vegeta.Target{Method: http.MethodGet, URL: u, Header: hdr}
	}
	targeter := vegeta.NewStaticTargeter(targets...)
	attacker := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Connections(256), vegeta.Timeout(10*time.Second))
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, vegeta.Rate{Freq: *rate, Per: time.Second}, *dur, "loadgen") {
		m.Add(res)
	}
	m.Close()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	out := report{
		URL: *url, Targets: *targetsFile, Rate: *rate, Seconds: m.Duration.Seconds(), Requests: m.Requests,
		Throughput: m.Throughput, Success: m.Success,
		P50Ms: ms(m.Latencies.P50), P90Ms: ms(m.Latencies.P90), P95Ms: ms(m.Latencies.P95), P99Ms: ms(m.Latencies.P99), MaxMs: ms(m.Latencies.Max),
		Codes: m.StatusCodes,
	}
	if *targetsFile != "" {
		out.TargetURLs = len(urls)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// readLines returns the non-empty lines of path.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path) // #nosec G304 -- the operator names the file on the command line
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
