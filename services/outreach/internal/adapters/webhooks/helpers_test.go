package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fixture reads testdata/<name>.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at returns a clock stopped at t.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func post(target string, body []byte) *http.Request {
	return httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
}

// wantErr fails unless err wraps want (nil: no error).
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// snsSigner is the test stand-in for AWS: its own RSA key and a
// self-signed certificate, served by a fake fetcher at the URL of a
// region's SNS host.
type snsSigner struct {
	key     *rsa.PrivateKey
	certPEM []byte
}

var (
	snsKeyOnce sync.Once
	snsKey     *rsa.PrivateKey
)

// newSNSSigner makes a certificate valid from notBefore to notAfter; the
// RSA key is shared by the package's tests (generating one is slow).
func newSNSSigner(t testing.TB, notBefore, notAfter time.Time) *snsSigner {
	t.Helper()
	snsKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		snsKey = k
	})
	return &snsSigner{key: snsKey, certPEM: selfSigned(t, snsKey, notBefore, notAfter)}
}

// selfSigned is a PEM certificate for key, valid from notBefore to notAfter.
func selfSigned(t testing.TB, key *rsa.PrivateKey, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// fakeFetcher serves fixed documents and counts the fetches by URL.
type fakeFetcher struct {
	mu      sync.Mutex
	docs    map[string][]byte
	fetched map[string]int
	err     error
}

func newFakeFetcher() *fakeFetcher {
	return &fakeFetcher{docs: map[string][]byte{}, fetched: map[string]int{}}
}

func (f *fakeFetcher) serve(url string, doc []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[url] = doc
}

func (f *fakeFetcher) Fetch(_ context.Context, url string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetched[url]++
	if f.err != nil {
		return nil, f.err
	}
	d, ok := f.docs[url]
	if !ok {
		return nil, errors.New("404")
	}
	return d, nil
}

func (f *fakeFetcher) count(url string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetched[url]
}

func (f *fakeFetcher) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.fetched {
		n += c
	}
	return n
}

func errIs(err, target error) bool { return errors.Is(err, target) }
