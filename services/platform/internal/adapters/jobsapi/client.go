// Package jobsapi calls a service's jobs API (pkg/jobs Queue.Routes) over
// HTTP through pkg/svcclient: the caller's token passed on, a timeout and
// a circuit breaker per service.
package jobsapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/svcclient"
	"reos.dev/services/platform/internal/app"
)

// Client is one service's jobs API.
type Client struct {
	http *svcclient.Client
	base string
}

// Config configures New: Service names the callee (its jobs API is at
// jobs.APIPath(Service)), BaseURL is its root; Timeout bounds a call
// (svcclient's default when zero).
type Config struct {
	Service, BaseURL string
	Logger           *slog.Logger
	Timeout          time.Duration
	// Transport is svcclient's (nil: the default).
	Transport http.RoundTripper
}

// New returns the client of one service's jobs API.
func New(cfg Config) (*Client, error) {
	if cfg.Service == "" {
		return nil, errors.New("jobsapi.New: Service is empty")
	}
	c, err := svcclient.New(svcclient.Config{Target: cfg.Service, BaseURL: cfg.BaseURL, Logger: cfg.Logger,
		Timeout: cfg.Timeout, Transport: cfg.Transport})
	if err != nil {
		return nil, err
	}
	return &Client{http: c, base: jobs.APIPath(cfg.Service)}, nil
}

var _ app.JobsAPI = (*Client)(nil)

// List is GET <jobs API>?query.
func (c *Client) List(ctx context.Context, query url.Values) (app.JobPage, error) {
	var page app.JobPage
	path := c.base
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	err := c.http.Get(ctx, path, &page)
	return page, err
}

// Get is GET <jobs API>/{id}.
func (c *Client) Get(ctx context.Context, id int64) (jobs.Job, error) {
	var j jobs.Job
	err := c.http.Get(ctx, c.job(id, ""), &j)
	return j, err
}

// Cancel is POST <jobs API>/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, id int64) (jobs.Job, error) {
	return c.post(ctx, id, "cancel")
}

// Retry is POST <jobs API>/{id}/retry.
func (c *Client) Retry(ctx context.Context, id int64) (jobs.Job, error) {
	return c.post(ctx, id, "retry")
}

// Replay is POST <jobs API>/{id}/replay.
func (c *Client) Replay(ctx context.Context, id int64) (jobs.Job, error) {
	return c.post(ctx, id, "replay")
}

func (c *Client) post(ctx context.Context, id int64, action string) (jobs.Job, error) {
	var j jobs.Job
	err := c.http.Do(ctx, http.MethodPost, c.job(id, action), nil, &j)
	return j, err
}

func (c *Client) job(id int64, action string) string {
	p := c.base + "/" + strconv.FormatInt(id, 10)
	if action != "" {
		p += "/" + action
	}
	return p
}
