package config

import (
	"fmt"
	"strconv"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// A decoder walks a YAML node tree and records every problem it meets.
type decoder struct {
	file string
	errs Errors
	// keys, when not nil, turns the decoder into a walk of the schema
	// itself: mapping records the path of every key it knows and decodes
	// each value as null, and sequence visits one null element at
	// "path[]". A nested mapping that is not decoded through mapping is
	// invisible to this walk (and to docs/config.md's completeness test).
	keys map[string]bool
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// A decodeFunc decodes the value node n found at path.
type decodeFunc func(d *decoder, n *yaml.Node, path string)

// A field is one key of a YAML mapping and the way to decode its value.
type field struct {
	key      string
	decode   decodeFunc
	required bool
}

// mapping decodes the mapping n with fields, reporting unknown and
// repeated keys, and missing required ones. It returns the non-null value
// node of every key present. A null n decodes as an empty mapping.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) map[string]*yaml.Node {
	n = resolve(n)
	present := make(map[string]*yaml.Node)
	if d.keys != nil {
		for _, f := range fields {
			p := join(path, f.key)
			d.keys[p] = true
			f.decode(d, &yaml.Node{}, p)
		}
		return present
	}
	if isNull(n) {
		d.missing(n, path, fields, present)
		return present
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "must be a mapping, got %s", describe(n))
		return present
	}
	seen := make(map[string]int) // key -> line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, path, "keys must be strings, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, path, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		f := lookup(fields, k.Value)
		if f == nil {
			d.errorf(k.Line, path, "unknown key %q", k.Value)
			continue
		}
		if !isNull(v) {
			present[k.Value] = v
		}
		f.decode(d, v, join(path, k.Value))
	}
	d.missing(n, path, fields, present)
	return present
}

func (d *decoder) missing(n *yaml.Node, path string, fields []field, present map[string]*yaml.Node) {
	for _, f := range fields {
		if !f.required {
			continue
		}
		switch v := present[f.key]; {
		case v == nil:
			d.errorf(n.Line, path, "missing required key %q", f.key)
		case v.Kind == yaml.ScalarNode && v.Value == "":
			d.errorf(v.Line, join(path, f.key), "must not be empty")
		}
	}
}

func lookup(fields []field, key string) *field {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// sequence calls item for every element of the list n. A null n is an
// empty list.
func (d *decoder) sequence(n *yaml.Node, path string, item func(i int, n *yaml.Node, path string)) {
	n = resolve(n)
	if d.keys != nil {
		item(0, &yaml.Node{}, path+"[]")
		return
	}
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "must be a list, got %s", describe(n))
		return
	}
	for i, e := range n.Content {
		item(i, resolve(e), fmt.Sprintf("%s[%d]", path, i))
	}
}

// scalar returns the text of the scalar n, or false after reporting that n
// is not a scalar of one of the given tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.ShortTag() == t {
				return n.Value, true
			}
		}
	}
	d.errorf(n.Line, path, "must be %s, got %s", want, describe(n))
	return "", false
}

// textTags are the scalars accepted where text is expected: a topic titled
// 1984 or a tag 2024 is text to the curator, whatever YAML thinks.
var textTags = []string{"!!str", "!!int", "!!float", "!!bool"}

// text decodes a string into p; every check that fails is reported. An
// empty string leaves the default in place.
func text(p *string, checks ...func(string) error) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		s, ok := d.scalar(n, path, "a string", textTags...)
		if !ok || s == "" {
			return
		}
		for _, check := range checks {
			if err := check(s); err != nil {
				d.errorf(n.Line, path, "%v", err)
				return
			}
		}
		*p = s
	}
}

// texts decodes a list of non-empty strings into p.
func texts(p *[]string, checks ...func(string) error) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		var out []string
		d.sequence(n, path, func(_ int, e *yaml.Node, path string) {
			s, ok := d.scalar(e, path, "a string", textTags...)
			if !ok {
				return
			}
			if s == "" {
				d.errorf(e.Line, path, "must not be empty")
				return
			}
			for _, check := range checks {
				if err := check(s); err != nil {
					d.errorf(e.Line, path, "%v", err)
					return
				}
			}
			out = append(out, s)
		})
		*p = out
	}
}

func boolean(p *bool) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		s, ok := d.scalar(n, path, "true or false", "!!bool")
		if !ok {
			return
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			d.errorf(n.Line, path, "must be true or false, got %q", s)
			return
		}
		*p = b
	}
}

// integer decodes a whole number between lo and hi into p.
func integer(p *int, lo, hi int) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		if _, ok := d.scalar(n, path, "a whole number", "!!int"); !ok {
			return
		}
		var v int
		if err := n.Decode(&v); err != nil {
			d.errorf(n.Line, path, "must be a whole number, got %q", n.Value)
			return
		}
		if v < lo || v > hi {
			d.errorf(n.Line, path, "must be between %d and %d, got %d", lo, hi, v)
			return
		}
		*p = v
	}
}

// duration decodes a positive duration into p (see parseDuration).
func duration(p *time.Duration) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		s, ok := d.scalar(n, path, "a duration", "!!str", "!!int", "!!float")
		if !ok {
			return
		}
		v, err := parseDuration(s)
		if err != nil {
			d.errorf(n.Line, path, "invalid duration %q (use Go durations such as 30s, 10m, 6h, 7d)", s)
			return
		}
		if v <= 0 {
			d.errorf(n.Line, path, "must be greater than 0, got %s", s)
			return
		}
		*p = v
	}
}

// size decodes a positive byte count into p (see parseSize).
func size(p *int64) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		if isNull(n) {
			return
		}
		s, ok := d.scalar(n, path, "a size", "!!str", "!!int")
		if !ok {
			return
		}
		v, err := parseSize(s)
		if err != nil {
			d.errorf(n.Line, path, "invalid size %q (use bytes or units such as 512KiB, 10MiB, 1GiB, 1MB)", s)
			return
		}
		if v <= 0 {
			d.errorf(n.Line, path, "must be greater than 0, got %s", s)
			return
		}
		*p = v
	}
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the type of n for messages: "a list", "a string".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("a string (%q)", n.Value)
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		case "!!bool":
			return "a boolean (" + n.Value + ")"
		case "!!null":
			return "nothing"
		}
		return fmt.Sprintf("a %s (%q)", n.ShortTag(), n.Value)
	}
	return "an unexpected YAML node"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// noControl rejects text that would break an HTTP header or a log line.
func noControl(s string) error {
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("must not contain control characters, got %q", s)
		}
	}
	return nil
}
