package domain

import "reos.dev/pkg/apperr"

// fieldList collects every bad field of one input so the client learns about
// all of them at once.
type fieldList struct{ f apperr.Fields }

func (l *fieldList) add(field, message string) { l.f.Add(field, message) }

func (l *fieldList) err() error { return l.f.Err() }
