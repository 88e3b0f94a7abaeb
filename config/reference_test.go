package config

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// referenceFile is the config reference: every key the decoder knows must
// have a row there, and every row must name a key the decoder knows.
const referenceFile = "../docs/config.md"

// schemaKeys walks the decoder's key tables (see decoder.keys) and returns
// the path of every key the config file accepts, sorted: "fetch",
// "fetch.timeout", "sources[].url", "topics[].match.any".
func schemaKeys() []string {
	d := &decoder{file: "schema", keys: make(map[string]bool)}
	b := &builder{c: &Config{}}
	d.mapping(&yaml.Node{}, "", b.fields())
	return slices.Sorted(maps.Keys(d.keys))
}

// referenceRow matches a row of docs/config.md's key tables: the first
// cell holds one key path in backticks.
var referenceRow = regexp.MustCompile("^\\|\\s*`([a-z0-9_]+(?:\\[\\])?(?:\\.[a-z0-9_]+(?:\\[\\])?)*)`\\s*\\|")

// documentedKeys returns the key of every table row in the reference, with
// the line it is on.
func documentedKeys(t *testing.T, data []byte) map[string]int {
	t.Helper()
	keys := make(map[string]int)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		m := referenceRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if first, dup := keys[m[1]]; dup {
			t.Errorf("%s:%d: `%s` is documented twice (first at line %d)", referenceFile, line, m[1], first)
			continue
		}
		keys[m[1]] = line
	}
	return keys
}

// TestConfigReferenceComplete fails when a key exists in the code but has
// no row in docs/config.md, or the other way round.
func TestConfigReferenceComplete(t *testing.T) {
	data, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	code := schemaKeys()
	if len(code) < 10 || !slices.Contains(code, "fetch.timeout") || !slices.Contains(code, "topics[].match.any") {
		t.Fatalf("the schema walk found too little: %q", code)
	}
	doc := documentedKeys(t, data)
	var undocumented, unknown []string
	for _, k := range code {
		if _, ok := doc[k]; !ok {
			undocumented = append(undocumented, k)
		}
	}
	for k, line := range doc {
		if !slices.Contains(code, k) {
			unknown = append(unknown, fmt.Sprintf("%s (line %d)", k, line))
		}
	}
	slices.Sort(unknown)
	if len(undocumented) > 0 {
		t.Errorf("keys the config decoder accepts with no row in %s (add a row | `key` | type | default | example | meaning | to its section's table):\n\t%s",
			referenceFile, strings.Join(undocumented, "\n\t"))
	}
	if len(unknown) > 0 {
		t.Errorf("rows in %s for keys the config decoder does not accept (remove or rename them):\n\t%s",
			referenceFile, strings.Join(unknown, "\n\t"))
	}
}

// TestConfigReferenceExample checks the full example at the end of
// docs/config.md: feedloom check accepts it, and it uses every key.
func TestConfigReferenceExample(t *testing.T) {
	data, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	example, line := fullExample(data)
	if example == nil {
		t.Fatalf("%s: no ```yaml block after the heading \"## Full example\"", referenceFile)
	}
	dir := t.TempDir()
	opml, err := os.ReadFile("testdata/subscriptions.opml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "subscriptions.opml"), opml, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(filepath.Join(dir, "feedloom.yaml"), example); err != nil {
		t.Fatalf("%s: the full example (its line 1 is line %d here) does not pass check:\n%v", referenceFile, line, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(example, &root); err != nil {
		t.Fatal(err)
	}
	used := make(map[string]bool)
	usedKeys(root.Content[0], "", used)
	for _, k := range schemaKeys() {
		if !used[k] {
			t.Errorf("%s: the full example does not use `%s`; add it", referenceFile, k)
		}
	}
}

// fullExample returns the YAML block that follows the heading "## Full
// example", and the line of the reference its first line is on.
func fullExample(data []byte) ([]byte, int) {
	var out []byte
	in, found, start := false, false, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		switch {
		case s == "## Full example":
			found = true
		case found && !in && s == "```yaml":
			in, start = true, line+1
		case in && s == "```":
			return out, start
		case in:
			out = append(append(out, s...), '\n')
		}
	}
	return nil, 0
}

// usedKeys records the path of every mapping key in n, in the form
// schemaKeys gives.
func usedKeys(n *yaml.Node, path string, used map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			used[p] = true
			usedKeys(n.Content[i+1], p, used)
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			usedKeys(e, path+"[]", used)
		}
	}
}
