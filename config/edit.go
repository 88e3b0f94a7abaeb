package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/feedloom/feedloom"
)

// Editing a config file.
//
// `feedloom add` and `feedloom import` change the curator's file, which
// holds their comments, their order and their way of writing things. So
// the document is never re-encoded: the YAML node tree is read only to
// find the byte offset where a list ends and how its items are indented,
// and new text, written here, is inserted there. Every byte outside the
// inserted block stays as it was. The result is then parsed like any
// config, and refused unless it loads and lists exactly the new entries
// where they were meant to go.

// AddSources returns data, the content of the config file named file,
// with srcs appended to the end of its sources list (their URL, Name and
// Tags; nothing else is written), and the config the result loads as.
// Entries follow the style of the list's last one: a block mapping, or a
// flow mapping ({url: …}) on one line. The config in data must load;
// a flow-style list (sources: [...]) is refused.
func AddSources(file string, data []byte, srcs []feedloom.Source) ([]byte, *Config, error) {
	old, err := Parse(file, data)
	if err != nil {
		return nil, nil, fmt.Errorf("the config does not load; fix it first (feedloom check):\n%w", err)
	}
	if len(srcs) == 0 {
		return data, old, nil
	}
	root, _, err := parseYAML(data)
	if err != nil {
		return nil, nil, err
	}
	seq := mappingValue(root, "sources")
	end, err := findListEnd(data, seq, "sources")
	if err != nil {
		return nil, nil, err
	}
	nl := newline(data)
	var block strings.Builder
	for _, s := range srcs {
		block.WriteString(end.item(sourceEntry(s, end.flow), nl))
	}
	out := end.insert(data, block.String(), nl)
	c, err := Parse(file, out)
	if err != nil {
		return nil, nil, fmt.Errorf("config: the edited file would not load (nothing was written):\n%w", err)
	}
	n := len(old.Sources)
	if len(c.Sources) != n+len(srcs) {
		return nil, nil, fmt.Errorf("config: the edited file lists %d sources, want %d (nothing was written)", len(c.Sources), n+len(srcs))
	}
	for i, s := range srcs {
		if got := c.Sources[n+i]; got.URL != s.URL || got.Name != s.Name || !slices.Equal(got.Tags, s.Tags) {
			return nil, nil, fmt.Errorf("config: the edited file reads source %d as %q, want %q (nothing was written)", n+i+1, got.URL, s.URL)
		}
	}
	return out, c, nil
}

// AddTopicSource returns data with entry appended to the match.sources
// list of the topic called topic, and the config the result loads as.
// The list must exist and be written as a block list (one "- entry" a
// line).
func AddTopicSource(file string, data []byte, topic, entry string) ([]byte, *Config, error) {
	old, err := Parse(file, data)
	if err != nil {
		return nil, nil, fmt.Errorf("the config does not load; fix it first (feedloom check):\n%w", err)
	}
	t, ok := old.Topic(topic)
	if !ok {
		return nil, nil, fmt.Errorf("no topic %q in %s", topic, file)
	}
	root, _, err := parseYAML(data)
	if err != nil {
		return nil, nil, err
	}
	var seq *yaml.Node
	if topics := resolve(mappingValue(root, "topics")); topics != nil && topics.Kind == yaml.SequenceNode {
		for _, tn := range topics.Content {
			if name := resolve(mappingValue(resolve(tn), "name")); name != nil && name.Value == topic {
				seq = mappingValue(resolve(mappingValue(resolve(tn), "match")), "sources")
			}
		}
	}
	what := fmt.Sprintf("topic %q's match.sources", topic)
	if seq == nil {
		return nil, nil, fmt.Errorf("%s is not in %s", what, file)
	}
	end, err := findListEnd(data, seq, what)
	if err != nil {
		return nil, nil, err
	}
	nl := newline(data)
	out := end.insert(data, end.item([]string{scalar(entry, false)}, nl), nl)
	c, err := Parse(file, out)
	if err != nil {
		return nil, nil, fmt.Errorf("config: the edited file would not load (nothing was written):\n%w", err)
	}
	if nt, _ := c.Topic(topic); !slices.Equal(nt.Match.Sources, append(slices.Clip(t.Match.Sources), entry)) {
		return nil, nil, fmt.Errorf("config: the edited file reads %s as %q (nothing was written)", what, nt.Match.Sources)
	}
	return out, c, nil
}

// mappingValue returns the value of key in the mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// A listEnd is where a block list ends in a file and how its items are
// written.
type listEnd struct {
	offset int  // insert here: just past the newline of the last item's last line
	eofNL  bool // the file ends inside the last item without a newline
	dash   int  // column of the items' "-"
	key    int  // column of the items' first key (block mappings)
	flow   bool // the last item is a flow mapping {…}
}

// findListEnd finds the end of the block list seq in data. what names the
// list in messages.
func findListEnd(data []byte, seq *yaml.Node, what string) (listEnd, error) {
	seq = resolve(seq)
	switch {
	case seq == nil || isNull(seq) || seq.Kind != yaml.SequenceNode || len(seq.Content) == 0:
		return listEnd{}, fmt.Errorf("%s is not a list with entries; add the first one by hand", what)
	case seq.Style&yaml.FlowStyle != 0:
		return listEnd{}, fmt.Errorf("line %d: %s is written as a flow list [...]; write it one \"- entry\" a line to let feedloom edit it", seq.Line, what)
	}
	starts := lineStarts(data)
	last := seq.Content[len(seq.Content)-1]
	at, ok := offsetOf(data, starts, last.Line, last.Column)
	if !ok {
		return listEnd{}, fmt.Errorf("line %d: cannot find the last entry of %s", last.Line, what)
	}
	dash := at - 1
	for dash >= 0 && (data[dash] == ' ' || data[dash] == '\n' || data[dash] == '\r') {
		dash--
	}
	if dash < 0 || data[dash] != '-' {
		return listEnd{}, fmt.Errorf("line %d: cannot find the \"-\" of the last entry of %s", last.Line, what)
	}
	line, _ := slices.BinarySearch(starts, dash+1)
	line-- // 0-based index of the dash's line
	e := listEnd{dash: dash - starts[line]}
	if strings.Trim(string(data[starts[line]:dash]), " ") != "" {
		return listEnd{}, fmt.Errorf("line %d: the entries of %s do not start their lines; add it by hand", line+1, what)
	}
	e.key = e.dash + 2
	switch {
	case last.Kind == yaml.MappingNode && last.Style&yaml.FlowStyle != 0:
		e.flow = true
	case last.Kind == yaml.MappingNode && len(last.Content) > 0 && last.Content[0].Column-1 > e.dash:
		e.key = last.Content[0].Column - 1
	}
	// The entry goes on while lines are blank or indented past the dash.
	e.offset = lineEnd(data, starts, line)
	for l := line + 1; l < len(starts); l++ {
		text := data[starts[l]:lineEnd(data, starts, l)]
		trimmed := bytes.TrimLeft(text, " ")
		if len(bytes.TrimSpace(trimmed)) == 0 {
			continue
		}
		if len(text)-len(trimmed) <= e.dash {
			break
		}
		e.offset = lineEnd(data, starts, l)
	}
	e.eofNL = e.offset == len(data) && len(data) > 0 && data[len(data)-1] != '\n'
	return e, nil
}

// item writes one entry of the list: body is a scalar or a flow mapping
// (one line), or block mapping lines "key: value" that go at the key
// column.
func (e listEnd) item(body []string, nl string) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", e.dash))
	b.WriteString("-")
	b.WriteString(strings.Repeat(" ", e.key-e.dash-1))
	for i, l := range body {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", e.key))
		}
		b.WriteString(l)
		b.WriteString(nl)
	}
	return b.String()
}

func (e listEnd) insert(data []byte, block, nl string) []byte {
	out := make([]byte, 0, len(data)+len(block)+len(nl))
	out = append(out, data[:e.offset]...)
	if e.eofNL {
		out = append(out, nl...)
	}
	out = append(out, block...)
	return append(out, data[e.offset:]...)
}

// sourceEntry writes s as the lines of a list entry: block mapping lines,
// or a flow mapping on one line.
func sourceEntry(s feedloom.Source, flow bool) []string {
	fields := [][2]string{{"url", scalar(s.URL, flow)}}
	if s.Name != "" {
		fields = append(fields, [2]string{"name", scalar(s.Name, flow)})
	}
	if len(s.Tags) > 0 {
		tags := make([]string, len(s.Tags))
		for i, t := range s.Tags {
			tags[i] = scalar(t, true)
		}
		fields = append(fields, [2]string{"tags", "[" + strings.Join(tags, ", ") + "]"})
	}
	var lines []string
	for _, f := range fields {
		lines = append(lines, f[0]+": "+f[1])
	}
	if flow {
		return []string{"{" + strings.Join(lines, ", ") + "}"}
	}
	return lines
}

// scalar writes s as a YAML scalar on one line: plain when YAML reads it
// back as the same string (and, in a flow collection, it holds no flow
// indicator), else double-quoted.
func scalar(s string, flow bool) string {
	b, err := yaml.Marshal(s)
	plain := strings.TrimSuffix(string(b), "\n")
	if err != nil || strings.ContainsAny(plain, "\n\r\"'") || (flow && strings.ContainsAny(plain, ",[]{}#")) {
		return doubleQuoted(s)
	}
	return plain
}

// doubleQuoted writes s as a YAML double-quoted scalar. Go's escapes
// (\n, \t, \\, \", \xXX, \uXXXX, \UXXXXXXXX) are all YAML escapes too;
// invalid UTF-8 cannot be written in YAML and becomes U+FFFD.
func doubleQuoted(s string) string {
	return strconv.Quote(strings.ToValidUTF8(s, string(utf8.RuneError)))
}

func newline(data []byte) string {
	if bytes.Contains(data, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// lineStarts returns the offset of the start of every line.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineEnd is the offset just past line l's newline (or the end of data).
func lineEnd(data []byte, starts []int, l int) int {
	if l+1 < len(starts) {
		return starts[l+1]
	}
	return len(data)
}

// offsetOf turns the YAML library's 1-based line and column (counted in
// characters) into a byte offset.
func offsetOf(data []byte, starts []int, line, col int) (int, bool) {
	if line < 1 || line > len(starts) || col < 1 {
		return 0, false
	}
	at := starts[line-1]
	for range col - 1 {
		if at >= len(data) || data[at] == '\n' {
			return 0, false
		}
		_, n := utf8.DecodeRune(data[at:])
		at += n
	}
	return at, true
}

// WriteFile replaces the file at path with data, atomically: data goes to
// a temporary file in the same directory, with the file's permissions,
// which is then renamed over it. was is the content the edit started
// from: when the file no longer holds it (someone saved it meanwhile),
// nothing is written.
func WriteFile(path string, was, data []byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // replace the file a link points to, not the link
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	now, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !bytes.Equal(now, was) {
		return errors.New("config: " + path + " changed while feedloom was editing it; nothing was written, run the command again")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	return nil
}
