package publisher

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// jsonFeedSchema is JSON Feed 1.1 as a JSON Schema (draft 2020-12),
// written for these tests from the specification's text. Formats
// (date-time for RFC 3339 dates, uri) are asserted, not just annotated.
func jsonFeedSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("testdata/jsonfeed-1.1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validateJSONFeed fails t unless body is valid against sch.
func validateJSONFeed(t *testing.T, sch *jsonschema.Schema, name string, body []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("%s is not valid JSON Feed 1.1: %v\n%s", name, err, body)
	}
}

// TestJSONFeedSchema validates the JSON Feed of every topic of the render
// fixture (with a hub, odd items, no items), of the store-backed site, and
// of the current feed and the archive pages of a paged topic.
func TestJSONFeedSchema(t *testing.T) {
	sch := jsonFeedSchema(t)
	st := &memStore{}
	st.set("world", worldEntries())
	rs := New(st, Options{BaseURL: testBase, Topics: testTopics, Hub: "https://hub.example/websub"})
	for _, topic := range testTopics {
		validateJSONFeed(t, sch, topic.Name+".json", render(t, rs, topic.Name, JSON))
	}
	site := newSite(t)
	for _, topic := range httpTopics {
		validateJSONFeed(t, sch, "site "+topic.Name+".json", render(t, site.srv, topic.Name, JSON))
	}
	paged := newPagedSite(t, Options{Hub: "https://hub.example/websub"})
	for n := range 7 {
		file(t, paged.st, n, n)
	}
	for _, path := range []string{"/topics/paged.json", "/topics/paged/archive/0.json", "/topics/paged/archive/1.json", "/topics/paged/archive/2.json"} {
		resp, body := paged.do(t, "GET", path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		validateJSONFeed(t, sch, path, body)
	}
}

// TestJSONFeedSchemaStrict shows the schema refuses what the
// specification does: each case breaks one rule of a valid feed.
func TestJSONFeedSchemaStrict(t *testing.T) {
	sch := jsonFeedSchema(t)
	s, _ := newTestServer()
	valid := render(t, s, "world", JSON)
	tests := map[string]func(f map[string]any){
		"version 1.0":            func(f map[string]any) { f["version"] = "https://jsonfeed.org/version/1" },
		"no version":             func(f map[string]any) { delete(f, "version") },
		"no title":               func(f map[string]any) { delete(f, "title") },
		"no items":               func(f map[string]any) { delete(f, "items") },
		"items not an array":     func(f map[string]any) { f["items"] = map[string]any{} },
		"unknown feed key":       func(f map[string]any) { f["feedloom"] = true },
		"relative feed_url":      func(f map[string]any) { f["feed_url"] = "topics/world.json" },
		"hub without url":        func(f map[string]any) { f["hubs"] = []any{map[string]any{"type": "WebSub"}} },
		"hub without type":       func(f map[string]any) { f["hubs"] = []any{map[string]any{"url": "https://hub.example/"}} },
		"numeric id":             func(f map[string]any) { item(f, 0)["id"] = 7 },
		"no id":                  func(f map[string]any) { delete(item(f, 0), "id") },
		"no content":             func(f map[string]any) { delete(item(f, 0), "content_html"); delete(item(f, 0), "content_text") },
		"author as string":       func(f map[string]any) { item(f, 0)["authors"] = []any{"Ivan Petrov"} },
		"empty author":           func(f map[string]any) { item(f, 0)["authors"] = []any{map[string]any{}} },
		"attachment no mime":     func(f map[string]any) { delete(attachment(f), "mime_type") },
		"attachment no url":      func(f map[string]any) { delete(attachment(f), "url") },
		"fractional size":        func(f map[string]any) { attachment(f)["size_in_bytes"] = 1.5 },
		"size as string":         func(f map[string]any) { attachment(f)["size_in_bytes"] = "12345" },
		"date not RFC 3339":      func(f map[string]any) { item(f, 0)["date_published"] = "Sun, 01 Mar 2026 15:00:00 +0000" },
		"date without zone":      func(f map[string]any) { item(f, 0)["date_modified"] = "2026-03-01T15:00:00" },
		"tags not strings":       func(f map[string]any) { item(f, 0)["tags"] = []any{1} },
		"unknown item key":       func(f map[string]any) { item(f, 0)["size"] = 1 },
		"extension not object":   func(f map[string]any) { item(f, 0)["_feedloom"] = "x" },
		"expired not a bool":     func(f map[string]any) { f["expired"] = "no" },
		"unknown attachment key": func(f map[string]any) { attachment(f)["size"] = 12345 },
	}
	validateJSONFeed(t, sch, "world.json", valid)
	for name, breakIt := range tests {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			var f map[string]any
			if err := json.Unmarshal(valid, &f); err != nil {
				t.Fatal(err)
			}
			breakIt(f)
			b, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(doc); err == nil {
				t.Errorf("schema accepted a feed with %s", name)
			}
		})
	}
}

func item(f map[string]any, i int) map[string]any {
	return f["items"].([]any)[i].(map[string]any)
}

// attachment is the first attachment of the first item (the fixture's
// image).
func attachment(f map[string]any) map[string]any {
	return item(f, 0)["attachments"].([]any)[0].(map[string]any)
}
