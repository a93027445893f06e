package service

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// RequireFields is the dependency check of every constructor that takes a
// struct of collaborators (a transport Config, a server's Options): it
// returns an error naming each field of v (a struct or a pointer to one)
// that is nil — a pointer, interface, map, func or channel — or an empty
// slice, unless the field is tagged `service:"optional"`. Other fields
// (strings, numbers, durations, structs) are settings with defaults, not
// dependencies, and are not checked. what names the constructor in the
// message: "http.NewHandler: missing Service, Verifier".
func RequireFields(what string, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return fmt.Errorf("%s: nil %s", what, rv.Type().Elem())
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("%s: RequireFields needs a struct, got %s", what, rv.Kind())
	}
	var missing []string
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() || f.Tag.Get("service") == "optional" {
			continue
		}
		fv := rv.Field(i)
		switch fv.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Func, reflect.Chan:
			if fv.IsNil() {
				missing = append(missing, f.Name)
			}
		case reflect.Slice:
			if fv.Len() == 0 {
				missing = append(missing, f.Name)
			}
		}
	}
	if len(missing) > 0 {
		return errors.New(what + ": missing " + strings.Join(missing, ", "))
	}
	return nil
}
