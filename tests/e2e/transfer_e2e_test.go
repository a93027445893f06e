package e2e

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// e2eUpstreamTimeout is the gateway's UPSTREAM_TIMEOUT in the e2e stack.
const e2eUpstreamTimeout = 5 * time.Second

// transferScenarios: a bulk import whose upload takes longer than the
// gateway's UPSTREAM_TIMEOUT, sent slowly but steadily through nginx
// (which streams that location unbuffered), the gateway and property,
// completes: the timeout bounds the wait for the answer once the body is
// in, not the upload. Its own organisation, so it runs alone too
// (-run 'TestStack/slow_upload').
func transferScenarios(t *testing.T, s *Stack) {
	email := strings.ToLower(testkit.UniqueName(t, "slow")) + "@example.test"
	const pw = "slow upload password 1"
	r := do(t, http.MethodPost, s.API()+"/auth/register", "", map[string]string{
		"email": email, "password": pw, "full_name": "Slow Uploader", "organization_name": "Slow Realty",
	})
	expectStatus(t, r, http.StatusCreated, "register")
	token := login(t, s, email, pw)

	t.Run("a bulk import uploaded for longer than the upstream timeout completes", func(t *testing.T) {
		var csv strings.Builder
		csv.WriteString("listing_key,list_price_cents,property_type,unparsed_address,city\n")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(&csv, "SLOW-%d,%d,Residential,%d Tortoise Way,Gloucester\n", i, 30000000+i, i)
		}
		pr, w := io.Pipe()
		mw := multipart.NewWriter(w)
		// 24 pieces 300 ms apart: 7.2 s of upload against a 5 s timeout.
		const pieces, gap = 24, 300 * time.Millisecond
		go func() {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="file"; filename="slow.csv"`)
			h.Set("Content-Type", "text/csv")
			part, err := mw.CreatePart(h)
			data := csv.String()
			step := (len(data) + pieces - 1) / pieces
			for i := 0; i < len(data) && err == nil; i += step {
				time.Sleep(gap)
				_, err = io.WriteString(part, data[i:min(i+step, len(data))])
			}
			if err == nil {
				time.Sleep(gap)
				err = mw.Close()
			}
			w.CloseWithError(err)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.API()+"/properties/bulk-import", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		res, err := send(t, req)
		if err != nil {
			t.Fatalf("slow upload: %v", err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		took := time.Since(start)
		expectStatus(t, response{Status: res.StatusCode, Header: res.Header, Body: body}, http.StatusCreated, "slow import")
		if took < e2eUpstreamTimeout+time.Second {
			t.Fatalf("the upload took %s; the scenario needs it to outlast the %s upstream timeout", took, e2eUpstreamTimeout)
		}
		var imp importJSON
		response{Body: body}.json(t, &imp)
		if imp.Status != "completed" || imp.Report.Accepted != 3 {
			t.Fatalf("slow import = %s", body)
		}
	})
}
