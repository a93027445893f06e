package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"reos.dev/pkg/apperr"
)

// Intake limits. SniffBytes is what mimetype reads by default; the others
// bound what a request may send besides the file.
const (
	SniffBytes       = 4096
	MaxFormFields    = 16
	MaxFieldBytes    = 4096
	maxFileNameBytes = 255
	// formOverhead is room for part headers and boundaries on top of the
	// file and the fields.
	formOverhead = 64 << 10
)

// DefaultFileField is the form field that carries the file.
const DefaultFileField = "file"

// ReasonInterrupted is the problem reason of an upload the client did not
// finish sending (see Upload.Receive).
const ReasonInterrupted = "upload_interrupted"

// Rules say what an upload may be; they come from the caller, never from
// the client.
type Rules struct {
	// FileField names the file's form field (DefaultFileField when empty).
	FileField string
	// MaxBytes is the largest file accepted (required, > 0).
	MaxBytes int64
	// Allow lists the accepted media types as sniffed from the bytes,
	// matched exactly without parameters (ImageTypes, DocumentTypes).
	Allow []string
	// Fields lists the text fields accepted before the file part.
	Fields []string
	// Check, when set, validates the text fields before the file is read,
	// so a bad caption costs no write.
	Check func(fields map[string]string) error
}

// Received is a stored upload.
type Received struct {
	// Object is what the store recorded: key, sniffed type, size, SHA-256.
	Object Object
	// FileName is the client's file name, sanitised (SanitizeFileName), or
	// "file" with the sniffed type's extension when it gave none.
	FileName string
	// Fields are the text fields sent before the file.
	Fields map[string]string
}

// Upload is one multipart/form-data request body not yet read. Creating it
// reads nothing, so a service can check the caller and the target first and
// answer 403 or 404 without consuming the body.
type Upload struct {
	contentType   string
	contentLength int64
	body          *clientBody
	used          bool
}

// NewUpload wraps r's body.
func NewUpload(r *http.Request) *Upload {
	var body io.Reader = http.NoBody
	if r.Body != nil {
		body = r.Body
	}
	return &Upload{contentType: r.Header.Get("Content-Type"), contentLength: r.ContentLength, body: &clientBody{r: body}}
}

// clientBody remembers why the request body failed, if it did. Any error
// but EOF from a server request's body comes from the client's side of the
// connection: it was cut (unexpected EOF), reset, or stalled past a read
// deadline. Only a size limit (http.MaxBytesReader) is not an interruption.
type clientBody struct {
	r   io.Reader
	err error
}

func (c *clientBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && c.err == nil {
		var maxErr *http.MaxBytesError
		if !errors.As(err, &maxErr) {
			c.err = err
		}
	}
	return n, err
}

// Receive reads the form: text fields (only those in rules.Fields, at most
// MaxFormFields of MaxFieldBytes each) up to the file part, then the file's
// first SniffBytes to detect its type (refused with 415 naming the file
// field unless in rules.Allow, whatever the client's Content-Type or file
// name claim), then streams it into store under key while the store hashes
// it, refusing it with 413 once it passes rules.MaxBytes. Nothing but the
// sniff buffer and the copy buffer is held in memory. A part after the file
// is refused (the file comes last, as in S3's POST uploads) and the stored
// object deleted; so is anything stored when a later step fails.
//
// A client that stops half-way (the connection cut or reset, the body
// stalled past the server's read deadline, the request cancelled) is not a
// server failure: whatever step noticed it, the answer is a 400
// ReasonInterrupted naming the file field, wrapping the cause, and nothing
// is kept. The client has usually gone; the 400 is what the access log and
// metrics record instead of a 500.
func (u *Upload) Receive(ctx context.Context, store Store, key string, rules Rules) (Received, error) {
	if u.used {
		return Received{}, errors.New("storage: Upload.Receive called twice")
	}
	u.used = true
	if rules.MaxBytes <= 0 {
		return Received{}, errors.New("storage: Upload.Receive: Rules.MaxBytes must be positive")
	}
	field := rules.FileField
	if field == "" {
		field = DefaultFileField
	}
	got, err := u.receive(ctx, store, key, field, rules)
	if err != nil {
		if cause := u.interruption(ctx, err); cause != nil {
			return Received{}, errInterrupted(field, cause)
		}
	}
	return got, err
}

// interruption returns why the client stopped sending, or nil when err has
// another cause. A failed body read decides it whatever error the step that
// saw it made of it (a cut inside the sniffed head looks like a short file,
// a cut in a part header like a malformed form).
func (u *Upload) interruption(ctx context.Context, err error) error {
	if u.body.err != nil {
		return u.body.err
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return err
	}
	return nil
}

func errInterrupted(field string, cause error) error {
	e := apperr.Wrap(cause, apperr.KindBadRequest, ReasonInterrupted,
		"the upload ended before the file was complete (the connection broke or stopped sending); send it again")
	e.Fields = []apperr.FieldError{{Field: field, Message: "was not received completely"}}
	return e
}

func (u *Upload) receive(ctx context.Context, store Store, key, field string, rules Rules) (Received, error) {
	mr, err := u.reader(rules, field)
	if err != nil {
		return Received{}, err
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return Received{}, apperr.Invalid(field, "is required: send the file as a multipart/form-data part named "+field)
		}
		if err != nil {
			return Received{}, bodyError(err, field, rules)
		}
		name := part.FormName()
		if name == field {
			if rules.Check != nil {
				if err := rules.Check(fields); err != nil {
					return Received{}, err
				}
			}
			return u.store(ctx, mr, part, store, key, field, fields, rules)
		}
		if err := readField(part, name, fields, rules); err != nil {
			return Received{}, bodyError(err, field, rules)
		}
	}
}

// reader checks the request's media type and bounds the whole body.
func (u *Upload) reader(rules Rules, field string) (*multipart.Reader, error) {
	mt, params, err := mime.ParseMediaType(u.contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		e := apperr.New(apperr.KindUnsupportedMediaType, "unsupported_media_type",
			"the body must be multipart/form-data with the file in a part named "+field)
		e.Fields = []apperr.FieldError{{Field: "Content-Type", Message: "must be multipart/form-data"}}
		return nil, e
	}
	limit := rules.MaxBytes + MaxFormFields*MaxFieldBytes + formOverhead
	if u.contentLength > limit {
		return nil, errTooLarge(field, rules.MaxBytes)
	}
	return multipart.NewReader(&limitReader{r: u.body, left: limit}, params["boundary"]), nil
}

// readField reads one text field before the file.
func readField(part *multipart.Part, name string, fields map[string]string, rules Rules) error {
	switch {
	case name == "":
		return apperr.BadRequest("body", "every part needs a form field name")
	case part.FileName() != "":
		return apperr.Invalid(name, "only one file per request, in the file field")
	case !slices.Contains(rules.Fields, name):
		return apperr.Invalid(name, "is not a field of this request")
	}
	if _, dup := fields[name]; dup {
		return apperr.Invalid(name, "is given twice")
	}
	if len(fields) >= MaxFormFields {
		return apperr.BadRequest("body", fmt.Sprintf("at most %d form fields", MaxFormFields))
	}
	b, err := io.ReadAll(io.LimitReader(part, MaxFieldBytes+1))
	if err != nil {
		return err
	}
	if len(b) > MaxFieldBytes {
		return apperr.Invalid(name, fmt.Sprintf("is longer than %d bytes", MaxFieldBytes))
	}
	if !utf8.Valid(b) {
		return apperr.Invalid(name, "must be UTF-8 text")
	}
	fields[name] = string(b)
	return nil
}

func (u *Upload) store(ctx context.Context, mr *multipart.Reader, part *multipart.Part, store Store, key, field string, fields map[string]string, rules Rules) (Received, error) {
	head := make([]byte, SniffBytes)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Received{}, bodyError(err, field, rules)
	}
	head = head[:n]
	if n == 0 {
		return Received{}, apperr.Invalid(field, "is empty")
	}
	detected := mimetype.Detect(head)
	base, _, _ := mime.ParseMediaType(detected.String())
	if !slices.Contains(rules.Allow, base) {
		e := apperr.New(apperr.KindUnsupportedMediaType, "unsupported_file_type", "the file's content is not an accepted type")
		e.Fields = []apperr.FieldError{{Field: field, Message: fmt.Sprintf("is %s by its content; accepted: %s",
			base, strings.Join(rules.Allow, ", "))}}
		return Received{}, e
	}
	name := SanitizeFileName(part.FileName())
	if name == "" {
		name = "file" + detected.Extension()
	}
	src := &limitReader{r: io.MultiReader(bytes.NewReader(head), part), left: rules.MaxBytes, tooLarge: errTooLarge(field, rules.MaxBytes)}
	obj, err := store.Put(ctx, key, src, ObjectMeta{ContentType: detected.String(), FileName: name})
	if err != nil {
		return Received{}, bodyError(err, field, rules)
	}
	// Nothing may follow the file: a field sent after it would be silently
	// lost, a second file ignored.
	next, err := mr.NextPart()
	if !errors.Is(err, io.EOF) {
		_ = store.Delete(context.WithoutCancel(ctx), key)
		if err != nil {
			return Received{}, bodyError(err, field, rules)
		}
		return Received{}, apperr.Invalid(next.FormName(), "must come before the file part (the file is the last part, one per request)")
	}
	return Received{Object: obj, FileName: name, Fields: fields}, nil
}

// bodyError turns a failure to read the body into a problem: over a limit is
// 413, a cut or malformed body 400; apperr values and cancellations pass.
func bodyError(err error, field string, rules Rules) error {
	if _, ok := apperr.As(err); ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, errBodyTooLarge) {
		return errTooLarge(field, rules.MaxBytes)
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return errTooLarge(field, rules.MaxBytes)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart: ") {
		return apperr.BadRequest("body", "the multipart body is malformed or ends early")
	}
	if errors.Is(err, ErrExists) {
		return err
	}
	return fmt.Errorf("storage: receive: %w", err)
}

func errTooLarge(field string, max int64) error {
	e := apperr.New(apperr.KindTooLarge, "file_too_large", fmt.Sprintf("the file exceeds %d bytes", max))
	e.Fields = []apperr.FieldError{{Field: field, Message: fmt.Sprintf("must be at most %d bytes", max)}}
	return e
}

var errBodyTooLarge = errors.New("storage: request body over its limit")

// limitReader fails once more than left bytes are read: with tooLarge for
// the file, errBodyTooLarge for the whole body.
type limitReader struct {
	r        io.Reader
	left     int64
	tooLarge error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, l.err()
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, l.err()
	}
	return n, err
}

func (l *limitReader) err() error {
	if l.tooLarge != nil {
		return l.tooLarge
	}
	return errBodyTooLarge
}

// SanitizeFileName keeps a client's file name fit to store and to offer in
// Content-Disposition: the last path element (either slash), valid UTF-8,
// no control or format characters, no quotes or backslashes, trimmed of
// spaces and dots, at most 255 bytes. It returns "" when nothing is left.
func SanitizeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '"', r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if len(name) > maxFileNameBytes {
		cut := maxFileNameBytes
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = strings.TrimRight(name[:cut], " .")
	}
	return name
}
