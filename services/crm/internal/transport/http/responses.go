package http

import (
	"encoding/json"
	"time"

	"reos.dev/pkg/httpx"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

type contactJSON struct {
	ID         string    `json:"id"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	Email      *string   `json:"email"`
	Phone      *string   `json:"phone"`
	TimeZone   *string   `json:"time_zone"`
	PostalCode *string   `json:"postal_code"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func contactOut(c domain.Contact) contactJSON {
	return contactJSON{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		TimeZone: c.TimeZone, PostalCode: c.PostalCode, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type leadJSON struct {
	ID               string      `json:"id"`
	Contact          contactJSON `json:"contact"`
	SourceID         *string     `json:"source_id"`
	Status           string      `json:"status"`
	AssigneeID       *string     `json:"assignee_id"`
	BudgetMinCents   *int64      `json:"budget_min_cents"`
	BudgetMaxCents   *int64      `json:"budget_max_cents"`
	TargetPriceCents *int64      `json:"target_price_cents"`
	PostalCode       *string     `json:"postal_code"`
	PropertyIDs      []string    `json:"property_ids"`
	Tags             []string    `json:"tags"`
	Score            *int        `json:"score"`
	LastActivityAt   *time.Time  `json:"last_activity_at"`
	CreatedAt        time.Time   `json:"created_at"`
	UpdatedAt        time.Time   `json:"updated_at"`
	ArchivedAt       *time.Time  `json:"archived_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func leadOut(r app.LeadRow) leadJSON {
	l := r.Lead
	props, tags := l.PropertyIDs, l.Tags
	if props == nil {
		props = []string{}
	}
	if tags == nil {
		tags = []string{}
	}
	return leadJSON{
		ID: l.ID, Contact: contactOut(r.Contact), SourceID: l.SourceID, Status: l.Status, AssigneeID: l.AssigneeID,
		BudgetMinCents: l.BudgetMinCents, BudgetMaxCents: l.BudgetMaxCents, TargetPriceCents: l.TargetPriceCents,
		PostalCode: l.PostalCode, PropertyIDs: props, Tags: tags, Score: l.Score, LastActivityAt: utcPtr(l.LastActivityAt),
		CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(), ArchivedAt: utcPtr(l.ArchivedAt),
	}
}

type activityJSON struct {
	ID         string    `json:"id"`
	LeadID     string    `json:"lead_id"`
	Type       string    `json:"type"`
	Direction  *string   `json:"direction"`
	Outcome    string    `json:"outcome"`
	Body       string    `json:"body"`
	OccurredAt time.Time `json:"occurred_at"`
	ActorID    *string   `json:"actor_id"`
	CreatedAt  time.Time `json:"created_at"`
}

func activityOut(a domain.Activity) activityJSON {
	return activityJSON{ID: a.ID, LeadID: a.LeadID, Type: a.Type, Direction: a.Direction, Outcome: a.Outcome, Body: a.Body,
		OccurredAt: a.OccurredAt.UTC(), ActorID: a.ActorID, CreatedAt: a.CreatedAt.UTC()}
}

type noteJSON struct {
	ID        string    `json:"id"`
	LeadID    string    `json:"lead_id"`
	Body      string    `json:"body"`
	AuthorID  *string   `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
}

func noteOut(n domain.Note) noteJSON {
	return noteJSON{ID: n.ID, LeadID: n.LeadID, Body: n.Body, AuthorID: n.AuthorID, CreatedAt: n.CreatedAt.UTC()}
}

type sourceJSON struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Weight int    `json:"weight"`
}

func sourceOut(s domain.LeadSource) sourceJSON {
	return sourceJSON{ID: s.ID, Key: s.Key, Name: s.Name, Weight: s.Weight}
}

type stageJSON struct {
	ID          string `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Probability int    `json:"probability"`
	Position    int    `json:"position"`
	Kind        string `json:"kind"`
}

func stageOut(s domain.Stage) stageJSON {
	return stageJSON{ID: s.ID, Key: s.Key, Name: s.Name, Probability: s.Probability, Position: s.Position, Kind: s.Kind}
}

type dealJSON struct {
	ID                string     `json:"id"`
	LeadID            string     `json:"lead_id"`
	Title             string     `json:"title"`
	ValueCents        int64      `json:"value_cents"`
	Currency          string     `json:"currency"`
	StageID           string     `json:"stage_id"`
	PropertyID        *string    `json:"property_id"`
	AssigneeID        *string    `json:"assignee_id"`
	ExpectedCloseDate *string    `json:"expected_close_date"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	ClosedAt          *time.Time `json:"closed_at"`
}

func dealOut(d domain.Deal) dealJSON {
	return dealJSON{ID: d.ID, LeadID: d.LeadID, Title: d.Title, ValueCents: d.ValueCents, Currency: d.Currency, StageID: d.StageID,
		PropertyID: d.PropertyID, AssigneeID: d.AssigneeID, ExpectedCloseDate: d.ExpectedCloseDate,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), ClosedAt: utcPtr(d.ClosedAt)}
}

type timelineJSON struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	OccurredAt time.Time       `json:"occurred_at"`
	ActorID    *string         `json:"actor_id"`
	Data       json.RawMessage `json:"data"`
}

func timelineOut(it app.TimelineItem) timelineJSON {
	return timelineJSON{ID: it.ID, Kind: it.Kind, OccurredAt: it.OccurredAt.UTC(), ActorID: it.ActorID, Data: it.Data}
}

// listOut maps a page to the shared list envelope.
func listOut[T, J any](p app.Page[T], f func(T) J) httpx.List[J] {
	items := make([]J, 0, len(p.Items))
	for _, it := range p.Items {
		items = append(items, f(it))
	}
	return httpx.NewList(items, p.Next)
}
