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

// ErrIllegalTransition is the error of a deal move from → to that the
// pipeline rules refuse, why (CheckTransition): invalid input naming stage,
// with its own reason so clients can tell it from a malformed request.
func ErrIllegalTransition(from, to Stage, why string) error {
	e := apperr.Invalid("stage", why)
	e.Reason = ReasonIllegalTransition
	e.Message = "illegal stage transition from " + from.Key + " to " + to.Key
	return e
}
