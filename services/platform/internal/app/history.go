package app

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/platform/internal/domain"
)

// HistoryEvent is one received domain event.
type HistoryEvent struct {
	// Seq orders the history (and is what a stream resumes after).
	Seq        int64           `json:"seq"`
	EventID    string          `json:"event_id"`
	Source     string          `json:"source"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	// Perm is the permission needed to read it (ReadPermission).
	Perm string `json:"-"`
}

// HistoryQuery filters GET /events/history: Types are webhook-style
// filters of the short type (lead.*, lead.created), Since bounds the time
// it happened, After is the seq a page starts after.
type HistoryQuery struct {
	Types []string
	Since *time.Time
	After int64
	Limit int
	// Perms are the read permissions the caller holds (filled in by History).
	Perms []string
}

// HistoryStore reads and writes the event history.
type HistoryStore interface {
	InOrg(ctx context.Context, orgID string, fn func(HistoryTx) error) error
}

// HistoryTx is one transaction's view of the history.
type HistoryTx interface {
	RecordEvent(ctx context.Context, orgID string, e HistoryEvent) error
	ListHistory(ctx context.Context, q HistoryQuery) ([]HistoryEvent, error)
}

// readPermissions maps the aggregate of an event ("<context>.<aggregate>",
// the type's first two segments after reos.) to the permission that reads
// it; an aggregate not listed takes its context's.
var readPermissions = map[string]string{
	"crm.deal": "deals:read", "crm.deal_stage": "deals:read",
}

var contextPermissions = map[string]string{
	"property": "properties:read", "crm": "leads:read", "outreach": "campaigns:read",
	"portfolio": "portfolio:read", "platform": PermWebhooksRead,
}

// ReadPermission is the permission a caller needs to see an event of
// the CloudEvents type t; an unknown context's events need admin:*.
func ReadPermission(t string) string {
	rest, _ := strings.CutPrefix(t, "reos.")
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) >= 2 {
		if p, ok := readPermissions[parts[0]+"."+parts[1]]; ok {
			return p
		}
	}
	if p, ok := contextPermissions[parts[0]]; ok {
		return p
	}
	return PermAdmin
}

// knownReadPermissions are every permission ReadPermission answers.
func knownReadPermissions() []string {
	out := []string{PermAdmin}
	for _, p := range readPermissions {
		out = append(out, p)
	}
	for _, p := range contextPermissions {
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// History answers the caller's organisation's events, oldest first after
// q.After, limited to those the caller's permissions may read: an agent
// without deals:read sees no deal event.
func History(ctx context.Context, store HistoryStore, q HistoryQuery) ([]HistoryEvent, error) {
	p, err := auth.Caller(ctx)
	if err != nil {
		return nil, err
	}
	var f apperr.Fields
	for i, t := range q.Types {
		if !domain.ValidEventFilter(t) {
			f.Add("type["+itoa(i)+"]", "must be an event type (lead.created), a wildcard (lead.*) or *")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	q.Perms = nil
	for _, perm := range knownReadPermissions() {
		if p.Can(perm) {
			q.Perms = append(q.Perms, perm)
		}
	}
	if len(q.Perms) == 0 {
		return []HistoryEvent{}, nil
	}
	var out []HistoryEvent
	err = store.InOrg(ctx, p.OrgID, func(tx HistoryTx) error {
		out, err = tx.ListHistory(ctx, q)
		return err
	})
	return out, err
}

// RecordEvent is the consumers' first step: ev joins the history.
func RecordEvent(ctx context.Context, tx HistoryTx, ev Event, fullType, source string) error {
	if ev.OrgID == "" {
		return nil
	}
	return tx.RecordEvent(ctx, ev.OrgID, HistoryEvent{EventID: ev.ID, Source: source, Type: fullType, Subject: ev.Subject,
		OccurredAt: ev.Time, Data: ev.Data, Perm: ReadPermission(fullType)})
}

func itoa(i int) string { return strconv.Itoa(i) }
