package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"reos.dev/pkg/storage"
)

func TestDiskPutOpenDelete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	data := pngBytes(t)
	key := "org-1/properties/p-1/images/i-1"
	obj, err := d.Put(ctx, key, bytes.NewReader(data), storage.ObjectMeta{ContentType: "image/png", FileName: "front.png"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if obj.Key != key || obj.Size != int64(len(data)) || obj.SHA256 != hex.EncodeToString(sum[:]) ||
		obj.ContentType != "image/png" || obj.FileName != "front.png" || obj.Created.IsZero() {
		t.Fatalf("put = %+v", obj)
	}

	// A store reopened on the same directory sees the object (metadata is on disk).
	again, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	rc, got, err := again.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(b, data) || got != obj {
		t.Fatalf("open = %+v (%d bytes), want %+v", got, len(b), obj)
	}
	if _, ok := rc.(io.ReadSeeker); !ok {
		t.Error("the disk store's reader cannot seek (downloads would lose ranges)")
	}

	// Objects are written once.
	if _, err := d.Put(ctx, key, strings.NewReader("other"), storage.ObjectMeta{ContentType: "text/plain"}); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second put = %v, want ErrExists", err)
	}

	if err := d.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Open(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open after delete = %v", err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("delete twice = %v, want nil (idempotent)", err)
	}
	if _, _, err := d.Open(ctx, "org-1/never"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open missing = %v", err)
	}
	// The key is free again after a delete.
	if _, err := d.Put(ctx, key, strings.NewReader("v2"), storage.ObjectMeta{ContentType: "text/plain"}); err != nil {
		t.Fatalf("put after delete: %v", err)
	}
	assertNoTempFiles(t, dir)
}

func TestDiskRefusesBadKeysAndMeta(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, _ := storage.NewDisk(filepath.Join(dir, "root"))
	ctx := t.Context()
	for _, key := range []string{"../escape", "/etc/passwd", "a/../../b", ""} {
		if _, err := d.Put(ctx, key, strings.NewReader("x"), storage.ObjectMeta{ContentType: "text/plain"}); err == nil {
			t.Errorf("put %q accepted", key)
		}
		if _, _, err := d.Open(ctx, key); err == nil {
			t.Errorf("open %q accepted", key)
		}
		if err := d.Delete(ctx, key); err == nil {
			t.Errorf("delete %q accepted", key)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Fatal("a key escaped the root")
	}
	if _, err := d.Put(ctx, "k", strings.NewReader("x"), storage.ObjectMeta{ContentType: ""}); err == nil {
		t.Error("put without a content type accepted")
	}
}

// A reader that fails (a client gone, a size limit) leaves nothing behind.
func TestDiskPutFailureStoresNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, _ := storage.NewDisk(dir)
	boom := errors.New("client went away")
	_, err := d.Put(t.Context(), "k/1", io.MultiReader(strings.NewReader("partial"), errReader{boom}), storage.ObjectMeta{ContentType: "text/plain"})
	if !errors.Is(err, boom) {
		t.Fatalf("put = %v, want the reader's error", err)
	}
	if _, _, err := d.Open(t.Context(), "k/1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open after failed put = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Put(ctx, "k/2", strings.NewReader("x"), storage.ObjectMeta{ContentType: "text/plain"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with a cancelled context = %v", err)
	}
	assertNoTempFiles(t, dir)
}

// Concurrent writers of one key: exactly one wins, the rest see ErrExists,
// and the object read back is the winner's, whole.
func TestDiskConcurrentPutsOneWinner(t *testing.T) {
	t.Parallel()
	d := newDisk(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			body := bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
			_, errs[i] = d.Put(t.Context(), "race/key", bytes.NewReader(body), storage.ObjectMeta{ContentType: "text/plain"})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrExists):
			t.Fatalf("put: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want 1", wins)
	}
	rc, obj, err := d.Open(t.Context(), "race/key")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	sum := sha256.Sum256(b)
	if len(b) != 64<<10 || bytes.Count(b, b[:1]) != len(b) || hex.EncodeToString(sum[:]) != obj.SHA256 {
		t.Fatal("the stored object mixes writers or does not match its metadata")
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}
