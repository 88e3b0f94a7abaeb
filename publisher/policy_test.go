package publisher

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
)

// TestRenderRightsAndTitleOnly: a source's rights are published with each
// of its items (RSS dc:rights, Atom <rights>, JSON Feed _feedloom.rights),
// and an item of a title-only source publishes no text at all.
func TestRenderRightsAndTitleOnly(t *testing.T) {
	st := &memStore{}
	st.set("world", []feedloom.Entry{
		{Story: feedloom.Story{ID: "00000000000000000000000000000001", Published: t0, Updated: t0},
			Items: []feedloom.Item{{ID: "a", Source: "https://a.example/feed", SourceName: "A", URL: "https://a.example/1",
				Title: "Rights story", Summary: "<p>Short summary</p>", Text: "Short summary", Published: t0, Rights: "© 2026 A & Co"}}},
		{Story: feedloom.Story{ID: "00000000000000000000000000000002", Published: t0.Add(-1), Updated: t0.Add(-1)},
			Items: []feedloom.Item{{ID: "b", Source: "https://b.example/feed", SourceName: "B", URL: "https://b.example/1",
				Title: "Title only", Text: "secret body text", Published: t0.Add(-1), Republish: feedloom.RepublishTitle}}},
	})
	s := New(st, Options{BaseURL: testBase, Topics: testTopics})
	for _, f := range []Format{RSS, Atom, JSON} {
		body := render(t, s, "world", f)
		if bytes.Contains(body, []byte("secret body text")) {
			t.Errorf("%v: the title-only item's text is published:\n%s", f, body)
		}
		if f != JSON {
			if err := xml.Unmarshal(body, new(struct{})); err != nil {
				t.Errorf("%v: not well-formed: %v", f, err)
			}
		}
		switch f {
		case RSS:
			if !strings.Contains(string(body), "<dc:rights>© 2026 A &amp; Co</dc:rights>") || strings.Count(string(body), "<dc:rights>") != 1 {
				t.Errorf("rss rights:\n%s", body)
			}
		case Atom:
			if !strings.Contains(string(body), "<rights>© 2026 A &amp; Co</rights>") || strings.Count(string(body), "<rights>") != 1 {
				t.Errorf("atom rights:\n%s", body)
			}
		case JSON:
			var doc struct {
				Items []struct {
					ContentText string `json:"content_text"`
					Feedloom    struct {
						Rights string `json:"rights"`
					} `json:"_feedloom"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Items) != 2 || doc.Items[0].Feedloom.Rights != "© 2026 A & Co" || doc.Items[1].Feedloom.Rights != "" || doc.Items[1].ContentText != "Title only" {
				t.Errorf("json: %+v", doc.Items)
			}
		}
	}
}
