// Command property-benchdata fills a property database with the mock data
// provider's generated listings and writes the query lists of the search
// and list benchmark (scripts/bench/property/run.sh).
//
//	property-benchdata load    -org ID -count N [-seed S] [-batch B] [-workers W]
//	property-benchdata targets -org ID -count N [-seed S] -out DIR
//	property-benchdata explain -org ID -targets FILE
//
// load stores rows 0…N-1 of market.PropertySet(seed, org) through the
// service role (DATABASE_URL is the schema owner's, as for `property
// migrate`; DB_ROLE defaults to property_app), in batches of one
// transaction each, oldest first, so the table is laid out as years of
// inserts would leave it. It is idempotent: a batch already stored is
// skipped, so a second run checks and returns, and an interrupted run
// resumes. It then vacuums and analyses the tables. The schema must be
// migrated first.
//
// targets writes list.txt, search.txt and fuzzy.txt: request paths with
// query strings derived from generated rows (so each one has answers), and
// fuzzy-expected.tsv, each fuzzy path with the id of the property it
// misspells or abbreviates.
//
// explain runs each request path of FILE twice through the service's own
// repository and prints the second run's plans, EXPLAIN (ANALYZE, BUFFERS)
// as auto_explain logs them: those of the statements search_page executes
// too. It needs a superuser DATABASE_URL (LOAD 'auto_explain'), as in
// development.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	pg "reos.dev/pkg/postgres"
	"reos.dev/services/property"
	"reos.dev/services/property/internal/adapters/market"
	"reos.dev/services/property/internal/adapters/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "property-benchdata:", err)
		os.Exit(1)
	}
}

type options struct {
	org          string
	count, batch int
	workers      int
	seed         uint64
	out, targets string
	databaseURL  string
	role         string
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: property-benchdata load|targets|explain -org ID [flags]")
	}
	cmd := args[0]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var o options
	fs.StringVar(&o.org, "org", "", "organisation id (UUID)")
	fs.IntVar(&o.count, "count", 1_000_000, "number of properties")
	fs.Uint64Var(&o.seed, "seed", market.DefaultSeed, "generator seed")
	fs.IntVar(&o.batch, "batch", 10_000, "rows per transaction (load)")
	fs.IntVar(&o.workers, "workers", 2, "concurrent transactions (load)")
	fs.StringVar(&o.out, "out", "", "output directory (targets)")
	fs.StringVar(&o.targets, "targets", "", "file of request paths (explain)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if id, err := uuid.Parse(o.org); err != nil || id == uuid.Nil {
		return fmt.Errorf("-org %q is not a UUID", o.org)
	}
	if o.count < 1 || o.batch < 1 || o.workers < 1 || o.workers > 256 {
		return errors.New("-count and -batch must be positive, -workers 1 to 256")
	}
	o.databaseURL, o.role = os.Getenv("DATABASE_URL"), os.Getenv("DB_ROLE")
	if o.role == "" {
		o.role = "property_app"
	}
	switch cmd {
	case "load", "explain":
		if o.databaseURL == "" {
			return errors.New("DATABASE_URL is not set")
		}
		if cmd == "explain" {
			return explain(ctx, o)
		}
		return load(ctx, o)
	case "targets":
		if o.out == "" {
			return errors.New("targets needs -out DIR")
		}
		return writeTargets(o)
	default:
		return fmt.Errorf("unknown command %q (load, targets or explain)", cmd)
	}
}

func load(ctx context.Context, o options) error {
	if err := property.Root.Database().RequireCurrent(ctx, o.databaseURL); err != nil {
		return fmt.Errorf("run `property migrate up` first: %w", err)
	}
	owner, err := pg.Open(ctx, pg.Config{URL: o.databaseURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer owner.Close()
	pool, err := pg.Open(ctx, pg.Config{URL: o.databaseURL, Role: o.role, MaxConns: int32(o.workers)}) // #nosec G115 -- parseOptions bounds -workers to 1..256
	if err != nil {
		return err
	}
	defer pool.Close()

	set := market.NewPropertySet(o.seed, o.org)
	batches := make(chan int)
	var (
		mu                sync.Mutex
		loaded, skipped   int
		firstErr          error
		wg                sync.WaitGroup
		start, lastReport = time.Now(), time.Now()
	)
	for range o.workers {
		wg.Go(func() {
			for from := range batches {
				to := min(from+o.batch, o.count)
				n, err := loadBatch(ctx, pool, set, o.org, from, to)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				loaded += n
				skipped += to - from - n
				if time.Since(lastReport) > 5*time.Second {
					lastReport = time.Now()
					fmt.Fprintf(os.Stderr, "%d of %d rows loaded, %d already there (%.0f rows/s)\n",
						loaded, o.count, skipped, float64(loaded)/time.Since(start).Seconds())
				}
				mu.Unlock()
			}
		})
	}
	// Oldest batch first: the heap ends up in creation order, as the rows
	// of a real organisation would be.
	last := (o.count - 1) / o.batch * o.batch
feed:
	for from := last; from >= 0; from -= o.batch {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		select {
		case batches <- from:
		case <-ctx.Done():
			break feed
		}
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if loaded > 0 {
		fmt.Fprintf(os.Stderr, "%d rows loaded in %s; vacuum and analyse\n", loaded, time.Since(start).Round(time.Second))
		if err := postgres.SettleProperties(ctx, owner); err != nil {
			return err
		}
	}
	fmt.Printf("org %s: %d generated properties (seed %d): %d loaded now, %d were there\n", o.org, o.count, o.seed, loaded, skipped)
	return nil
}

// loadBatch stores rows from…to-1 unless they are there; a batch is one
// transaction, so its first and last rows tell.
func loadBatch(ctx context.Context, pool *pgxpool.Pool, set market.PropertySet, org string, from, to int) (int, error) {
	props := make([]domain.Property, 0, to-from)
	for p := range set.Properties(from, to) {
		props = append(props, p)
	}
	have, err := postgres.CountProperties(ctx, pool, org, []string{props[0].ID, props[len(props)-1].ID})
	if err != nil {
		return 0, err
	}
	switch have {
	case 2:
		return 0, nil
	case 1:
		return 0, fmt.Errorf("rows %d…%d are half there: the database holds other data; drop it", from, to-1)
	}
	if err := postgres.BulkInsertProperties(ctx, pool, org, props); err != nil {
		return 0, fmt.Errorf("rows %d…%d: %w", from, to-1, err)
	}
	return len(props), nil
}

// Queries: each derived from one generated row, so it has answers. Rows
// are picked by a fixed stride; list and search queries mostly from the
// newest 5 % (what agents look at: mostly on the market), a third from
// anywhere (mostly sold: comparables).
const queriesPerKind = 24

func pickRow(k, n int, recent bool) int {
	stride := 2_654_435_761 // Knuth's multiplicative hash: spreads k over the range
	if recent {
		return k * stride % max(1, n/20)
	}
	return (k*stride + 12_345) % n
}

func writeTargets(o options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil { // #nosec G301 -- benchmark target lists, read by wrk scripts as another user
		return err
	}
	set := market.NewPropertySet(o.seed, o.org)
	var list, search, fuzzy, expected []string
	sorts := []string{"", "-list_price", "list_price", "created_at"}
	for k := range queriesPerKind {
		p := set.Property(pickRow(k, o.count, k%3 != 2))
		q := url.Values{}
		q.Set("status", p.StandardStatus)
		if k%2 == 0 {
			q.Set("city", p.City)
		} else {
			q.Set("postal_code", *p.PostalCode)
		}
		lo, hi := p.ListPriceCents*7/10/1_000_000*1_000_000, (p.ListPriceCents*13/10/1_000_000+1)*1_000_000
		q.Set("min_price_cents", strconv.FormatInt(lo, 10))
		q.Set("max_price_cents", strconv.FormatInt(hi, 10))
		if p.BedroomsTotal != nil && *p.BedroomsTotal >= 2 {
			q.Set("min_beds", strconv.Itoa(*p.BedroomsTotal-1))
		}
		if s := sorts[k%len(sorts)]; s != "" {
			q.Set("sort", s)
		}
		list = append(list, "/api/v1/properties?"+q.Encode())
	}
	for k := range queriesPerKind {
		p := set.Property(pickRow(k+queriesPerKind, o.count, k%3 != 2))
		words := streetWords(*p.StreetName)
		term := words[0]
		switch {
		case k%3 == 0 && len(term) > 5:
			term = term[:4] // a fragment, as typed
		case k%3 == 1 && len(words) > 2:
			term = words[0] + " " + words[1]
		}
		q := url.Values{"q": {term}, "status": {p.StandardStatus}}
		search = append(search, "/api/v1/properties/search?"+q.Encode())
	}
	for k := range queriesPerKind {
		p := set.Property(pickRow(k+2*queriesPerKind, o.count, false))
		words := streetWords(*p.StreetName)
		var text string
		if k%2 == 0 { // misspelled: "8574 Jakcson Stret"
			parts := []string{*p.StreetNumber}
			for i, w := range words {
				if i == 0 || i == len(words)-1 {
					w = misspell(w, k/2+i)
				}
				parts = append(parts, w)
			}
			text = strings.Join(parts, " ")
		} else { // partial, as typed: "8574 Jac"
			text = *p.StreetNumber + " " + words[0][:min(3, len(words[0]))]
		}
		path := "/api/v1/properties/search?" + url.Values{"q": {text}}.Encode()
		fuzzy = append(fuzzy, path)
		expected = append(expected, path+"\t"+p.ID)
	}
	for name, lines := range map[string][]string{"list.txt": list, "search.txt": search, "fuzzy.txt": fuzzy, "fuzzy-expected.tsv": expected} {
		if err := os.WriteFile(filepath.Join(o.out, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil { // #nosec G306 -- see above: public benchmark inputs
			return err
		}
	}
	return nil
}

// streetWords are a street name's words without a leading direction,
// lower-cased ("N Maple Hollow Drive" → maple hollow drive).
func streetWords(street string) []string {
	words := strings.Fields(strings.ToLower(street))
	if len(words) > 2 && len(words[0]) == 1 {
		words = words[1:]
	}
	return words
}

// misspell makes one of three common typos in a word of five or more
// letters: the last two letters swapped (maple → mapel), a middle letter
// dropped (street → stret) or one doubled (cedar → ceedar).
func misspell(w string, k int) string {
	r := []rune(w)
	if len(r) < 5 || !unicode.IsLetter(r[len(r)-1]) {
		return w
	}
	switch k % 3 {
	case 0:
		r[len(r)-2], r[len(r)-1] = r[len(r)-1], r[len(r)-2]
	case 1:
		r = append(r[:len(r)/2], r[len(r)/2+1:]...)
	default:
		r = slices.Insert(r, 1, r[1])
	}
	return string(r)
}

func explain(ctx context.Context, o options) error {
	paths, err := os.ReadFile(o.targets)
	if err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(o.databaseURL)
	if err != nil {
		return errors.New("cannot parse DATABASE_URL")
	}
	var (
		mu    sync.Mutex
		plans []string
	)
	cfg.MaxConns = 1
	cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		defer mu.Unlock()
		plans = append(plans, n.Message)
	}
	// auto_explain prints the plan of every statement, those run inside
	// search_page too, as the query runs; LOAD needs the superuser the
	// connection is before SET ROLE.
	setup := []string{"LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0", "SET auto_explain.log_analyze = on",
		"SET auto_explain.log_buffers = on", "SET auto_explain.log_nested_statements = on", "SET client_min_messages = log",
		"SET ROLE " + pgx.Identifier{o.role}.Sanitize()}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		for _, s := range setup {
			if _, err := c.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	for line := range strings.Lines(string(paths)) {
		path, _, _ := strings.Cut(strings.TrimSpace(line), "\t")
		if path == "" {
			continue
		}
		u, err := url.Parse(path)
		if err != nil {
			return err
		}
		// The first run warms the cache; the second one's plans are shown.
		for run := range 2 {
			mu.Lock()
			plans = plans[:0]
			mu.Unlock()
			if err := runPath(ctx, pool, o.org, u); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if run == 1 {
				mu.Lock()
				fmt.Printf("== %s\n%s\n\n", path, strings.Join(plans, "\n"))
				mu.Unlock()
			}
		}
	}
	return nil
}

// runPath reads the parameters the benchmark's paths use, as the service's
// transport does, and runs the query the service would run.
func runPath(ctx context.Context, pool *pgxpool.Pool, org string, u *url.URL) error {
	v := u.Query()
	var f app.PropertyFilter
	if s := v.Get("status"); s != "" {
		f.Statuses = strings.Split(s, ",")
	}
	str := func(name string) *string {
		if !v.Has(name) {
			return nil
		}
		s := v.Get(name)
		return &s
	}
	num := func(name string) *int64 {
		if !v.Has(name) {
			return nil
		}
		n, _ := strconv.ParseInt(v.Get(name), 10, 64)
		return &n
	}
	f.City, f.PostalCode = str("city"), str("postal_code")
	f.MinPriceCents, f.MaxPriceCents = num("min_price_cents"), num("max_price_cents")
	if n := num("min_beds"); n != nil {
		beds := int(*n)
		f.MinBeds = &beds
	}
	if strings.HasSuffix(u.Path, "/search") {
		q, err := domain.ParseSearch(v.Get("q"))
		if err != nil {
			return err
		}
		return postgres.RunSearchPage(ctx, pool, org, app.SearchQuery{Query: q, Filter: f})
	}
	q := app.PropertyQuery{Filter: f, Sort: app.SortCreatedAt, Desc: true}
	if s := v.Get("sort"); s != "" {
		q.Desc = strings.HasPrefix(s, "-")
		q.Sort = strings.TrimPrefix(s, "-")
	}
	return postgres.RunListPage(ctx, pool, org, q)
}
