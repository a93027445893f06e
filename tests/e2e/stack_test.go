// Package e2e runs the built binaries the way `make up` does — the services
// and the gateway as separate processes on their own ports against a fresh
// database, the real Redis and broker, and nginx in front — and drives them
// over HTTP, holding every answer under /api/v1 to the merged OpenAPI
// document (contract_test.go).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// repoRoot is the repository root, found from this file's location.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// authLimit is the gateway's per-client limit on /api/v1/auth/* in the e2e
// stack: room for the scenarios' sign-ups and logins (every scenario comes
// from one client address, and a fast run packs them into one window: 15
// was exceeded once the deal and transfer scenarios arrived), small enough
// that the rate-limit scenario reaches it quickly.
const (
	authLimitN = 60
	authLimit  = "60/10s"
)

// e2eBreakerFailures is the gateway's BREAKER_FAILURES in the e2e stack:
// that many failures in a row open an upstream's breaker.
const e2eBreakerFailures = 5

// stackService is one service binary the stack runs behind the gateway.
type stackService struct {
	name string // binary, upstream and role prefix (<name>_app)
	cmd  string // package path of its main, relative to the repository
	// env returns the service's own variables for this run.
	env func(t testing.TB) []string
	// envWith, when set, returns more of them from the direct base URLs
	// of the services started before it (by name).
	envWith func(t testing.TB, urls map[string]string) []string
}

// stackServices are started in order (identity first: the others and the
// gateway fetch its JWKS). Adding a service to the e2e stack is one line.
var stackServices = []stackService{
	{name: "identity", cmd: "./services/identity/cmd/identity"},
	{name: "property", cmd: "./services/property/cmd/property", env: func(t testing.TB) []string {
		// The valuation scenario's outage: the mock market data provider
		// fails the first 3 requests for its region (valuation_e2e_test.go).
		return []string{"STORAGE_DIR=" + t.TempDir(), "MARKET_DATA_OUTAGES=" + valuationOutageRegion + ":3",
			// Files over 4 KiB are imported by a job, 50 records a batch
			// (import_e2e_test.go).
			"IMPORT_INLINE_MAX_BYTES=4096", "IMPORT_BATCH_ROWS=50",
			// Its own users read model group, as crm's below.
			"IDENTITY_EVENTS_GROUP=" + testkit.UniqueName(t, "property-e2e-identity")}
	}},
	{name: "crm", cmd: "./services/crm/cmd/crm", env: func(t testing.TB) []string {
		// Its own consumer groups: a `make up` crm on the same broker must not
		// share (and split) the property and identity events with this one.
		return []string{
			"PROPERTY_EVENTS_GROUP=" + testkit.UniqueName(t, "crm-e2e"),
			"IDENTITY_EVENTS_GROUP=" + testkit.UniqueName(t, "crm-e2e-identity"),
			// Lead imports over 2 KiB run as a job, 20 rows a batch
			// (crm_import_e2e_test.go); uploads stay in the run's directory.
			"STORAGE_DIR=" + t.TempDir(), "IMPORT_INLINE_MAX_BYTES=2048", "IMPORT_BATCH_ROWS=20",
		}
	}},
	{name: "outreach", cmd: "./services/outreach/cmd/outreach", env: func(t testing.TB) []string {
		// Its own audience read model group, as crm's above; the mock
		// unsubscribe secret (outreach_e2e_test.go signs with it).
		return []string{"CRM_EVENTS_GROUP=" + testkit.UniqueName(t, "outreach-e2e-crm")}
	}},
	{name: "portfolio", cmd: "./services/portfolio/cmd/portfolio", env: func(t testing.TB) []string {
		return []string{"PROPERTY_EVENTS_GROUP=" + testkit.UniqueName(t, "portfolio-e2e-property")}
	}, envWith: func(_ testing.TB, urls map[string]string) []string {
		return []string{"PROPERTY_URL=" + urls["property"]}
	}},
	{name: "platform", cmd: "./services/platform/cmd/platform", envWith: func(t testing.TB, urls map[string]string) []string {
		// The jobs APIs of this stack's services and its own; receivers on
		// loopback (platform_e2e_test.go); consumer groups of its own.
		var jobs []string
		for _, name := range []string{"property", "crm", "outreach", "portfolio", "platform"} {
			if u, ok := urls[name]; ok {
				jobs = append(jobs, name+"="+u)
			}
		}
		return []string{"JOB_SERVICES=" + strings.Join(jobs, ","), "WEBHOOK_ALLOW_NETS=127.0.0.0/8",
			"WEBHOOK_EVENTS_GROUP=" + testkit.UniqueName(t, "platform-e2e-webhooks")}
	}},
}

// binaries returns the directory holding the services' and the gateway's
// binaries: REOS_BIN_DIR when `make test` built them, otherwise a fresh build.
func binaries(t testing.TB, root string) string {
	t.Helper()
	names := []string{"gateway", "devbroker", "smtpsink"}
	pkgs := []string{"./gateway/cmd/gateway", "./tools/devbroker", "./tools/smtpsink"}
	for _, svc := range stackServices {
		names = append(names, svc.name)
		pkgs = append(pkgs, svc.cmd)
	}
	if dir := os.Getenv("REOS_BIN_DIR"); dir != "" {
		all := true
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
				all = false
			}
		}
		if all {
			return dir
		}
	}
	dir := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build binaries: %v\n%s", err, out)
	}
	return dir
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is one started binary.
type proc struct {
	name string
	bin  string
	// args are the command line; nil means "serve" (a service).
	args []string
	env  []string
	log  string
	cmd  *exec.Cmd
	// exited is closed when cmd has been waited for.
	exited chan struct{}
}

func (p *proc) start(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := p.args
	if args == nil {
		args = []string{"serve"}
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
	exited := make(chan struct{})
	p.exited = exited
	go func() { _ = cmd.Wait(); f.Close(); close(exited) }()
}

// stop ends the process gracefully (SIGTERM), killing it after 10 s.
func (p *proc) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
	p.cmd = nil
}

// kill ends the process as a crash would (SIGKILL: no shutdown, no
// connection closed by it, its jobs left running) and waits until it is
// gone.
func (p *proc) kill(t testing.TB) {
	t.Helper()
	if p.cmd == nil || p.cmd.Process == nil {
		t.Fatalf("kill %s: not running", p.name)
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10s after SIGKILL", p.name)
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s ended with %v, want killed by SIGKILL", p.name, p.cmd.ProcessState)
	}
	p.cmd = nil
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Stack is the running system under test.
type Stack struct {
	Root        string
	NginxURL    string // http://127.0.0.1:<nginx>
	GatewayURL  string
	IdentityURL string
	Identity    *proc
	Gateway     *proc
	// Services holds every started service by name, identity included.
	Services map[string]*proc
	// URLs holds each service's direct base URL by name.
	URLs map[string]string
	// DB is the stack's database (its URL connects as the superuser), for
	// scenarios that act behind the services' backs.
	DB *testkit.Database
	// Brokers is the stack's own Kafka-protocol broker (a devbroker started
	// for it): its topics hold only this stack's events, so a read model
	// that starts from the first offset reads this run's events and not the
	// history of every run that used the shared broker.
	Brokers  []string
	stateDir string
}

// API returns the public API base through nginx.
func (s *Stack) API() string { return s.NginxURL + "/api/v1" }

// stackOptions varies the stack for scenarios that need one of their own.
type stackOptions struct {
	// services names the stackServices to start, in their order (every one
	// when nil); identity must be among them.
	services []string
	// gatewayEnv is appended to the gateway's environment (a variable given
	// here overrides the stack's default for it).
	gatewayEnv []string
	// serviceEnv is appended to the named services' environments, after
	// their stackServices variables (so it overrides them).
	serviceEnv map[string][]string
}

func startStack(t *testing.T) *Stack { return startStackWith(t, stackOptions{}) }

func startStackWith(t *testing.T, opts stackOptions) *Stack {
	t.Helper()
	services := stackServices
	if opts.services != nil {
		services = nil
		for _, svc := range stackServices {
			if slices.Contains(opts.services, svc.name) {
				services = append(services, svc)
			}
		}
	}
	root := repoRoot(t)
	bins := binaries(t, root)
	db := testkit.NewDatabase(t)
	state := t.TempDir()
	brokers := startBroker(t, bins, state)
	redisURL := os.Getenv("REOS_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}

	gatewayPort, nginxPort := freePort(t), freePort(t)
	s := &Stack{
		Root:       root,
		NginxURL:   fmt.Sprintf("http://127.0.0.1:%d", nginxPort),
		GatewayURL: fmt.Sprintf("http://127.0.0.1:%d", gatewayPort),
		Services:   map[string]*proc{},
		URLs:       map[string]string{},
		DB:         db,
		Brokers:    brokers,
		stateDir:   state,
	}
	for _, svc := range services {
		s.URLs[svc.name] = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	}
	s.IdentityURL = s.URLs["identity"]
	common := append(os.Environ(),
		"MODE=mock",
		"LOG_LEVEL=info",
		"DATABASE_URL="+db.URL,
		"REDIS_URL="+redisURL,
		"KAFKA_BROKERS="+strings.Join(brokers, ","),
		"JWKS_URL="+s.IdentityURL+"/.well-known/jwks.json",
		// Retries within milliseconds, so a dead-lettered job takes no
		// seconds of backoff.
		"JOBS_RETRY_BASE=50ms",
		"JOBS_POLL_INTERVAL=100ms",
	)
	// make test builds the binaries instrumented for coverage and names the
	// directory their counters go to; go test gives this process a GOCOVERDIR
	// of its own (a temporary directory), so the binaries are told explicitly.
	if dir := os.Getenv("REOS_COVER_DIR"); dir != "" {
		common = append(common, "GOCOVERDIR="+dir)
	}

	var upstreams []string
	for _, svc := range services {
		migrate := exec.Command(filepath.Join(bins, svc.name), "migrate", "up")
		migrate.Env = common
		if out, err := migrate.CombinedOutput(); err != nil {
			t.Fatalf("%s migrate up: %v\n%s", svc.name, err, out)
		}
		env := append(common[:len(common):len(common)],
			"HTTP_ADDR="+strings.TrimPrefix(s.URLs[svc.name], "http://"),
			"DB_ROLE="+svc.name+"_app",
			"JWT_PRIVATE_KEY_PATH="+filepath.Join(state, "jwt.pem"),
		)
		if svc.env != nil {
			env = append(env, svc.env(t)...)
		}
		if svc.envWith != nil {
			env = append(env, svc.envWith(t, s.URLs)...)
		}
		env = append(env, opts.serviceEnv[svc.name]...)
		p := &proc{name: svc.name, bin: filepath.Join(bins, svc.name), log: filepath.Join(state, svc.name+".log"), env: env}
		p.start(t)
		t.Cleanup(p.stop)
		waitReady(t, p, s.URLs[svc.name]+"/readyz")
		s.Services[svc.name] = p
		upstreams = append(upstreams, svc.name+"="+s.URLs[svc.name])
	}
	s.Identity = s.Services["identity"]

	// Rate-limit keys of its own (deleted at the end): every e2e request
	// comes from loopback, so stacks sharing the Redis, one after another or
	// side by side, would otherwise share every per-IP window.
	_, rlPrefix := testkit.Redis(t)
	migrate := exec.Command(filepath.Join(bins, "gateway"), "migrate", "up")
	migrate.Env = common
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("gateway migrate up: %v\n%s", err, out)
	}
	s.Gateway = &proc{name: "gateway", bin: filepath.Join(bins, "gateway"), log: filepath.Join(state, "gateway.log"),
		env: append(common[:len(common):len(common)],
			"HTTP_ADDR="+strings.TrimPrefix(s.GatewayURL, "http://"),
			"DB_ROLE=gateway_app",
			"GATEWAY_UPSTREAMS="+strings.Join(upstreams, ","),
			"RATE_LIMIT_USER=10000/60s",
			"RATE_LIMIT_IP=10000/60s",
			"RATE_LIMIT_AUTH="+authLimit,
			"RATE_LIMIT_PREFIX="+rlPrefix,
			"BREAKER_OPEN_TIMEOUT=2s",
			"BREAKER_FAILURES="+strconv.Itoa(e2eBreakerFailures),
			"UPSTREAM_TIMEOUT="+e2eUpstreamTimeout.String(),
		)}
	s.Gateway.env = append(s.Gateway.env, opts.gatewayEnv...)
	s.Gateway.start(t)
	t.Cleanup(s.Gateway.stop)
	waitReady(t, s.Gateway, s.GatewayURL+"/readyz")

	// nginx through the same script and template `make up` uses, with its own
	// state directory and ports.
	nginx := exec.Command("bash", filepath.Join(root, "scripts/dev/nginx.sh"))
	nginx.Env = append(os.Environ(),
		"REOS_STATE_DIR="+state,
		"REOS_NGINX_PORT="+strconv.Itoa(nginxPort),
		"REOS_GATEWAY_PORT="+strconv.Itoa(gatewayPort),
	)
	if out, err := nginx.CombinedOutput(); err != nil {
		t.Fatalf("start nginx: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		b, err := os.ReadFile(filepath.Join(state, "pids", "nginx.pid"))
		if err != nil {
			return
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGQUIT)
		}
	})
	waitReady(t, nil, s.NginxURL+"/readyz")
	var started []string
	for _, svc := range services {
		started = append(started, svc.name)
	}
	registerContract(t, s, started)
	return s
}

func waitReady(t testing.TB, p *proc, url string) {
	t.Helper()
	var last string
	testkit.Eventually(t, 30*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		return resp.StatusCode == http.StatusOK
	}, func() string {
		msg := fmt.Sprintf("%s not ready: %s", url, last)
		if p != nil {
			msg += "\n--- " + p.name + " log ---\n" + p.tail()
		}
		return msg
	})
}

// response is a read HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not JSON (%d): %v: %s", r.Status, err, r.Body)
	}
}

// do sends a request: body is marshalled as JSON, except a []byte, sent
// as is.
func do(t testing.TB, method, url, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if raw, ok := body.([]byte); ok {
		rd = bytes.NewReader(raw) // sent as is (a form); headers name its type
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := send(t, req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// startBroker starts a devbroker of the stack's own on a free port and
// returns its address; it is stopped when the test ends. Topics start
// empty, so the stack's consumers (new groups read from the first offset)
// never wade through other runs' events on the shared broker.
func startBroker(t testing.TB, bins, state string) []string {
	t.Helper()
	port := freePort(t)
	p := &proc{name: "devbroker", bin: filepath.Join(bins, "devbroker"), log: filepath.Join(state, "devbroker.log"),
		args: []string{"-port", strconv.Itoa(port)}, env: os.Environ()}
	p.start(t)
	t.Cleanup(p.stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testkit.Eventually(t, 20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, func() string { return "the stack's broker never listened on " + addr + ":\n" + p.tail() })
	return []string{addr}
}
