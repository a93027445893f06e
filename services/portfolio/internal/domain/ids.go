package domain

import "github.com/google/uuid"

// ValidID reports whether s is a UUID in its canonical form (PostgreSQL
// refuses the other forms uuid.Parse accepts).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
