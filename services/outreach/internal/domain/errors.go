// Package domain holds outreach's entities and their rules: campaigns and
// their steps, templates as saved, the organisation's sending settings,
// saved lead filters, the compliance lists' entries and the normalised
// addresses they are keyed by. No I/O. The template engine, the
// compliance gate and the unsubscribe token are packages of their own
// below this one.
package domain

import "reos.dev/pkg/apperr"

// Stable error reasons (problem type suffixes) of outreach.
const (
	ReasonCampaignNotFound      = "campaign_not_found"
	ReasonTemplateNotFound      = "template_not_found"
	ReasonCampaignNotEditable   = "campaign_not_editable"
	ReasonCampaignFinished      = "campaign_finished"
	ReasonTemplateInUse         = "template_in_use"
	ReasonNameTaken             = "name_taken"
	ReasonDNCNotFound           = "dnc_entry_not_found"
	ReasonInvalidTemplate       = "invalid_template"
	ReasonInvalidUnsubscribe    = "invalid_unsubscribe_token"
	ReasonCampaignHasNoAudience = "campaign_audience_locked"
)

// ErrNotFound reports a missing (or other-organisation) row.
func ErrNotFound(reason, what string) error {
	return apperr.NotFound(reason, what+" not found")
}

// FieldErrors collects field errors into one invalid-input error.
type FieldErrors = apperr.Fields
