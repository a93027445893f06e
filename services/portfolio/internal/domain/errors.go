// Package domain holds portfolio's entities and their rules: portfolios
// and their currency, holdings, ledger entries and their effect on a
// holding's figures, money in integer cents, the rates performance reports
// (XIRR and exact ratios, rounded once) and the reconciliation's
// comparison. No I/O.
package domain

import "reos.dev/pkg/apperr"

// Stable error reasons (problem type suffixes) of portfolio.
const (
	ReasonPortfolioNotFound      = "portfolio_not_found"
	ReasonHoldingNotFound        = "holding_not_found"
	ReasonTransactionNotFound    = "transaction_not_found"
	ReasonReconciliationNotFound = "reconciliation_not_found"
	ReasonNameTaken              = "name_taken"
	ReasonPropertyHeld           = "property_already_held"
	ReasonAlreadyVoided          = "transaction_already_voided"
	ReasonHoldingSold            = "holding_sold"
	ReasonAmountOverflow         = "amount_out_of_range"
)

// ErrNotFound reports a missing (or other-organisation) row.
func ErrNotFound(reason, what string) error {
	return apperr.NotFound(reason, what+" not found")
}

// FieldErrors collects field errors into one invalid-input error.
type FieldErrors = apperr.Fields
