package events

import (
	"context"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Kafka header names set on every published message.
const (
	HeaderContentType = "content-type"
	HeaderID          = "ce_id"
	HeaderType        = "ce_type"
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// headerCarrier adapts Kafka message headers to otel's TextMapCarrier.
type headerCarrier struct{ headers *[]kafka.Header }

var _ propagation.TextMapCarrier = headerCarrier{}

func (c headerCarrier) Get(key string) string {
	// The last occurrence wins, as with repeated HTTP headers set by a proxy.
	for i := len(*c.headers) - 1; i >= 0; i-- {
		if (*c.headers)[i].Key == key {
			return string((*c.headers)[i].Value)
		}
	}
	return ""
}

func (c headerCarrier) Set(key, value string) {
	for i := range *c.headers {
		if (*c.headers)[i].Key == key {
			(*c.headers)[i].Value = []byte(value)
			return
		}
	}
	*c.headers = append(*c.headers, kafka.Header{Key: key, Value: []byte(value)})
}

func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(*c.headers))
	for _, h := range *c.headers {
		keys = append(keys, h.Key)
	}
	return keys
}

// Trace propagation uses propagation.TraceContext (W3C traceparent /
// tracestate) directly rather than otel's global propagator: it is the wire
// contract, so headers are written and read the same way whatever the process
// configured globally (the global default propagates nothing).

// traceHeaders returns the trace context of ctx as header values (empty map
// when ctx carries no valid span context).
func traceHeaders(ctx context.Context) map[string]string {
	m := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, m)
	return m
}

// extractTrace returns ctx with the remote span context found in the message
// headers, falling back to the envelope's traceparent/tracestate attributes
// (a message written by another producer may carry only those).
func extractTrace(ctx context.Context, headers []kafka.Header, ev Event) context.Context {
	out := propagation.TraceContext{}.Extract(ctx, headerCarrier{headers: &headers})
	if trace.SpanContextFromContext(out).IsValid() || ev.TraceParent == "" {
		return out
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{
		HeaderTraceParent: ev.TraceParent,
		HeaderTraceState:  ev.TraceState,
	})
}
