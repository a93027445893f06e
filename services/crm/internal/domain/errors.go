package domain

import (
	"reos.dev/pkg/apperr"
)

// Stable error reasons (problem type suffixes) of crm.
const (
	ReasonLeadNotFound      = "lead_not_found"
	ReasonContactNotFound   = "contact_not_found"
	ReasonDealNotFound      = "deal_not_found"
	ReasonIllegalTransition = "illegal_stage_transition"
	ReasonContactTaken      = "contact_taken"
	ReasonKeyTaken          = "key_taken"
	ReasonLeadArchived      = "lead_archived"
)

// ErrNotFound reports a missing (or other-organisation) aggregate.
func ErrNotFound(reason, what string) error {
	return apperr.NotFound(reason, what+" not found")
}
