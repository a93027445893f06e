package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents specification version this package writes.
const SpecVersion = "1.0"

// ContentTypeJSON is the datacontenttype of every event's data.
const ContentTypeJSON = "application/json"

// ContentTypeCloudEvents is the Kafka content-type header of a structured-mode
// CloudEvents message.
const ContentTypeCloudEvents = "application/cloudevents+json"

// ErrInvalidEvent is wrapped by every validation error of New, Validate and
// Decode, so callers can tell a bad event from an infrastructure failure.
var ErrInvalidEvent = errors.New("events: invalid event")

// typePattern is reos.<context>.<aggregate>.<what happened>, lower case, with
// at least those four segments (e.g. reos.identity.user.registered).
var typePattern = regexp.MustCompile(`^reos(\.[a-z][a-z0-9_]*){3,}$`)

// Event is a CloudEvents 1.0 event in structured JSON mode. OrgID is the
// `orgid` extension attribute (the tenant the event belongs to, empty for
// events that belong to no organisation); TraceParent and TraceState are the
// CloudEvents distributed-tracing extension attributes, filled by
// Outbox.Enqueue from the context.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	OrgID           string          `json:"orgid,omitempty"`
	TraceParent     string          `json:"traceparent,omitempty"`
	TraceState      string          `json:"tracestate,omitempty"`
}

// New builds a validated event with a UUIDv7 id (time-ordered, so ids sort
// roughly by creation) and the current UTC time. source is the producing
// service (e.g. "reos.identity"), typ follows reos.<context>.<aggregate>.<verb>,
// subject is usually the aggregate id, orgID is the tenant ("" for none) and
// data is marshalled to JSON (nil means no data).
func New(source, typ, subject, orgID string, data any) (Event, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, fmt.Errorf("events: generate id: %w", err)
	}
	ev := Event{
		SpecVersion:     SpecVersion,
		ID:              id.String(),
		Source:          source,
		Type:            typ,
		Subject:         subject,
		Time:            time.Now().UTC(),
		DataContentType: ContentTypeJSON,
		OrgID:           orgID,
	}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return Event{}, fmt.Errorf("%w: data: %v", ErrInvalidEvent, err)
		}
		ev.Data = raw
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// Validate reports every problem with ev in one error wrapping ErrInvalidEvent.
func (e Event) Validate() error {
	var problems []string
	if e.SpecVersion != SpecVersion {
		problems = append(problems, fmt.Sprintf("specversion is %q, want %q", e.SpecVersion, SpecVersion))
	}
	if _, err := uuid.Parse(e.ID); err != nil {
		problems = append(problems, fmt.Sprintf("id %q is not a UUID", e.ID))
	}
	if strings.TrimSpace(e.Source) == "" || strings.ContainsAny(e.Source, " \t\r\n") {
		problems = append(problems, fmt.Sprintf("source %q is empty or contains whitespace", e.Source))
	}
	if !typePattern.MatchString(e.Type) {
		problems = append(problems, fmt.Sprintf("type %q does not look like reos.<context>.<aggregate>.<verb>", e.Type))
	}
	if e.Time.IsZero() {
		problems = append(problems, "time is missing")
	}
	if e.DataContentType != "" && e.DataContentType != ContentTypeJSON {
		problems = append(problems, fmt.Sprintf("datacontenttype is %q, want %q", e.DataContentType, ContentTypeJSON))
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		problems = append(problems, "data is not valid JSON")
	}
	if e.OrgID != "" {
		if id, err := uuid.Parse(e.OrgID); err != nil || id == uuid.Nil {
			problems = append(problems, fmt.Sprintf("orgid %q is not a non-nil UUID", e.OrgID))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidEvent, strings.Join(problems, "; "))
}

// MarshalJSON writes the structured-mode envelope with time in UTC, so every
// producer emits the same RFC 3339 form whatever its local zone.
func (e Event) MarshalJSON() ([]byte, error) {
	type wire Event // same fields, no methods: avoids recursing into MarshalJSON
	w := wire(e)
	w.Time = e.Time.UTC()
	return json.Marshal(w)
}

// Decode parses a structured-mode envelope and validates it.
func Decode(b []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// DecodeData unmarshals the event's data into v.
func (e Event) DecodeData(v any) error {
	if len(e.Data) == 0 {
		return fmt.Errorf("%w: event %s has no data", ErrInvalidEvent, e.ID)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("events: decode data of %s (%s): %w", e.ID, e.Type, err)
	}
	return nil
}

// Topic names the topic of a bounded context: reos.<context>.events.
func Topic(boundedContext string) string {
	return "reos." + boundedContext + ".events"
}
