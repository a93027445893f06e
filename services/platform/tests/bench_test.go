package tests

import (
	"net/http"
	"testing"
)

// BenchmarkTestDelivery: one delivery with everything around it — the
// message row, signing, the POST to a local receiver and the WebhookLog
// row — through the HTTP API (POST /webhooks/{id}/test), in parallel.
func BenchmarkTestDelivery(b *testing.B) {
	e := newEnv(b)
	admin := e.user(newOrg(), permsAdmin...)
	ep := e.createEndpoint(admin, newReceiver(b).srv.URL, "*")
	path := "/api/v1/webhooks/" + ep.ID + "/test"
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := e.client.Do(http.MethodPost, path, admin.Token, nil)
			if r.Status != http.StatusOK {
				b.Fatalf("test delivery: %s", r)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
