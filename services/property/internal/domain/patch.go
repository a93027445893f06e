package domain

import (
	"bytes"
	"encoding/json"
)

// Patch is one field of a create or merge-update request: Set says the
// field was present in the body; Value nil with Set means an explicit null
// (clear an optional field). The zero Patch leaves the field unchanged,
// which is what makes PUT a merge, like identity's PUT /users/{id}.
type Patch[T any] struct {
	Set   bool
	Value *T
}

// Of returns a Patch that sets v.
func Of[T any](v T) Patch[T] { return Patch[T]{Set: true, Value: &v} }

// Null returns a Patch that clears the field.
func Null[T any]() Patch[T] { return Patch[T]{Set: true} }

// UnmarshalJSON records that the field was present; a type mismatch is
// reported by encoding/json with the field's name, which httpx turns into
// a 422 naming it.
func (p *Patch[T]) UnmarshalJSON(b []byte) error {
	p.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		p.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.Value = &v
	return nil
}

// apply writes a set patch of an optional field into dst.
func apply[T any](dst **T, p Patch[T]) {
	if p.Set {
		*dst = p.Value
	}
}

// applyRequired writes a set patch of a required field into dst; an
// explicit null is recorded as an error on field.
func applyRequired[T any](dst *T, p Patch[T], field string, errs *fieldErrors) {
	if !p.Set {
		return
	}
	if p.Value == nil {
		errs.add(field, "must not be null")
		return
	}
	*dst = *p.Value
}
