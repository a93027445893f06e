package domain

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
)

// Stage kinds. Won and lost stages close a deal.
const (
	KindOpen = "open"
	KindWon  = "won"
	KindLost = "lost"
)

// Stage is one step of an organisation's deal pipeline.
type Stage struct {
	ID          string
	Key         string
	Name        string
	Probability int
	Position    int
	Kind        string
}

// Closed reports whether the stage ends a deal.
func (s Stage) Closed() bool { return s.Kind != KindOpen }

// DefaultStages is the pipeline every organisation starts with. Positions
// leave gaps so custom stages can be placed between them.
func DefaultStages() []Stage {
	return []Stage{
		{Key: "new", Name: "New", Probability: 0, Position: 10, Kind: KindOpen},
		{Key: "qualified", Name: "Qualified", Probability: 10, Position: 20, Kind: KindOpen},
		{Key: "showing", Name: "Showing", Probability: 25, Position: 30, Kind: KindOpen},
		{Key: "offer", Name: "Offer", Probability: 50, Position: 40, Kind: KindOpen},
		{Key: "under_contract", Name: "Under contract", Probability: 75, Position: 50, Kind: KindOpen},
		{Key: "closed_won", Name: "Closed won", Probability: 100, Position: 60, Kind: KindWon},
		{Key: "closed_lost", Name: "Closed lost", Probability: 0, Position: 70, Kind: KindLost},
	}
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// ValidKey reports whether k is a valid stage or source key.
func ValidKey(k string) bool { return keyPattern.MatchString(k) }

// checkKeyAndName checks the key and trims and checks the name of a new
// stage or lead source.
func checkKeyAndName(key string, name *string, f *FieldErrors) {
	*name = strings.TrimSpace(*name)
	if !ValidKey(key) {
		f.Add("key", "must match ^[a-z][a-z0-9_]{0,49}$")
	}
	if *name == "" || utf8.RuneCountInString(*name) > 100 {
		f.Add("name", "is required, at most 100 characters")
	}
	checkText("name", *name, f)
}

// Validate checks a new stage.
func (s *Stage) Validate(f *FieldErrors) {
	checkKeyAndName(s.Key, &s.Name, f)
	if s.Probability < 0 || s.Probability > 100 {
		f.Add("probability", "must be between 0 and 100")
	}
	if s.Position < 0 || s.Position > 1_000_000 {
		f.Add("position", "must be between 0 and 1000000")
	}
	if s.Kind != KindOpen && s.Kind != KindWon && s.Kind != KindLost {
		f.Add("kind", "must be open, won or lost")
	}
}

// FirstOpenStage is where a deal starts unless told otherwise: the open
// stage of the lowest position (the first of equals in pipeline order);
// false when the pipeline has no open stage.
func FirstOpenStage(pipeline []Stage) (Stage, bool) {
	var first Stage
	found := false
	for _, s := range pipeline {
		if s.Kind == KindOpen && (!found || s.Position < first.Position) {
			first, found = s, true
		}
	}
	return first, found
}

// PickStage finds a stage of the pipeline by id or by key. Giving both or
// neither names "stage" (one concept to the client); a stage the pipeline
// lacks names the field that was given: stage_id (another organisation's
// stage, or none) or stage (the key).
func PickStage(pipeline []Stage, id, key *string) (Stage, error) {
	if (id == nil) == (key == nil) {
		return Stage{}, apperr.Invalid("stage", "give exactly one of stage_id or stage (the key)")
	}
	for _, st := range pipeline {
		if (id != nil && strings.EqualFold(st.ID, strings.TrimSpace(*id))) || (key != nil && st.Key == *key) {
			return st, nil
		}
	}
	if id != nil {
		return Stage{}, apperr.Invalid("stage_id", "no such stage in this organisation's pipeline")
	}
	return Stage{}, apperr.Invalid("stage", "no such stage in this organisation's pipeline")
}

// StartStage is the stage a new deal starts in: the one named by id or key
// (PickStage), else the first open stage; a deal never starts closed.
func StartStage(pipeline []Stage, id, key *string) (Stage, error) {
	if id == nil && key == nil {
		first, ok := FirstOpenStage(pipeline)
		if !ok {
			return Stage{}, apperr.Invalid("stage", "the pipeline has no open stage")
		}
		return first, nil
	}
	st, err := PickStage(pipeline, id, key)
	if err == nil && st.Closed() {
		err = apperr.Invalid("stage", "a deal starts in an open stage")
	}
	return st, err
}

// StageIn returns the stage of the pipeline with id; a stage the pipeline
// does not list (which a deal's foreign key rules out) reads as open.
func StageIn(pipeline []Stage, id string) Stage {
	for _, st := range pipeline {
		if st.ID == id {
			return st
		}
	}
	return Stage{ID: id, Kind: KindOpen}
}

// CheckTransition applies the pipeline rules to a move from → to within
// pipeline (every stage of the organisation). It returns "" when the move is
// legal, else why not. The rules:
//
//   - moving to the stage the deal is in is not a move;
//   - from an open stage: any open stage further forward; back exactly one
//     open stage; any lost stage; a won stage only from the last open stage
//     (under_contract by default) — a deal is not won before it is under
//     contract;
//   - won and lost stages are terminal; only an admin (reopen) may move a
//     closed deal back to an open stage, never straight to another closed one.
func CheckTransition(pipeline []Stage, from, to Stage, admin bool) string {
	if from.ID == to.ID {
		return "the deal is already in this stage"
	}
	if from.Closed() {
		if admin && !to.Closed() {
			return ""
		}
		if admin {
			return "a closed deal can only be reopened to an open stage"
		}
		return "the deal is closed; only an admin can reopen it"
	}
	switch to.Kind {
	case KindLost:
		return ""
	case KindWon:
		if last, ok := lastOpen(pipeline); ok && last.ID == from.ID {
			return ""
		}
		return "a deal can only be won from the last open stage"
	}
	if to.Position > from.Position {
		return ""
	}
	if prev, ok := previousOpen(pipeline, from); ok && prev.ID == to.ID {
		return ""
	}
	return "a deal can only move back one stage"
}

func lastOpen(pipeline []Stage) (Stage, bool) {
	var best Stage
	found := false
	for _, s := range pipeline {
		if s.Kind == KindOpen && (!found || s.Position > best.Position) {
			best, found = s, true
		}
	}
	return best, found
}

func previousOpen(pipeline []Stage, from Stage) (Stage, bool) {
	var best Stage
	found := false
	for _, s := range pipeline {
		if s.Kind == KindOpen && s.Position < from.Position && (!found || s.Position > best.Position) {
			best, found = s, true
		}
	}
	return best, found
}
