package tests

import (
	"bytes"
	"net/http"
	"testing"
)

// fuzzSeeds are bodies worth trying on every JSON endpoint.
var fuzzSeeds = []string{
	``, `{}`, `[]`, `null`, `"x"`, `{"email":`, `{"email":null}`, `{"email":5,"password":true}`,
	`{"email":"a@b.test","password":"x"}`, `{"email":"\u0000","password":"\u0000"}`,
	`{"email":"a@b.test","password":"correct horse battery","extra":1}`,
	`{"email":"` + string(bytes.Repeat([]byte("a"), 5000)) + `@b.test","password":"p"}`,
	`{"email":"a@b.test","password":"correct horse battery"} trailing`,
	`{"email":"\ud800@x.test","password":"\uffff\uffff\uffff\uffff\uffff\uffff"}`,
	`{"email":"UPPER@CASE.TEST","password":"correct horse battery","full_name":"\t","organization_name":" "}`,
	`{"email":"ok@fuzz.test","password":"correct horse battery","full_name":"F","organization_name":"O"}`,
	`{"email":"ok2@fuzz.test","password":"correct horse battery","full_name":"F\u0000","organization_name":"O"}`,
	`{"email":"a@b.test","password":"correct horse battery","full_name":{"x":1},"organization_name":[1]}`,
}

func fuzzEndpoint(f *testing.F, path string) {
	e := newEnv(f)
	e.register("fuzz-existing@fuzz.test", "Fuzz Co")
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest(http.MethodPost, e.client.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s %q: status %d", path, body, res.StatusCode)
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s %q: status %d with Content-Type %q", path, body, res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

func FuzzLoginRequest(f *testing.F)    { fuzzEndpoint(f, "/api/v1/auth/login") }
func FuzzRegisterRequest(f *testing.F) { fuzzEndpoint(f, "/api/v1/auth/register") }
