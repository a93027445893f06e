package webhookhttp

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkSend: signed deliveries to a local receiver through the
// guarded transport (kept-alive connections), in parallel.
func BenchmarkSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	b.Cleanup(srv.Close)
	s := NewSender(NewGuard(loopbackOnly), 5*time.Second, time.Now)
	body := bytes.Repeat([]byte(`{"type":"lead.created","data":{"lead_id":"0190"}}`), 8)
	keys := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out := s.Send(context.Background(), Message{URL: srv.URL, ID: "msg_1", At: time.Now(), Body: body, Keys: keys})
			if out.Verdict != Delivered {
				b.Fatalf("outcome %+v", out)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
