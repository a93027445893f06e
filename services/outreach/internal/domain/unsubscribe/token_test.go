package unsubscribe_test

import (
	"errors"
	"strings"
	"testing"

	"reos.dev/services/outreach/internal/domain/unsubscribe"
)

var claims = unsubscribe.Claims{OrgID: "01900000-0000-7000-8000-000000000001", Channel: "email", Address: "jo@example.com",
	LeadID: "01900000-0000-7000-8000-0000000000aa"}

func signer(t testing.TB, secret string) *unsubscribe.Signer {
	t.Helper()
	s, err := unsubscribe.NewSigner([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const secret = "a secret of at least thirty-two bytes!"

func TestRoundTripAndTampering(t *testing.T) {
	t.Parallel()
	s := signer(t, secret)
	tok, err := s.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(tok)
	if err != nil || got != claims {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	// Every single-byte change of the token is refused.
	for i := range len(tok) {
		b := []byte(tok)
		b[i] ^= 1
		if _, err := s.Verify(string(b)); !errors.Is(err, unsubscribe.ErrInvalid) {
			t.Fatalf("token changed at %d verified: %v", i, err)
		}
	}
	if _, err := signer(t, secret+"x").Verify(tok); !errors.Is(err, unsubscribe.ErrInvalid) {
		t.Fatal("another secret's token verified")
	}
	if _, err := unsubscribe.NewSigner([]byte("short")); err == nil {
		t.Fatal("a short secret was accepted")
	}
	if _, err := s.Sign(unsubscribe.Claims{OrgID: "x", Channel: "email", Address: "a"}); err == nil {
		t.Fatal("claims without a valid org were signed")
	}
	if strings.Contains(s.String(), secret) {
		t.Fatal("the signer prints its secret")
	}
}

// FuzzVerify: whatever the input, Verify never panics, and what it accepts
// is exactly a token Sign makes for the claims it returns.
func FuzzVerify(f *testing.F) {
	s := signer(f, secret)
	tok, err := s.Sign(claims)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{tok, "", ".", "u1..", "u1.e30.", tok + "x", strings.Replace(tok, "u1", "u2", 1)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := s.Verify(in)
		if err != nil {
			return
		}
		again, err := s.Sign(c)
		if err != nil {
			t.Fatalf("accepted claims %+v cannot be signed: %v", c, err)
		}
		if again != in {
			t.Fatalf("accepted %q, which is not the token of its claims %q", in, again)
		}
	})
}
