// Command bareproxy is a reverse proxy with nothing else: no authentication,
// rate limit, headers or logging. The gateway benchmark runs it beside
// HAProxy and the gateway to split the gateway's cost into what its HTTP
// stack costs on its own and what the gateway adds on top:
//
//   - -stack nethttp (default): net/http's httputil.ReverseProxy with the
//     gateway's transport settings, the stack the gateway is built on;
//   - -stack fasthttp: valyala/fasthttp's server and HostClient, the
//     alternative stack, to show what moving to it could gain.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18082", "listen address")
	upstream := flag.String("upstream", "", "upstream base URL")
	stack := flag.String("stack", "nethttp", "nethttp or fasthttp")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		log.Fatalf("bareproxy: -upstream must be a URL, got %q", *upstream)
	}
	switch *stack {
	case "nethttp":
		log.Fatal(netHTTP(*addr, target))
	case "fasthttp":
		log.Fatal(fastHTTP(*addr, target))
	default:
		log.Fatalf("bareproxy: -stack must be nethttp or fasthttp, got %q", *stack)
	}
}

func netHTTP(addr string, target *url.URL) error {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		// The same transport settings as the gateway's (gateway/internal/proxy).
		Transport: &http.Transport{
			MaxIdleConns:        2048,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			WriteBufferSize:     32 << 10,
			ReadBufferSize:      32 << 10,
		},
	}
	srv := &http.Server{Addr: addr, Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

func fastHTTP(addr string, target *url.URL) error {
	client := &fasthttp.HostClient{Addr: target.Host, MaxConns: 256, MaxIdleConnDuration: 90 * time.Second}
	handler := func(ctx *fasthttp.RequestCtx) {
		// Hop-by-hop: each side manages its own connection.
		ctx.Request.Header.Del("Connection")
		if err := client.Do(&ctx.Request, &ctx.Response); err != nil {
			ctx.Error("upstream: "+err.Error(), fasthttp.StatusBadGateway)
			return
		}
		ctx.Response.Header.Del("Connection")
	}
	srv := &fasthttp.Server{Handler: handler, ReadTimeout: 10 * time.Second}
	return srv.ListenAndServe(addr)
}
