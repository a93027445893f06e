package app

import (
	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
)

// parseID checks a path id. A malformed id is the client's mistake (400
// naming the field), not a database error.
func parseID(field, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return apperr.BadRequest(field, "must be a UUID")
	}
	return nil
}
