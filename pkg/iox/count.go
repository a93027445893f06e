// Package iox holds the io helpers several packages need and no single
// one owns: httpx (JSON bodies) and the services' app layers (files they
// read) share them without the app importing a transport package.
package iox

import "io"

// CountingReader counts the bytes read through it: how much of a body a
// decoder consumed (over a limit or not), how far into a file a reader that
// buffers ahead has got.
type CountingReader struct {
	r io.Reader
	n int64
}

// NewCountingReader counts what is read from r.
func NewCountingReader(r io.Reader) *CountingReader { return &CountingReader{r: r} }

// Read reads from the underlying reader, counting what it returns, an
// error's partial read included.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// N is the number of bytes read so far.
func (c *CountingReader) N() int64 { return c.n }
