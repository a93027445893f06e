package storage

import (
	"path/filepath"
	"strings"

	"reos.dev/pkg/apperr"
)

// Key limits. 512 bytes stays well inside S3's 1024 and leaves room for the
// disk store's root; a segment is at most a file name long (NAME_MAX).
const (
	MaxKeyBytes     = 512
	maxSegmentBytes = 255
)

// ValidateKey checks a storage key: 1 to MaxKeyBytes bytes of segments
// separated by "/", each made of ASCII letters, digits, '.', '_' and '-',
// none empty and none starting with '.' (so no "." or ".." and no hidden
// files). Such a key is a relative path on every file system and a safe
// URL path without escaping, and it can never leave the store's root.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyBytes {
		return invalidKey("must be 1 to 512 bytes")
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return invalidKey("must not start or end with / or contain //")
		}
		if seg[0] == '.' {
			return invalidKey("no segment may start with a dot")
		}
		if len(seg) > maxSegmentBytes {
			return invalidKey("a segment is at most 255 bytes")
		}
		for i := 0; i < len(seg); i++ {
			if !keyByte(seg[i]) {
				return invalidKey("may contain only letters, digits, '.', '_', '-' and '/'")
			}
		}
	}
	// Implied by the rules above; checked again because a mistake here would
	// let a key escape the disk store's root.
	if !filepath.IsLocal(filepath.FromSlash(key)) {
		return invalidKey("must be a relative path")
	}
	return nil
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

func invalidKey(msg string) error { return apperr.Invalid("key", msg) }
