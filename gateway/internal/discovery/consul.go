package discovery

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
)

// ConsulConfig configures a Consul resolver.
type ConsulConfig struct {
	// Address is CONSUL_HTTP_ADDR: host:port or an http(s) URL.
	Address string
	// Token is an optional ACL token (CONSUL_HTTP_TOKEN).
	Token string
	// Services are the names to watch (the routing table's upstreams).
	Services []string
	// WaitTime bounds each blocking query (default 30 s).
	WaitTime time.Duration
	// HTTPClient talks to Consul; nil means a default client.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Consul resolves services to their passing instances in Consul. Each
// service has a watcher goroutine running blocking queries against
// /v1/health/service/<name>?passing, so a change in Consul reaches the
// gateway within one round trip, and a lookup never waits on Consul. If
// Consul becomes unreachable the last known instances stay in use.
type Consul struct {
	client   *api.Client
	services []string
	wait     time.Duration
	logger   *slog.Logger

	mu    sync.RWMutex
	known map[string]*instances
	ready map[string]chan struct{}
}

// NewConsul returns a resolver; call Run to start watching.
func NewConsul(cfg ConsulConfig) (*Consul, error) {
	if cfg.Address == "" {
		return nil, errors.New("discovery: consul address is empty")
	}
	if cfg.Logger == nil {
		return nil, errors.New("discovery: nil logger")
	}
	if len(cfg.Services) == 0 {
		return nil, errors.New("discovery: no services to watch")
	}
	ac := api.DefaultConfig()
	ac.Address = cfg.Address
	if u, err := url.Parse(cfg.Address); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		ac.Scheme, ac.Address = u.Scheme, u.Host
	}
	if cfg.Token != "" {
		ac.Token = cfg.Token
	}
	if cfg.HTTPClient != nil {
		ac.HttpClient = cfg.HTTPClient
	}
	client, err := api.NewClient(ac)
	if err != nil {
		return nil, err
	}
	c := &Consul{
		client:   client,
		services: slices.Clone(cfg.Services),
		wait:     cfg.WaitTime,
		logger:   cfg.Logger.With("component", "consul"),
		known:    map[string]*instances{},
		ready:    map[string]chan struct{}{},
	}
	if c.wait <= 0 {
		c.wait = 30 * time.Second
	}
	for _, s := range c.services {
		c.ready[s] = make(chan struct{})
	}
	return c, nil
}

// Run watches every service until ctx ends.
func (c *Consul) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range c.services {
		wg.Go(func() { c.watch(ctx, s) })
	}
	wg.Wait()
}

// WaitReady blocks until every service has been looked up once (with or
// without instances) or ctx ends; the gateway calls it at start so that the
// first requests do not see an empty picture.
func (c *Consul) WaitReady(ctx context.Context) error {
	for _, s := range c.services {
		select {
		case <-c.ready[s]:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (c *Consul) watch(ctx context.Context, service string) {
	var index uint64
	backoff := 500 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: c.wait}).WithContext(ctx)
		entries, meta, err := c.client.Health().Service(service, "", true, q)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.logger.WarnContext(ctx, "consul lookup failed; keeping the last known instances", "service", service, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 15*time.Second)
			continue
		}
		backoff = 500 * time.Millisecond
		// Consul's rules for blocking queries: an index that goes backwards
		// (a snapshot restore) resets the watch.
		if meta.LastIndex < index {
			index = 0
		} else {
			index = meta.LastIndex
		}
		c.set(service, entriesToURLs(entries))
		if first {
			close(c.ready[service])
			first = false
		}
	}
}

func entriesToURLs(entries []*api.ServiceEntry) []*url.URL {
	var urls []*url.URL
	for _, e := range entries {
		if e == nil || e.Service == nil || e.Service.Port <= 0 {
			continue
		}
		host := e.Service.Address
		if host == "" && e.Node != nil {
			host = e.Node.Address
		}
		if host == "" {
			continue
		}
		scheme := "http"
		if e.Service.Meta["scheme"] == "https" {
			scheme = "https"
		}
		urls = append(urls, &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(e.Service.Port))})
	}
	// A stable order keeps round-robin fair across refreshes.
	slices.SortFunc(urls, func(a, b *url.URL) int {
		switch {
		case a.String() < b.String():
			return -1
		case a.String() > b.String():
			return 1
		}
		return 0
	})
	return urls
}

func (c *Consul) set(service string, urls []*url.URL) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.known[service]; old != nil && slices.EqualFunc(old.urls, urls, func(a, b *url.URL) bool { return *a == *b }) {
		return // unchanged: keep the round-robin cursor
	}
	c.known[service] = &instances{urls: urls}
}

// Resolve implements Resolver. A service outside the watched list is not
// configured; a watched one without passing instances has none.
func (c *Consul) Resolve(service string) (*url.URL, error) {
	c.mu.RLock()
	in, ok := c.known[service]
	c.mu.RUnlock()
	if !ok {
		if _, watched := c.ready[service]; !watched {
			return nil, ErrNotConfigured
		}
		return nil, ErrNoInstances
	}
	u, ok := in.pick()
	if !ok {
		return nil, ErrNoInstances
	}
	return u, nil
}
