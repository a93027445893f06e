package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"time"
)

// Disk is a Store on a local directory: the MODE=mock stand-in for S3, and
// usable in production on a persistent volume until the S3 adapter exists.
//
// Layout under the root: objects/<key> holds the bytes, meta/<key>.json the
// Object, tmp/ the files being written. A Put writes and fsyncs both in tmp/,
// then links the data into place (link fails if the key exists, so two
// writers cannot both win) and then the metadata, fsyncing the directories.
// An object becomes visible when its metadata appears, so a reader never
// sees a half-written object; a crash leaves at most an unreferenced file.
type Disk struct {
	objects, meta, tmp string
	now                func() time.Time
}

var _ Store = (*Disk)(nil)

// NewDisk opens (creating if needed) a disk store rooted at dir.
func NewDisk(dir string) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("storage: NewDisk: empty directory")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: NewDisk: %w", err)
	}
	d := &Disk{objects: filepath.Join(root, "objects"), meta: filepath.Join(root, "meta"), tmp: filepath.Join(root, "tmp"),
		now: func() time.Time { return time.Now().UTC() }}
	for _, p := range []string{d.objects, d.meta, d.tmp} {
		if err := os.MkdirAll(p, 0o750); err != nil {
			return nil, fmt.Errorf("storage: NewDisk: %w", err)
		}
	}
	return d, nil
}

func (d *Disk) dataPath(key string) string { return filepath.Join(d.objects, filepath.FromSlash(key)) }
func (d *Disk) metaPath(key string) string {
	return filepath.Join(d.meta, filepath.FromSlash(key)+".json")
}

// Put implements Store.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, meta ObjectMeta) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, err
	}
	if _, _, err := mime.ParseMediaType(meta.ContentType); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: bad content type %q", key, meta.ContentType)
	}
	if _, err := os.Stat(d.metaPath(key)); err == nil {
		return Object{}, ErrExists
	}
	data, size, sum, err := d.writeTemp(ctx, r)
	if err != nil {
		return Object{}, err
	}
	defer os.Remove(data)
	obj := Object{Key: key, ContentType: meta.ContentType, FileName: meta.FileName, Size: size, SHA256: sum,
		Created: d.now().Truncate(time.Second)}
	doc, err := json.Marshal(obj)
	if err != nil {
		return Object{}, err
	}
	metaTmp, err := d.writeTempBytes(doc)
	if err != nil {
		return Object{}, err
	}
	defer os.Remove(metaTmp)

	dst := d.dataPath(key)
	if err := linkInto(data, dst); err != nil {
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err := linkInto(metaTmp, d.metaPath(key)); err != nil {
		_ = os.Remove(dst)
		return Object{}, fmt.Errorf("storage: put %s: %w", key, err)
	}
	return obj, nil
}

// writeTemp copies r into a new file under tmp/, hashing and counting, and
// fsyncs it.
func (d *Disk) writeTemp(ctx context.Context, r io.Reader) (path string, size int64, sum string, err error) {
	f, err := os.CreateTemp(d.tmp, "put-*")
	if err != nil {
		return "", 0, "", fmt.Errorf("storage: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), ctxReader{ctx: ctx, r: r})
	if err != nil {
		return "", 0, "", fmt.Errorf("storage: write: %w", err)
	}
	if err = f.Sync(); err != nil {
		return "", 0, "", fmt.Errorf("storage: sync: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", 0, "", fmt.Errorf("storage: close: %w", err)
	}
	return f.Name(), size, hex.EncodeToString(h.Sum(nil)), nil
}

func (d *Disk) writeTempBytes(b []byte) (string, error) {
	path, _, _, err := d.writeTemp(context.Background(), bytes.NewReader(b))
	return path, err
}

// linkInto makes dst a hard link of src (failing if dst exists) and fsyncs
// dst's directory so the new name survives a crash.
func linkInto(src, dst string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := os.Link(src, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir) // #nosec G304 -- a directory this store made under its root
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Open implements Store.
func (d *Disk) Open(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, err
	}
	doc, err := os.ReadFile(d.metaPath(key)) // #nosec G304 G703 -- ValidateKey above refuses absolute, dot and empty segments
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Object{}, ErrNotFound
	}
	if err != nil {
		return nil, Object{}, fmt.Errorf("storage: open %s: %w", key, err)
	}
	var obj Object
	if err := json.Unmarshal(doc, &obj); err != nil {
		return nil, Object{}, fmt.Errorf("storage: open %s: metadata: %w", key, err)
	}
	f, err := os.Open(d.dataPath(key)) // #nosec G304 G703 -- ValidateKey above refuses absolute, dot and empty segments
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Object{}, ErrNotFound // deleted between the two reads
	}
	if err != nil {
		return nil, Object{}, fmt.Errorf("storage: open %s: %w", key, err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != obj.Size {
		_ = f.Close()
		return nil, Object{}, fmt.Errorf("storage: open %s: data does not match its metadata", key)
	}
	return f, obj, nil
}

// Delete implements Store. The metadata goes first, so the object
// disappears at once even if removing the data fails.
func (d *Disk) Delete(_ context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	for _, p := range []string{d.metaPath(key), d.dataPath(key)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("storage: delete %s: %w", key, err)
		}
	}
	return nil
}

// ctxReader stops a copy when the request that feeds it is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
