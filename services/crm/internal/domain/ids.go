package domain

import (
	"slices"
	"strings"

	"github.com/google/uuid"
)

// CheckUUID records in f a field that must be a UUID and returns it in
// canonical form (nil when absent or malformed).
func CheckUUID(field string, v *string, f *FieldErrors) *string {
	if v == nil {
		return nil
	}
	u, err := uuid.Parse(strings.TrimSpace(*v))
	if err != nil {
		f.Add(field, "must be a UUID")
		return nil
	}
	s := u.String()
	return &s
}

// CheckUUIDs canonicalises and deduplicates a list of UUIDs, recording the
// malformed ones under field.
func CheckUUIDs(field string, ids []string, f *FieldErrors) []string {
	out := []string{}
	for _, id := range ids {
		if v := CheckUUID(field, &id, f); v != nil && !slices.Contains(out, *v) {
			out = append(out, *v)
		}
	}
	return out
}
