package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

// refusedBy is a decision as the sliding log returns it when checks[i]
// has remaining[i] left and its oldest admission leaves in reset[i].
func refusedBy(allowed bool, checks []Check, remaining []int, reset []time.Duration) Decision {
	d := Decision{Allowed: allowed, n: len(checks)}
	for i, c := range checks {
		d.results[i] = Result{Limit: c.Limit, Remaining: remaining[i], Reset: reset[i]}
		if !allowed && remaining[i] == 0 {
			d.RetryAfter = max(d.RetryAfter, reset[i])
		}
	}
	return d
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ip, err := NewLimit("ip", 5, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := NewLimit("auth", 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1_700_000_000, 0)
	r := NewRefusals()
	r.now = func() time.Time { return clock }
	a := Check{Limit: ip, Subject: "198.51.100.1"}
	b := Check{Limit: ip, Subject: "198.51.100.2"}
	strict := Check{Limit: auth, Subject: "198.51.100.1"}

	if _, refused := r.Refused(a); refused {
		t.Fatal("refused before any refusal was noted")
	}
	// An admission that leaves room is not remembered.
	r.Note(refusedBy(true, []Check{a}, []int{1}, []time.Duration{time.Minute}), a)
	if _, refused := r.Refused(a); refused {
		t.Fatal("an admission with room left was remembered as a refusal")
	}
	// A refusal by the strict limit leaves the address's own limit open.
	r.Note(refusedBy(false, []Check{a, strict}, []int{2, 0}, []time.Duration{time.Minute, 40 * time.Second}), a)
	if _, refused := r.Refused(a); refused {
		t.Fatal("a check with room left was remembered as refused")
	}

	r.Note(refusedBy(false, []Check{a}, []int{0}, []time.Duration{30 * time.Second}), a)
	clock = clock.Add(10 * time.Second)
	d, refused := r.Refused(a)
	if !refused || d.Allowed || d.RetryAfter != 20*time.Second {
		t.Fatalf("Refused = %v, %+v; want a refusal for 20s more", refused, d)
	}
	h := http.Header{}
	d.SetHeaders(h)
	if h.Get(HeaderPolicy) != `"ip";q=5;w=60` || h.Get(HeaderRateLimit) != `"ip";r=0;t=20` || h.Get(HeaderRetryAfter) != "20" {
		t.Errorf("headers of a remembered refusal: %v", h)
	}
	if d.Err() == nil {
		t.Error("a remembered refusal has no error to answer with")
	}
	if _, refused := r.Refused(b); refused {
		t.Error("another subject was refused")
	}
	if _, refused := r.Refused(strict); refused {
		t.Error("another limit of the same subject was refused")
	}

	// The refusal ends when the window has room again, and is swept.
	clock = clock.Add(20 * time.Second)
	if _, refused := r.Refused(a); refused {
		t.Fatal("still refused once the window has room")
	}
	clock = clock.Add(sweepEvery)
	r.Refused(a)
	if n := r.size.Load(); n != 0 {
		t.Errorf("%d refusals kept after they ended", n)
	}

	// The last admission of a window fills it: the next request is
	// refused until the oldest admission leaves.
	r.Note(refusedBy(true, []Check{b}, []int{0}, []time.Duration{time.Minute}), b)
	if d, refused := r.Refused(b); !refused || d.RetryAfter != time.Minute {
		t.Errorf("after the window's last admission: Refused = %v, %+v", refused, d)
	}
}
