package sink

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Handler is the sink's control endpoint for scripts and end-to-end tests:
// GET /stats (the counters as JSON), POST /reset, POST /drop-after?k=N.
func (s *Sink) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /drop-after", func(w http.ResponseWriter, r *http.Request) {
		k, err := strconv.Atoi(r.URL.Query().Get("k"))
		if err != nil || k < 0 {
			http.Error(w, "k: must be a non-negative integer", http.StatusBadRequest)
			return
		}
		s.SetDropAfter(k)
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
