// Package app holds the property service's use cases behind the Service
// interface, with the ports (store, repositories, publisher) it needs. It
// checks every permission itself, so no transport can forget one.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/csvimport"
	"reos.dev/services/property/internal/domain"
)

// Service is the property context's use cases. Every method takes the
// caller from ctx (auth.PrincipalFrom) and runs in the caller's org.
type Service interface {
	CreateProperty(ctx context.Context, f domain.PropertyFields) (domain.Property, error)
	GetProperty(ctx context.Context, id string) (domain.Property, error)
	UpdateProperty(ctx context.Context, id string, f domain.PropertyFields) (domain.Property, error)
	ArchiveProperty(ctx context.Context, id string) error
	ListProperties(ctx context.Context, q PropertyQuery) (Page[domain.Property], error)
	PropertyHistory(ctx context.Context, id string, limit int, cursor string) (Page[HistoryEntry], error)
	SearchProperties(ctx context.Context, in SearchInput) (Page[SearchHit], error)

	CreateListing(ctx context.Context, propertyID string, f domain.ListingFields) (domain.Listing, error)
	GetListing(ctx context.Context, id string) (domain.Listing, error)
	UpdateListing(ctx context.Context, id string, f domain.ListingFields) (domain.Listing, error)
	ListListings(ctx context.Context, q ListingQuery) (Page[domain.Listing], error)
	ListingSnapshots(ctx context.Context, id string, limit int, cursor string) (Page[ListingSnapshot], error)

	// Valuations (valuations.go). RunValuation has no caller: the job
	// queue runs it for the valuation job's organisation.
	RequestValuation(ctx context.Context, propertyID string, in ValuationRequest) (domain.Valuation, error)
	GetValuation(ctx context.Context, propertyID, valuationID string) (domain.Valuation, error)
	ValuationMemo(ctx context.Context, propertyID, valuationID string) (domain.Valuation, error)
	ListValuations(ctx context.Context, propertyID string, limit int, cursor string) (Page[domain.Valuation], error)
	RunValuation(ctx context.Context, job ValuationJob, run JobRun) error

	// Images and documents (media.go): uploads stream into the file store;
	// lists carry expiring signed download links.
	AddImage(ctx context.Context, propertyID string, up Upload) (Linked[domain.PropertyImage], error)
	ListImages(ctx context.Context, propertyID string, limit int, cursor string) (Page[Linked[domain.PropertyImage]], error)
	DeleteImage(ctx context.Context, propertyID, imageID string) error
	AddDocument(ctx context.Context, propertyID string, up Upload) (Linked[domain.PropertyDocument], error)
	ListDocuments(ctx context.Context, propertyID string, limit int, cursor string) (Page[Linked[domain.PropertyDocument]], error)
	DeleteDocument(ctx context.Context, propertyID, documentID string) error

	// Bulk imports (imports.go). RunImport has no caller: the job queue
	// runs it for the import job's organisation.
	StartImport(ctx context.Context, up Upload) (domain.Import, error)
	PreviewImport(ctx context.Context, up Upload) (csvimport.Preview, error)
	GetImport(ctx context.Context, id string) (domain.Import, error)
	ListImports(ctx context.Context, limit int, cursor string) (Page[domain.Import], error)
	RunImport(ctx context.Context, job ImportJob, run JobRun) error
	// ExpireImportFile deletes an ended import's file once its retention
	// has run out (imports_retention.go); the job queue runs it.
	ExpireImportFile(ctx context.Context, job ImportFileExpireJob, run JobRun) error

	// SeedDemo creates the demo properties of orgID (no caller: it runs from
	// the `seed` subcommand).
	SeedDemo(ctx context.Context, orgID string) (SeedReport, error)
}

// SearchInput is a search request before parsing.
type SearchInput struct {
	Q      string
	Filter PropertyFilter
	Limit  int
	Cursor string
}

// Deps are the service's dependencies; all are required.
type Deps struct {
	Store  Store
	Clock  Clock
	Logger *slog.Logger
	// Market is the market data provider valuations use.
	Market MarketData
	// Media is the file store, link signer and limits of images and documents.
	Media MediaConfig
	// Imports bounds bulk imports (their files go to Media.Files).
	Imports ImportConfig
}

type service struct {
	store  Store
	clock  Clock
	log    *slog.Logger
	market MarketData
	media  MediaConfig
	// imports and runner: imports.go.
	imports ImportConfig
	runner  *importRunner
}

// NewService returns the Service over deps.
func NewService(d Deps) (Service, error) {
	var errs []error
	if d.Store == nil {
		errs = append(errs, errors.New("nil Store"))
	}
	if d.Clock == nil {
		errs = append(errs, errors.New("nil Clock"))
	}
	if d.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if d.Market == nil {
		errs = append(errs, errors.New("nil Market"))
	}
	media, err := d.Media.withDefaults()
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(errors.New("app: NewService"), err)
	}
	s := &service{store: d.Store, clock: d.Clock, log: d.Logger.With("component", "app"), market: d.Market, media: media,
		imports: d.Imports.withDefaults()}
	if s.runner, err = newImportRunner(s); err != nil {
		return nil, errors.Join(errors.New("app: NewService"), err)
	}
	return s, nil
}

// now is truncated to microseconds, PostgreSQL's precision, so a time read
// back (and a keyset cursor built from it) equals the one written.
func (s *service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// parseID checks a path id: a malformed one is a 400 naming it, never a
// database cast error.
func parseID(field, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return apperr.BadRequest(field, "must be a UUID")
	}
	return nil
}

// actorID is the caller's user id for history rows, nil when it is not a
// UUID (a service token, say).
func actorID(p auth.Principal) string {
	if _, err := uuid.Parse(p.UserID); err != nil {
		return ""
	}
	return p.UserID
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
