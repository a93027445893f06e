package httpx

import (
	"io"
	"net/http"
	"time"
)

// IdleDeadlines bounds the pauses of an exchange on its connection rather
// than its length: each read of the request body must receive bytes within
// read, and each write of the response must be taken by the client within
// write. A slow but steady upload or download of any size goes through; a
// client that stops sending or stops reading is cut after one idle period.
//
// Use it instead of http.Server's ReadTimeout and WriteTimeout, which bound
// the whole request and the whole exchange (WriteTimeout counts from the
// moment the request's header was read), so they end every upload or
// download that takes longer, however steady; keep ReadHeaderTimeout for the
// header. Put it outermost, so the deadlines are set on the server's own
// writer in one step. Zero turns a side off.
//
// The read deadline is lifted once the body has been read to its end:
// net/http then watches the idle connection to notice a client leaving, and
// a deadline there would cancel a response still streaming. After a stall
// it stays expired, so the handler's answer (a 408, a 400) goes out at once
// and the connection is closed.
func IdleDeadlines(read, write time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			var dw *idleWriter
			if write > 0 {
				// Every write, flush and 1xx extends the deadline first, so
				// one left by the previous request on the connection never
				// fails this one. The deferred extend (it runs on panics
				// too) gives net/http's flush after the handler its window.
				dw = &idleWriter{ResponseWriter: w, rc: rc, idle: write}
				defer dw.extend()
			}
			if read > 0 && r.Body != nil && r.Body != http.NoBody {
				r.Body = &idleBody{ReadCloser: r.Body, rc: rc, idle: read, writer: dw}
			}
			if dw != nil {
				w = dw
			}
			next.ServeHTTP(w, r)
		})
	}
}

// idleBody sets the connection's read deadline before each read.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	off  bool // the connection takes no deadlines (a test recorder)
	done bool
	// writer, when write deadlines apply, is extended at the first read:
	// that read is when net/http writes a 100 Continue, which may come
	// long after the request started.
	writer *idleWriter
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	if b.writer != nil {
		b.writer.extend()
		b.writer = nil
	}
	if !b.off {
		b.off = b.rc.SetReadDeadline(time.Now().Add(b.idle)) != nil
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.done = true
		// At the end of the body the connection's reads become net/http's
		// watch for the client leaving: no deadline there. After a failure
		// (a stall past the deadline) the expired deadline stays, so that
		// net/http's attempt to drain the rest before answering fails at
		// once instead of waiting forever on a client that sends nothing.
		if err == io.EOF && !b.off {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

// idleWriter sets the connection's write deadline before each write and
// flush.
type idleWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

// extend may run on the goroutine reading the body (a proxy's) as well as
// the handler's; it only reads immutable fields.
func (w *idleWriter) extend() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.idle)) }

// WriteHeader extends the deadline: a 1xx status is written at once.
func (w *idleWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

// Write extends the deadline, then writes.
func (w *idleWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// Flush extends the deadline, then flushes when the writer can.
func (w *idleWriter) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
