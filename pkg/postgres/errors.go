package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes the helpers below recognise.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// IsUniqueViolation reports whether err (or anything it wraps) is a unique
// constraint violation, and names the constraint so the caller can tell
// which field collided.
func IsUniqueViolation(err error) (constraint string, ok bool) {
	return constraintError(err, codeUniqueViolation)
}

// IsForeignKeyViolation reports whether err is a foreign key violation and
// names the constraint.
func IsForeignKeyViolation(err error) (constraint string, ok bool) {
	return constraintError(err, codeForeignKeyViolation)
}

// IsNoRows reports whether err is pgx's "no rows in result set".
func IsNoRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows)
}

func constraintError(err error, code string) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == code {
		return pgErr.ConstraintName, true
	}
	return "", false
}
