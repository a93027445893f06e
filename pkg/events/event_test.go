package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/trace"
)

const testOrg = "0190f3c2-7d1e-7a4b-9c3e-2f6a8b9c0d1e"

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, source, typ, orgID string
		data                     any
		wantErr                  string
	}{
		{name: "valid", source: "reos.identity", typ: "reos.identity.user.registered", orgID: testOrg, data: map[string]string{"email": "a@b.c"}},
		{name: "valid without org or data", source: "reos.identity", typ: "reos.identity.org.created"},
		{name: "longer type", source: "/crm", typ: "reos.crm.lead.stage_changed.v2"},
		{name: "empty source", source: "", typ: "reos.identity.user.registered", wantErr: "source"},
		{name: "source with space", source: "reos identity", typ: "reos.identity.user.registered", wantErr: "source"},
		{name: "empty type", source: "reos.identity", typ: "", wantErr: "type"},
		{name: "type without reos prefix", source: "reos.identity", typ: "identity.user.registered.now", wantErr: "type"},
		{name: "type too short", source: "reos.identity", typ: "reos.identity.registered", wantErr: "type"},
		{name: "upper case type", source: "reos.identity", typ: "reos.Identity.user.registered", wantErr: "type"},
		{name: "org not a uuid", source: "reos.identity", typ: "reos.identity.user.registered", orgID: "acme", wantErr: "orgid"},
		{name: "nil org uuid", source: "reos.identity", typ: "reos.identity.user.registered", orgID: "00000000-0000-0000-0000-000000000000", wantErr: "orgid"},
		{name: "unmarshalable data", source: "reos.identity", typ: "reos.identity.user.registered", data: func() {}, wantErr: "data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := New(tc.source, tc.typ, "subject-1", tc.orgID, tc.data)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New err = %v, want ErrInvalidEvent mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			id, err := uuid.Parse(ev.ID)
			if err != nil || id.Version() != 7 {
				t.Errorf("id %q is not a UUIDv7", ev.ID)
			}
			if ev.SpecVersion != "1.0" || ev.DataContentType != "application/json" || ev.Time.Location() != time.UTC {
				t.Errorf("envelope defaults wrong: %+v", ev)
			}
			if (tc.data == nil) != (ev.Data == nil) {
				t.Errorf("data = %s for input %v", ev.Data, tc.data)
			}
		})
	}
}

func TestEventJSON(t *testing.T) {
	t.Parallel()
	ev, err := New("reos.identity", "reos.identity.user.registered", "user-1", testOrg, map[string]any{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	ev.Time = time.Date(2024, 5, 6, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	ev.TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"specversion":     `"1.0"`,
		"id":              `"` + ev.ID + `"`,
		"source":          `"reos.identity"`,
		"type":            `"reos.identity.user.registered"`,
		"subject":         `"user-1"`,
		"time":            `"2024-05-06T07:30:00Z"`,
		"datacontenttype": `"application/json"`,
		"data":            `{"n":1}`,
		"orgid":           `"` + testOrg + `"`,
		"traceparent":     `"` + ev.TraceParent + `"`,
	}
	for k, v := range want {
		if string(fields[k]) != v {
			t.Errorf("%s = %s, want %s", k, fields[k], v)
		}
	}
	if len(fields) != len(want) {
		t.Errorf("envelope has %d attributes, want %d (tracestate omitted when empty): %s", len(fields), len(want), raw)
	}

	back, err := Decode(raw)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !back.Time.Equal(ev.Time) || back.ID != ev.ID || back.OrgID != testOrg || string(back.Data) != `{"n":1}` {
		t.Errorf("round trip = %+v", back)
	}
	var data struct{ N int }
	if err := back.DecodeData(&data); err != nil || data.N != 1 {
		t.Errorf("DecodeData = %+v, %v", data, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"not json", `hello`},
		{"wrong specversion", `{"specversion":"0.3","id":"0190f3c2-7d1e-7a4b-9c3e-2f6a8b9c0d1e","source":"s","type":"reos.a.b.c","time":"2024-01-01T00:00:00Z"}`},
		{"missing id", `{"specversion":"1.0","source":"s","type":"reos.a.b.c","time":"2024-01-01T00:00:00Z"}`},
		{"missing time", `{"specversion":"1.0","id":"0190f3c2-7d1e-7a4b-9c3e-2f6a8b9c0d1e","source":"s","type":"reos.a.b.c"}`},
		{"xml data", `{"specversion":"1.0","id":"0190f3c2-7d1e-7a4b-9c3e-2f6a8b9c0d1e","source":"s","type":"reos.a.b.c","time":"2024-01-01T00:00:00Z","datacontenttype":"application/xml"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Decode([]byte(tc.body)); !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Decode err = %v, want ErrInvalidEvent", err)
			}
		})
	}
}

func TestTopic(t *testing.T) {
	t.Parallel()
	if got := Topic("identity"); got != "reos.identity.events" {
		t.Fatalf("Topic = %q", got)
	}
}

func TestHeaderCarrierRoundTrip(t *testing.T) {
	t.Parallel()
	traceID, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	spanID, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ts, _ := trace.ParseTraceState("vendor=x")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled, TraceState: ts})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)

	th := traceHeaders(ctx)
	if th[HeaderTraceParent] != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" || th[HeaderTraceState] != "vendor=x" {
		t.Fatalf("traceHeaders = %v", th)
	}
	hs := []kafka.Header{{Key: HeaderTraceParent, Value: []byte("stale")}}
	c := headerCarrier{headers: &hs}
	c.Set(HeaderTraceParent, th[HeaderTraceParent])
	c.Set(HeaderTraceState, th[HeaderTraceState])
	if len(hs) != 2 || c.Get(HeaderTraceParent) != th[HeaderTraceParent] || len(c.Keys()) != 2 {
		t.Fatalf("carrier headers = %v", hs)
	}

	tests := []struct {
		name    string
		headers []kafka.Header
		ev      Event
	}{
		{name: "from headers", headers: hs},
		{name: "from envelope when headers lack it", ev: Event{TraceParent: th[HeaderTraceParent], TraceState: "vendor=x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := trace.SpanContextFromContext(extractTrace(context.Background(), tc.headers, tc.ev))
			if got.TraceID() != traceID || got.SpanID() != spanID || !got.IsRemote() || got.TraceState().String() != "vendor=x" {
				t.Fatalf("extracted %+v", got)
			}
		})
	}
	if got := trace.SpanContextFromContext(extractTrace(context.Background(), nil, Event{})); got.IsValid() {
		t.Fatalf("extracted %+v from nothing", got)
	}
}

func TestEarliest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows []map[int]int64
		want map[int]int64
	}{
		{"one row", []map[int]int64{{0: 5, 1: 7}}, map[int]int64{0: 5, 1: 7}},
		{"minimum per partition", []map[int]int64{{0: 5, 1: 7}, {0: 3, 1: 9}}, map[int]int64{0: 3, 1: 7}},
		{"partition missing in one row scans from start", []map[int]int64{{0: 5, 1: 7}, {0: 6}}, map[int]int64{0: 5}},
		{"empty probe", []map[int]int64{{}, {0: 1}}, map[int]int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows := make([]outboxRow, len(tc.rows))
			for i, p := range tc.rows {
				rows[i].probe = p
			}
			got := earliest(rows)
			if len(got) != len(tc.want) {
				t.Fatalf("earliest = %v, want %v", got, tc.want)
			}
			for p, off := range tc.want {
				if got[p] != off {
					t.Fatalf("earliest = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := newBackoff(100*time.Millisecond, time.Second)
	prev := time.Duration(0)
	for i := range 10 {
		d := b.next()
		if d <= 0 || d > time.Second {
			t.Fatalf("step %d: %s out of range", i, d)
		}
		if i < 3 && d < prev {
			t.Fatalf("step %d: %s shorter than %s", i, d, prev)
		}
		prev = d
	}
	b.reset()
	if d := b.next(); d > 100*time.Millisecond {
		t.Fatalf("after reset: %s", d)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	if _, err := NewRelay(RelayConfig{}); err == nil || !strings.Contains(err.Error(), "nil Pool") || !strings.Contains(err.Error(), "nil Logger") {
		t.Errorf("NewRelay(zero) err = %v", err)
	}
	if _, err := NewConsumer(ConsumerConfig{}); err == nil || !strings.Contains(err.Error(), "nil Handler") || !strings.Contains(err.Error(), "empty GroupID") {
		t.Errorf("NewConsumer(zero) err = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("NewOutbox(\"\") did not panic")
		}
	}()
	NewOutbox("")
}
