package domain

import (
	"strconv"
	"strings"
)

// BadText reports text PostgreSQL cannot store (NUL characters).
func BadText(s string) bool { return strings.ContainsRune(s, 0) }

// checkText records a field holding text that cannot be stored.
func checkText(field, s string, f *FieldErrors) {
	if BadText(s) {
		f.Add(field, "must not contain NUL characters")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// formatFloat prints one decimal: explanations, not arithmetic.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
