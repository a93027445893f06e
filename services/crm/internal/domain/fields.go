package domain

import "reos.dev/pkg/apperr"

// FieldErrors collects validation failures so one answer names every bad
// field.
type FieldErrors = apperr.Fields
