package tests

import (
	"bytes"
	"image"
	"image/png"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"reos.dev/pkg/storage"
)

// testStorage is a test's file store: a disk store in the test's own
// directory and the signer of crm's download links.
type testStorage struct {
	root   string
	disk   *storage.Disk
	signer *storage.Signer
}

func testFiles(t testing.TB) testStorage {
	t.Helper()
	root := t.TempDir()
	disk, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := storage.NewSigner(storage.Secret(storage.MockSigningKey("crm-test")), storage.FilesPrefix("crm"))
	if err != nil {
		t.Fatal(err)
	}
	return testStorage{root: root, disk: disk, signer: signer}
}

// objects lists the keys stored in the test's file store.
func (s testStorage) objects(t testing.TB) []string {
	t.Helper()
	var keys []string
	root := s.root
	err := filepath.WalkDir(filepath.Join(root, "meta"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(filepath.Join(root, "meta"), path)
		keys = append(keys, strings.TrimSuffix(filepath.ToSlash(rel), ".json"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// pngFile is a real one-pixel PNG.
func pngFile(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
