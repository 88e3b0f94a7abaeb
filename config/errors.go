package config

import (
	"fmt"
	"strings"
)

// An Error is one problem in a config file, located by line.
type Error struct {
	File string // the config file, as given to Load or Parse
	Line int    // 1-based
	Path string // the key path, such as "topics[0].match"; empty for the whole file
	Msg  string
}

// Error formats the problem as "file:line: path: msg".
func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Path, e.Msg)
}

// Errors is every problem found in a config file, in line order.
type Errors []*Error

// Error gives one problem per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}
