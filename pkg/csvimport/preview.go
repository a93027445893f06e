package csvimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"

	"reos.dev/pkg/apperr"
)

// PreviewRows is how many records a dry run reads.
const PreviewRows = 50

// Preview is a dry run's answer: the mapping the import would use, why,
// the columns it would ignore, and what would become of the first
// PreviewRows records. Mapping is in the form an import accepts: edit it
// and send it back with the file.
type Preview struct {
	Columns  []ColumnMapping   `json:"columns"`
	Mapping  map[string]string `json:"mapping"`
	Unmapped []string          `json:"unmapped_columns"`
	Rows     []PreviewRow      `json:"rows"`
	// More says whether the file has records past the ones previewed.
	More bool `json:"more"`
}

// Outcomes of a previewed record.
const (
	OutcomeImport = "import" // valid: the import loads it (unless what it describes is there already)
	OutcomeReject = "reject" // the import rejects it, for Errors
)

// PreviewRow is the outcome of one previewed record.
type PreviewRow struct {
	Line    int        `json:"line"`
	Outcome string     `json:"outcome"`
	Errors  []RowError `json:"errors,omitempty"`
	// Notes are what the import would do beyond the row (a lead source
	// created, an agent not found): Batches that implement Noter say.
	Notes []string `json:"notes,omitempty"`
}

// Noter is what a Batches may implement to tell a dry run what a planned
// row would do beyond being written.
type Noter[R any] interface {
	Notes(row R) []string
}

// Preview dry-runs imp (its FileKey and Mapping; nothing of it is stored):
// the header is mapped and checked as an import's, and the first
// PreviewRows records are planned — never written. A file that cannot be
// imported at all is the apperr an import would answer.
func (r *Runner[Tx, I, R]) Preview(ctx context.Context, imp I) (Preview, error) {
	st := imp.ImportState()
	rc, _, err := r.cfg.Files.Open(ctx, st.FileKey)
	if err != nil {
		return Preview{}, err
	}
	defer rc.Close()
	rep := NewReport()
	rd, err := r.open(rc, &State{Mapping: st.Mapping}, &rep)
	if err != nil {
		return Preview{}, err
	}
	b, err := r.imp.Begin(ctx, imp, rd)
	if err != nil {
		return Preview{}, err
	}
	noter, _ := b.(Noter[R])
	p := Preview{Columns: slices.Clone(rep.Columns), Mapping: rep.MappingOf(), Unmapped: slices.Clone(rep.IgnoredColumns), Rows: []PreviewRow{}}
	for records := 0; ; {
		before := len(rep.Errors)
		rec, err := rd.Next()
		// Records the reader rejected on the way (broken quoting, a wrong
		// column count) count as previewed.
		for _, e := range rep.Errors[before:] {
			p.Rows = append(p.Rows, PreviewRow{Line: e.Line, Outcome: OutcomeReject, Errors: []RowError{e}})
			records++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Preview{}, err
		}
		if records >= PreviewRows {
			p.More = true
			break
		}
		records++
		row, errs := b.Plan(rec)
		if len(errs) > 0 {
			p.Rows = append(p.Rows, PreviewRow{Line: rec.Line, Outcome: OutcomeReject, Errors: errs})
			continue
		}
		pr := PreviewRow{Line: rec.Line, Outcome: OutcomeImport}
		if noter != nil {
			pr.Notes = noter.Notes(row)
		}
		p.Rows = append(p.Rows, pr)
	}
	if len(p.Rows) > PreviewRows {
		p.Rows, p.More = p.Rows[:PreviewRows], true
	}
	return p, nil
}

// ParamDryRun is the query parameter of an import's upload that asks for a
// Preview instead of the import.
const ParamDryRun = "dry_run"

// DryRun reads ?dry_run=: absent or "false" imports, "true" previews;
// another value is a 422 naming the parameter.
func DryRun(q url.Values) (bool, error) {
	switch v := q.Get(ParamDryRun); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, apperr.Invalid(ParamDryRun, fmt.Sprintf("must be true or false, not %q", v))
	}
}

// UploadAnswer is what an import's upload answers (pkg/httpx encodes it):
// the import T, with its own status and headers when it has them
// (httpx.StatusCoder, Headers), or for a dry run the Preview, 200.
type UploadAnswer[T any] struct {
	Import  T
	Preview *Preview
}

// StatusCode is 200 for a preview, else the import's.
func (a UploadAnswer[T]) StatusCode() int {
	if a.Preview != nil {
		return http.StatusOK
	}
	if sc, ok := any(a.Import).(interface{ StatusCode() int }); ok {
		return sc.StatusCode()
	}
	return 0
}

// Headers are the import's (none for a preview).
func (a UploadAnswer[T]) Headers() http.Header {
	if h, ok := any(a.Import).(interface{ Headers() http.Header }); ok && a.Preview == nil {
		return h.Headers()
	}
	return nil
}

// MarshalJSON encodes the preview or the import.
func (a UploadAnswer[T]) MarshalJSON() ([]byte, error) {
	if a.Preview != nil {
		return json.Marshal(a.Preview)
	}
	return json.Marshal(a.Import)
}
