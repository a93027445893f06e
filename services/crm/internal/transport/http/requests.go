package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// CreateLeadRequest is the body of POST /leads (exported for the fuzz test).
type CreateLeadRequest struct {
	ContactID        *string  `json:"contact_id"`
	FirstName        *string  `json:"first_name"`
	LastName         *string  `json:"last_name"`
	Email            *string  `json:"email"`
	Phone            *string  `json:"phone"`
	PhoneRegion      string   `json:"phone_region"`
	SourceID         *string  `json:"source_id"`
	Source           *string  `json:"source"`
	Status           *string  `json:"status"`
	AssigneeID       *string  `json:"assignee_id"`
	BudgetMinCents   *int64   `json:"budget_min_cents"`
	BudgetMaxCents   *int64   `json:"budget_max_cents"`
	TargetPriceCents *int64   `json:"target_price_cents"`
	PostalCode       *string  `json:"postal_code"`
	PropertyIDs      []string `json:"property_ids"`
	Tags             []string `json:"tags"`
}

func (r CreateLeadRequest) input() domain.LeadInput {
	return domain.LeadInput{
		ContactID: r.ContactID,
		Contact:   domain.ContactInput{FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone, PhoneRegion: r.PhoneRegion},
		SourceID:  r.SourceID, Source: r.Source, Status: r.Status, AssigneeID: r.AssigneeID,
		BudgetMinCents: r.BudgetMinCents, BudgetMaxCents: r.BudgetMaxCents, TargetPriceCents: r.TargetPriceCents,
		PostalCode: r.PostalCode, PropertyIDs: r.PropertyIDs, Tags: r.Tags,
	}
}

type updateLeadRequest struct {
	Status           domain.Optional[string]   `json:"status"`
	SourceID         domain.Optional[string]   `json:"source_id"`
	AssigneeID       domain.Optional[string]   `json:"assignee_id"`
	BudgetMinCents   domain.Optional[int64]    `json:"budget_min_cents"`
	BudgetMaxCents   domain.Optional[int64]    `json:"budget_max_cents"`
	TargetPriceCents domain.Optional[int64]    `json:"target_price_cents"`
	PostalCode       domain.Optional[string]   `json:"postal_code"`
	PropertyIDs      domain.Optional[[]string] `json:"property_ids"`
	Tags             domain.Optional[[]string] `json:"tags"`
}

type assignRequest struct {
	UserID domain.Optional[string] `json:"user_id"`
}

type activityRequest struct {
	Type       string         `json:"type"`
	Direction  *string        `json:"direction"`
	Outcome    string         `json:"outcome"`
	Body       string         `json:"body"`
	OccurredAt *datetime.Time `json:"occurred_at"`
}

type noteRequest struct {
	Body string `json:"body"`
}

type contactRequest struct {
	FirstName   *string `json:"first_name"`
	LastName    *string `json:"last_name"`
	Email       *string `json:"email"`
	Phone       *string `json:"phone"`
	PhoneRegion string  `json:"phone_region"`
	TimeZone    *string `json:"time_zone"`
	PostalCode  *string `json:"postal_code"`
}

func (r contactRequest) input() domain.ContactInput {
	return domain.ContactInput{FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone, PhoneRegion: r.PhoneRegion,
		TimeZone: r.TimeZone, PostalCode: r.PostalCode}
}

type sourceRequest struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Weight *int   `json:"weight"`
}

type stageRequest struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Probability int    `json:"probability"`
	Position    int    `json:"position"`
	Kind        string `json:"kind"`
}

type dealRequest struct {
	LeadID            string  `json:"lead_id"`
	Title             string  `json:"title"`
	ValueCents        *int64  `json:"value_cents"`
	Currency          string  `json:"currency"`
	StageID           *string `json:"stage_id"`
	Stage             *string `json:"stage"`
	PropertyID        *string `json:"property_id"`
	AssigneeID        *string `json:"assignee_id"`
	ExpectedCloseDate *string `json:"expected_close_date"`
}

type dealUpdateRequest struct {
	Title             domain.Optional[string] `json:"title"`
	ValueCents        domain.Optional[int64]  `json:"value_cents"`
	Currency          domain.Optional[string] `json:"currency"`
	PropertyID        domain.Optional[string] `json:"property_id"`
	AssigneeID        domain.Optional[string] `json:"assignee_id"`
	ExpectedCloseDate domain.Optional[string] `json:"expected_close_date"`
}

type stageMoveRequest struct {
	StageID *string `json:"stage_id"`
	Stage   *string `json:"stage"`
}

type searchRequest struct {
	Q               string         `json:"q"`
	Status          string         `json:"status"`
	SourceID        string         `json:"source_id"`
	AssigneeID      string         `json:"assignee_id"`
	Tag             string         `json:"tag"`
	ScoreMin        *int           `json:"score_min"`
	ScoreMax        *int           `json:"score_max"`
	CreatedFrom     *datetime.Time `json:"created_from"`
	CreatedTo       *datetime.Time `json:"created_to"`
	IncludeArchived bool           `json:"include_archived"`
	Sort            string         `json:"sort"`
	Limit           int            `json:"limit"`
	Cursor          string         `json:"cursor"`
}

// withID is a request for one resource named by the path.
type withID[T any] struct {
	ID   string
	Body T
}

func pathID(r *http.Request) string { return mux.Vars(r)["id"] }

func decodeID(_ context.Context, r *http.Request) (string, error) { return pathID(r), nil }

// decodeIDBody reads the path id and the JSON body.
func decodeIDBody[T any]() func(context.Context, *http.Request) (withID[T], error) {
	return func(_ context.Context, r *http.Request) (withID[T], error) {
		var v withID[T]
		v.ID = pathID(r)
		err := httpx.DecodeJSON(r, &v.Body)
		return v, err
	}
}

func decodeIDPage(_ context.Context, r *http.Request) (withID[app.PageRequest], error) {
	p, err := httpx.ParsePage(r)
	return withID[app.PageRequest]{ID: pathID(r), Body: app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}}, err
}

// queryInt reads an optional integer query parameter (400 naming it).
func queryInt(r *http.Request, name string) (*int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, apperr.BadRequest(name, "must be an integer")
	}
	return &n, nil
}

// queryTime reads an optional RFC 3339 query parameter in pkg/datetime's
// range (400 naming it).
func queryTime(r *http.Request, name string) (*time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := datetime.ParseTime(s)
	if err != nil {
		return nil, apperr.BadRequest(name, err.Error())
	}
	return &t, nil
}

func decodeLeadFilter(_ context.Context, r *http.Request) (app.LeadFilter, error) {
	q := r.URL.Query()
	p, err := httpx.ParsePage(r)
	if err != nil {
		return app.LeadFilter{}, err
	}
	f := app.LeadFilter{
		Status: q.Get("status"), SourceID: q.Get("source_id"), AssigneeID: q.Get("assignee_id"), Tag: q.Get("tag"), Sort: q.Get("sort"),
		Page: app.PageRequest{Limit: p.Limit, Cursor: p.Cursor},
	}
	if s := q.Get("include_archived"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, apperr.BadRequest("include_archived", "must be true or false")
		}
		f.IncludeArchived = b
	}
	if f.ScoreMin, err = queryInt(r, "score_min"); err != nil {
		return f, err
	}
	if f.ScoreMax, err = queryInt(r, "score_max"); err != nil {
		return f, err
	}
	if f.CreatedFrom, err = queryTime(r, "created_from"); err != nil {
		return f, err
	}
	if f.CreatedTo, err = queryTime(r, "created_to"); err != nil {
		return f, err
	}
	return f, nil
}

func decodeSearch(_ context.Context, r *http.Request) (app.LeadFilter, error) {
	var s searchRequest
	if err := httpx.DecodeJSON(r, &s); err != nil {
		return app.LeadFilter{}, err
	}
	if s.Limit == 0 {
		s.Limit = httpx.DefaultLimit
	}
	if s.Limit < 1 || s.Limit > httpx.MaxLimit {
		return app.LeadFilter{}, apperr.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(httpx.MaxLimit))
	}
	return app.LeadFilter{
		Text: s.Q, Status: s.Status, SourceID: s.SourceID, AssigneeID: s.AssigneeID, Tag: s.Tag, ScoreMin: s.ScoreMin, ScoreMax: s.ScoreMax,
		CreatedFrom: s.CreatedFrom.Ptr(), CreatedTo: s.CreatedTo.Ptr(), IncludeArchived: s.IncludeArchived, Sort: s.Sort,
		Page: app.PageRequest{Limit: s.Limit, Cursor: s.Cursor},
	}, nil
}

func decodeDealFilter(_ context.Context, r *http.Request) (app.DealFilter, error) {
	q := r.URL.Query()
	p, err := httpx.ParsePage(r)
	return app.DealFilter{StageID: q.Get("stage_id"), LeadID: q.Get("lead_id"), AssigneeID: q.Get("assignee_id"), Sort: q.Get("sort"),
		Page: app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}}, err
}

func decodeContactFilter(_ context.Context, r *http.Request) (app.ContactFilter, error) {
	q := r.URL.Query()
	p, err := httpx.ParsePage(r)
	return app.ContactFilter{Email: q.Get("email"), Phone: q.Get("phone"), PhoneRegion: q.Get("phone_region"),
		Page: app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}}, err
}

func invalid(field, msg string) error { return apperr.Invalid(field, msg) }
