package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
)

func conflictField(reason, field, message string) error {
	e := apperr.Conflict(reason, message)
	e.Fields = []apperr.FieldError{{Field: field, Message: message}}
	return e
}

// notFound maps "no rows" to notFoundErr(); other errors pass through.
func notFound(err error, notFoundErr func() error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFoundErr()
	}
	return err
}

// expectOne maps an UPDATE or DELETE that touched no row to notFoundErr().
func expectOne(rows int64, notFoundErr func() error) error {
	if rows == 0 {
		return notFoundErr()
	}
	return nil
}
