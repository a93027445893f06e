package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// MockEvent is one event as the mock provider posts it: the body is a JSON
// list of them, signed with the Standard Webhooks scheme.
type MockEvent struct {
	ID                string    `json:"id,omitempty"`
	Type              Type      `json:"type"`
	MessageKey        string    `json:"message_key,omitempty"`
	ProviderMessageID string    `json:"provider_message_id,omitempty"`
	Recipient         string    `json:"recipient,omitempty"`
	To                string    `json:"to,omitempty"`
	Body              string    `json:"body,omitempty"`
	URL               string    `json:"url,omitempty"`
	Detail            string    `json:"detail,omitempty"`
	At                time.Time `json:"at"`
}

// EncodeMock is the body the mock provider posts for events.
func EncodeMock(events []Event) ([]byte, error) {
	out := make([]MockEvent, len(events))
	for i, e := range events {
		out[i] = MockEvent{
			ID: e.ProviderEventID, Type: e.Type, MessageKey: e.MessageKey, ProviderMessageID: e.ProviderMessageID,
			Recipient: e.Recipient, To: e.To, Body: e.Body, URL: e.URL, Detail: e.Detail, At: e.At.UTC(),
		}
	}
	return json.Marshal(out)
}

// Mock decodes the mock provider's events.
type Mock struct {
	key []byte
	o   options
}

// NewMock is the mock provider's decoder; secret is "whsec_<base64 key>".
func NewMock(secret string, opts ...Option) (*Mock, error) {
	key, err := ParseStandardSecret(secret)
	if err != nil {
		return nil, err
	}
	return &Mock{key: key, o: buildOptions(opts)}, nil
}

// Provider is "mock".
func (*Mock) Provider() string { return "mock" }

var mockTypes = map[Type]bool{
	Delivered: true, BouncedHard: true, BouncedSoft: true, Complained: true, Opened: true,
	Clicked: true, Deferred: true, Inbound: true, Unsubscribe: true,
}

// Decode verifies the Standard Webhooks signature, then reads the list.
// An event without an id is given "<webhook-id>:<index>", so a redelivery
// of the same message gives the same ids.
func (m *Mock) Decode(_ context.Context, r *http.Request, body []byte) ([]Event, error) {
	msgID, err := verifyStandard(r.Header, m.key, body, m.o.now(), m.o.tolerance)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in []MockEvent
	if err := dec.Decode(&in); err != nil {
		return nil, malformed("body must be a JSON list of events: %v", err)
	}
	if dec.More() {
		return nil, malformed("body has data after the list")
	}
	out := make([]Event, 0, len(in))
	for i, e := range in {
		if !mockTypes[e.Type] {
			return nil, malformed("events[%d].type %q is not one of the event types", i, e.Type)
		}
		if e.MessageKey == "" && e.ProviderMessageID == "" && e.Type != Inbound {
			return nil, malformed("events[%d] names neither message_key nor provider_message_id", i)
		}
		if e.At.IsZero() {
			return nil, malformed("events[%d].at is required", i)
		}
		id := e.ID
		if id == "" {
			id = eventID(msgID, strconv.Itoa(i))
		}
		out = append(out, Event{
			Provider: "mock", ProviderEventID: id, Type: e.Type, MessageKey: e.MessageKey,
			ProviderMessageID: e.ProviderMessageID, Recipient: e.Recipient, To: e.To, Body: e.Body,
			URL: e.URL, Detail: e.Detail, At: e.At.UTC(),
		})
	}
	return out, nil
}
