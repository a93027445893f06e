package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
)

// Kinds of ledger entries.
const (
	// KindPurchase is what acquiring a holding cost (price, closing costs);
	// it adds to the cost basis.
	KindPurchase = "purchase"
	// KindCapitalImprovement adds to the cost basis after acquisition.
	KindCapitalImprovement = "capital_improvement"
	// KindSale is a sale's net proceeds; it marks the holding sold.
	KindSale = "sale"
	// KindIncome and KindExpense are operating income and expenses, of a
	// holding or of the portfolio itself (fees).
	KindIncome  = "income"
	KindExpense = "expense"
)

// Kinds lists the kinds in the API's order.
func Kinds() []string {
	return []string{KindPurchase, KindCapitalImprovement, KindSale, KindIncome, KindExpense}
}

// Categories of each kind: what performance breaks income and expenses down by.
var categories = map[string][]string{
	KindPurchase:           {"acquisition", "closing_costs"},
	KindCapitalImprovement: {"improvement"},
	KindSale:               {"sale"},
	KindIncome:             {"rent", "parking", "fees", "other_income"},
	KindExpense:            {"tax", "insurance", "maintenance", "management", "utilities", "hoa", "interest", "other_expense"},
}

// Categories returns the categories of kind.
func Categories(kind string) []string { return slices.Clone(categories[kind]) }

// MaxMemoLen bounds an entry's memo.
const MaxMemoLen = 1000

// Transaction is one ledger entry. Entries are never changed: a voiding
// entry (VoidsID set) carries the negation of the entry it cancels, so the
// ledger's sums are plain sums of AmountCents.
type Transaction struct {
	ID          string
	PortfolioID string
	HoldingID   *string
	Kind        string
	Category    string
	AmountCents int64
	Currency    string
	OccurredOn  time.Time
	Memo        string
	VoidsID     *string
	// VoidedBy is the entry that voided this one (read, never stored here).
	VoidedBy   *string
	RecordedBy *string
	RecordedAt time.Time
}

// TransactionInput records an entry: either a new one (kind, category,
// amount, currency, date, holding for the kinds that need one) or the void
// of an earlier one (Voids, with an optional memo and date).
type TransactionInput struct {
	HoldingID   *string
	Kind        string
	Category    string
	AmountCents *int64
	Currency    string
	OccurredOn  *time.Time
	Memo        string
	Voids       *string
}

// NewTransaction validates a new entry of p (holding is the entry's
// holding, nil for a portfolio-level one, already checked to be p's).
func NewTransaction(p Portfolio, id string, by *string, in TransactionInput, now time.Time) (Transaction, error) {
	var f FieldErrors
	if !slices.Contains(Kinds(), in.Kind) {
		f.Add("kind", "must be one of "+strings.Join(Kinds(), ", "))
	} else {
		if in.Category == "" && len(categories[in.Kind]) == 1 {
			in.Category = categories[in.Kind][0]
		}
		if !slices.Contains(categories[in.Kind], in.Category) {
			f.Add("category", "must be one of "+strings.Join(categories[in.Kind], ", ")+" for "+in.Kind)
		}
		if in.HoldingID == nil && in.Kind != KindIncome && in.Kind != KindExpense {
			f.Add("holding_id", "is required for "+in.Kind)
		}
	}
	if in.HoldingID != nil && !ValidID(*in.HoldingID) {
		f.Add("holding_id", "must be a holding id (UUID)")
	}
	if in.AmountCents == nil {
		f.Add("amount_cents", "is required")
	} else if err := CheckAmount("amount_cents", *in.AmountCents); err != nil {
		addErr(&f, err)
	}
	checkCurrency(&f, p, in.Currency)
	if in.OccurredOn == nil {
		f.Add("occurred_on", "is required (YYYY-MM-DD)")
	} else {
		checkLedgerDate(&f, "occurred_on", *in.OccurredOn, now)
	}
	checkMemo(&f, in.Memo)
	if err := f.Err(); err != nil {
		return Transaction{}, err
	}
	return Transaction{ID: id, PortfolioID: p.ID, HoldingID: in.HoldingID, Kind: in.Kind, Category: in.Category,
		AmountCents: *in.AmountCents, Currency: p.Currency, OccurredOn: *in.OccurredOn, Memo: in.Memo, RecordedBy: by, RecordedAt: now}, nil
}

// VoidInput checks the fields a void may carry: only voids, memo and
// occurred_on (the day of the correction; default the original's).
func VoidInput(in TransactionInput) error {
	var f FieldErrors
	if !ValidID(*in.Voids) {
		f.Add("voids", "must be a transaction id (UUID)")
	}
	for field, set := range map[string]bool{"kind": in.Kind != "", "category": in.Category != "", "amount_cents": in.AmountCents != nil,
		"holding_id": in.HoldingID != nil} {
		if set {
			f.Add(field, "must be left out of a void: it is the voided entry's")
		}
	}
	checkMemo(&f, in.Memo)
	return f.Err()
}

// Void returns the entry that cancels t: same holding, kind, category and
// currency, the negated amount.
func (t Transaction) Void(id string, by *string, in TransactionInput, now time.Time) (Transaction, error) {
	if t.VoidsID != nil {
		return Transaction{}, apperr.Invalid("voids", "names a voiding entry; void the entry it cancelled instead")
	}
	if t.VoidedBy != nil {
		return Transaction{}, apperr.Conflict(ReasonAlreadyVoided, "transaction "+t.ID+" was voided by "+*t.VoidedBy)
	}
	on := t.OccurredOn
	if in.OccurredOn != nil {
		var f FieldErrors
		checkLedgerDate(&f, "occurred_on", *in.OccurredOn, now)
		if err := f.Err(); err != nil {
			return Transaction{}, err
		}
		on = *in.OccurredOn
	}
	voids := t.ID
	return Transaction{ID: id, PortfolioID: t.PortfolioID, HoldingID: t.HoldingID, Kind: t.Kind, Category: t.Category,
		AmountCents: -t.AmountCents, Currency: t.Currency, OccurredOn: on, Memo: in.Memo, VoidsID: &voids, RecordedBy: by, RecordedAt: now}, nil
}

// Apply returns h with t's effect on its summary: a purchase or capital
// improvement moves the cost basis, a sale the proceeds and the status
// (a void of the sale holds the property again), income and expenses
// their sums. A second sale of a sold holding is a conflict.
func (h Holding) Apply(t Transaction) (Holding, error) {
	var target *int64
	switch t.Kind {
	case KindPurchase, KindCapitalImprovement:
		target = &h.CostBasisCents
	case KindSale:
		target = &h.ProceedsCents
		switch {
		case t.VoidsID == nil && h.Status == HoldingSold:
			return h, apperr.Conflict(ReasonHoldingSold, "holding "+h.ID+" was sold on "+h.SoldOn.Format(time.DateOnly)+"; void that sale first")
		case t.VoidsID == nil:
			on := t.OccurredOn
			h.Status, h.SoldOn = HoldingSold, &on
		default:
			h.Status, h.SoldOn = HoldingHeld, nil
		}
	case KindIncome:
		target = &h.IncomeCents
	case KindExpense:
		target = &h.ExpenseCents
	}
	sum, ok := AddCents(*target, t.AmountCents)
	if !ok {
		return h, ErrOverflow()
	}
	*target = sum
	h.UpdatedAt = t.RecordedAt
	return h, nil
}

// Sign is the entry's direction for the investor's cash: money paid
// (purchase, improvement, expense) is negative, money received (sale,
// income) positive.
func Sign(kind string) int64 {
	switch kind {
	case KindSale, KindIncome:
		return 1
	default:
		return -1
	}
}

func checkMemo(f *FieldErrors, memo string) {
	if utf8.RuneCountInString(memo) > MaxMemoLen || strings.ContainsRune(memo, 0) {
		f.Add("memo", "must be at most 1000 characters, without NUL")
	}
}
