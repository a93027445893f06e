package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// LeadFilter is a list or search request as the transport parsed it.
type LeadFilter struct {
	Status, SourceID, AssigneeID string
	Tag                          string
	ScoreMin, ScoreMax           *int
	CreatedFrom, CreatedTo       *time.Time
	IncludeArchived              bool
	Text                         string
	Sort                         string
	Page                         PageRequest
}

// DealFilter is a deal list request.
type DealFilter struct {
	StageID, LeadID, AssigneeID string
	Sort                        string
	Page                        PageRequest
}

// ContactFilter is a contact list request; Email or Phone look one up.
type ContactFilter struct {
	Email, Phone, PhoneRegion string
	Page                      PageRequest
}

// maxSearchText bounds a search's q, in characters (not bytes: a name in
// another script must not get a tighter limit).
const maxSearchText = 200

// Sort fields a list may be ordered by, with the kind of their value.
var (
	leadSorts = map[string]bool{"created_at": true, "updated_at": true, "score": false}
	dealSorts = map[string]bool{"created_at": true, "updated_at": true, "value_cents": false}
)

// parseSort reads "field" or "-field" against the whitelist (value: whether
// the field is a time).
func parseSort(raw string, allowed map[string]bool) (Sort, error) {
	if raw == "" {
		return Sort{Field: "created_at", Desc: true}, nil
	}
	desc := strings.HasPrefix(raw, "-")
	field := strings.TrimPrefix(raw, "-")
	if _, ok := allowed[field]; !ok {
		return Sort{}, apperr.BadRequest("sort", "must be one of the sort fields, optionally prefixed with -: created_at, updated_at, "+otherSort(allowed))
	}
	return Sort{Field: field, Desc: desc}, nil
}

func otherSort(allowed map[string]bool) string {
	for k, isTime := range allowed {
		if !isTime {
			return k
		}
	}
	return ""
}

// timeline reads one page of the history of the aggregate id (what, with
// its not-found reason) for a caller holding perm; read checks the aggregate
// is visible to the caller p and reads the page.
func (s *service) timeline(ctx context.Context, perm, id, reason, what string, pr PageRequest,
	read func(tx Tx, p auth.Principal) (Page[TimelineItem], error)) (Page[TimelineItem], error) {
	p, err := requireOn(ctx, perm, id, reason, what)
	if err != nil {
		return Page[TimelineItem]{}, err
	}
	var page Page[TimelineItem]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page, err = read(tx, p)
		return err
	})
	return page, err
}

func (s *service) leadQuery(f LeadFilter) (LeadQuery, error) {
	var fe domain.FieldErrors
	q := LeadQuery{
		Status: f.Status, ScoreMin: f.ScoreMin, ScoreMax: f.ScoreMax, CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo,
		IncludeArchived: f.IncludeArchived, Text: strings.TrimSpace(f.Text), Page: f.Page,
	}
	if q.Status != "" {
		domain.CheckStatus("status", q.Status, &fe)
	}
	if f.SourceID != "" {
		if v := domain.CheckUUID("source_id", &f.SourceID, &fe); v != nil {
			q.SourceID = *v
		}
	}
	if f.AssigneeID != "" {
		if v := domain.CheckUUID("assignee_id", &f.AssigneeID, &fe); v != nil {
			q.AssigneeID = *v
		}
	}
	if f.Tag != "" {
		if tag, ok := domain.NormalizeTag(f.Tag); ok {
			q.Tag = tag
		} else {
			fe.Add("tag", "must be a tag: 1 to 40 characters of text without control characters")
		}
	}
	for name, v := range map[string]*int{"score_min": f.ScoreMin, "score_max": f.ScoreMax} {
		if v != nil && (*v < 0 || *v > 100) {
			fe.Add(name, "must be between 0 and 100")
		}
	}
	if f.ScoreMin != nil && f.ScoreMax != nil && *f.ScoreMin > *f.ScoreMax {
		fe.Add("score_max", "must not be below score_min")
	}
	if f.CreatedFrom != nil && f.CreatedTo != nil && f.CreatedFrom.After(*f.CreatedTo) {
		fe.Add("created_to", "must not be before created_from")
	}
	if domain.BadText(q.Text) {
		fe.Add("q", "must not contain NUL characters")
	}
	if utf8.RuneCountInString(q.Text) > maxSearchText {
		fe.Add("q", "must be at most 200 characters")
	}
	if err := fe.Err(); err != nil {
		return q, err
	}
	sort, err := parseSort(f.Sort, leadSorts)
	q.Sort = sort
	return q, err
}

func (s *service) ListLeads(ctx context.Context, f LeadFilter) (Page[LeadRow], error) {
	f.Text = ""
	return s.findLeads(ctx, f)
}

func (s *service) SearchLeads(ctx context.Context, f LeadFilter) (Page[LeadRow], error) {
	if strings.TrimSpace(f.Text) == "" {
		return Page[LeadRow]{}, apperr.Invalid("q", "is required")
	}
	return s.findLeads(ctx, f)
}

func (s *service) findLeads(ctx context.Context, f LeadFilter) (Page[LeadRow], error) {
	p, err := auth.CallerWith(ctx, PermLeadsRead)
	if err != nil {
		return Page[LeadRow]{}, err
	}
	q, err := s.leadQuery(f)
	if err != nil {
		return Page[LeadRow]{}, err
	}
	var page Page[LeadRow]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if q.VisibleTo, err = leadScope(ctx, tx, p); err != nil {
			return err
		}
		page, err = tx.Leads().List(ctx, q)
		return err
	})
	return page, err
}
