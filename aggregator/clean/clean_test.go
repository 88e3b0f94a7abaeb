package clean

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"golang.org/x/net/html"
)

// chrome matches the lines of defapress's page chrome.
var chrome = regexp.MustCompile(`(?m)^(?:Message end/|News ID: \d+|Publish Date: .*|your comment|By Staff Writer|Share on Facebook Twitter)$`)

// TestCleanDefapress learns a defapress-style feed from its first poll,
// cleans it, and checks that the chrome and the glued titles are gone from
// Summary, Content and Text while every other line is kept.
func TestCleanDefapress(t *testing.T) {
	for _, name := range []string{"defapress.xml", "defapress-poll.xml"} {
		t.Run(name, func(t *testing.T) {
			before, after, _ := learned(t, name)
			for i, it := range after {
				if m := chrome.FindString(it.Text); m != "" {
					t.Errorf("%s: Text keeps %q", it.Title, m)
				}
				for _, html := range []string{it.Summary, it.Content} {
					if m := chrome.FindString(normalize.PlainText(html)); m != "" {
						t.Errorf("%s: HTML keeps %q", it.Title, m)
					}
				}
				if strings.HasPrefix(it.Text, it.Title) {
					t.Errorf("%s: Text still starts with the title: %q", it.Title, it.Text)
				}
				// Every line that is not chrome is still there, the
				// first one without the title.
				want := chrome.ReplaceAllString(before[i].Text, "")
				want = strings.TrimSpace(strings.TrimPrefix(want, it.Title))
				want = strings.TrimLeft(want, " -")
				want = strings.Join(strings.Fields(want), " ")
				if got := strings.Join(strings.Fields(it.Text), " "); got != want {
					t.Errorf("%s: Text =\n%s\nwant\n%s", it.Title, got, want)
				}
				if it.Summary == "" || it.Text == "" {
					t.Errorf("%s: emptied", it.Title)
				}
			}
		})
	}
}

// TestCleanLavrov shows one item whole: the first item of the larger
// defapress poll, before and after.
func TestCleanLavrov(t *testing.T) {
	before, after, _ := learned(t, "defapress-poll.xml")
	if !strings.HasPrefix(before[0].Title, "Lavrov") {
		t.Fatalf("first item is %q", before[0].Title)
	}
	wantText := `"We are ready to continue the dialogue on all issues on the bilateral agenda, including the peace treaty," Russian Foreign Minister Sergei Lavrov said after talks with his Japanese counterpart Taro Kono in Moscow.
Lavrov said the two sides had agreed to step up joint economic activities on the southern Kuril Islands.
He added that Moscow still expected Tokyo to take into account Russia's concerns over the US missile defense systems planned for Japan.`
	if after[0].Text != wantText {
		t.Errorf("Text =\n%s\nwant\n%s", after[0].Text, wantText)
	}
	wantSummary := `&#34;We are ready to continue the dialogue on all issues on the bilateral agenda, including the peace treaty,&#34; Russian Foreign Minister Sergei Lavrov said after talks with his Japanese counterpart Taro Kono in Moscow.
<p>Lavrov said the two sides had agreed to step up joint economic activities on the southern Kuril Islands.</p>
<p>He added that Moscow still expected Tokyo to take into account Russia&#39;s concerns over the US missile defense systems planned for Japan.</p>`
	if after[0].Summary != wantSummary {
		t.Errorf("Summary =\n%s\nwant\n%s", after[0].Summary, wantSummary)
	}
	// Nothing but the body changes.
	b, a := before[0], after[0]
	b.Summary, b.Content, b.Text = "", "", ""
	a.Summary, a.Content, a.Text = "", "", ""
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Clean changed more than the body:\n%+v\n%+v", a, b)
	}
}

// TestCleanTitle covers the ways a body repeats its title.
func TestCleanTitle(t *testing.T) {
	const title = "Navy Chief Inspects Southern Coastal Bases"
	tests := map[string]struct {
		title, summary, want string
	}{
		"glued to a quote":        {"Moscow Views Deployment as Threat", `Moscow Views Deployment as Threat&#34;We have once more…`, `&#34;We have once more…`},
		"glued to a capital":      {title, `Navy Chief Inspects Southern Coastal BasesThe Navy commander visited.`, `The Navy commander visited.`},
		"dash separator":          {title, `Navy Chief Inspects Southern Coastal Bases - The Navy commander visited.`, `The Navy commander visited.`},
		"colon separator":         {title, `Navy Chief Inspects Southern Coastal Bases: The Navy commander visited.`, `The Navy commander visited.`},
		"own paragraph":           {title, `<p>Navy Chief Inspects Southern Coastal Bases</p><p>The Navy commander visited.</p>`, `<p>The Navy commander visited.</p>`},
		"own heading":             {title, `<h2>Navy Chief Inspects Southern Coastal Bases</h2>The Navy commander visited.`, `The Navy commander visited.`},
		"in strong, with a link":  {title, `<p><strong>Navy Chief Inspects</strong> Southern Coastal Bases - The <a href="https://n.example/">Navy</a> commander visited.</p>`, `<p>The <a href="https://n.example/" rel="noopener nofollow noreferrer">Navy</a> commander visited.</p>`},
		"other case, curly":       {"Iran’s Navy Docks in Muscat", `IRAN'S NAVY DOCKS IN MUSCAT. The flotilla docked.`, `The flotilla docked.`},
		"after an image":          {title, `<p><img src="https://n.example/a.jpg"/></p><p>Navy Chief Inspects Southern Coastal Bases - The Navy commander visited.</p>`, ""},
		"in the middle of a word": {title, `Navy Chief Inspects Southern Coastal Basesides were visited.`, ""},
		"title is a prefix only":  {title, `Navy Chief Inspects Southern Coastal units.`, ""},
		"short title":             {"Tehran", `Tehran, May 11 (IRNA) - The Navy commander visited.`, ""},
		"body is only the title":  {title, `<p>Navy Chief Inspects Southern Coastal Bases</p>`, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			it := feedloom.Item{Title: tt.title, Summary: normalize.Sanitize(tt.summary, nil)}
			it.Text = normalize.PlainText(it.Summary)
			orig := it
			new(Model).Clean(&it)
			want := tt.want
			if want == "" {
				want = orig.Summary // unchanged
			}
			if it.Summary != want {
				t.Errorf("Summary = %q, want %q", it.Summary, want)
			}
			if it.Text != normalize.PlainText(it.Summary) {
				t.Errorf("Text %q is not the text of Summary %q", it.Text, it.Summary)
			}
		})
	}
}

// TestCleanUnchanged: a clean feed, learned and cleaned, is the same
// feed.
func TestCleanUnchanged(t *testing.T) {
	for _, name := range []string{"tass.xml"} {
		t.Run(name, func(t *testing.T) {
			before, after, m := learned(t, name)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("Clean changed a clean feed:\n%+v\n%+v", before, after)
			}
			if bp := m.Boilerplate(); len(bp) != 0 {
				t.Errorf("Boilerplate() = %q, want none", bp)
			}
		})
	}
}

// TestCleanLongParagraphs: a long paragraph (a legal notice) is removed
// when it is in 60% of the items and in at least 5, and kept otherwise:
// four items are not enough evidence, nor is the background paragraph of a
// running story that three items in ten repeat.
func TestCleanLongParagraphs(t *testing.T) {
	const legal = "This material is published under licence"
	const background = "The dispute began in March"
	tests := map[string]struct {
		feed   string
		items  int // learn and clean the first items only; 0: all
		gone   []string
		kept   []string
		keptIn int // items that keep the kept lines
	}{
		"legal notice in 8 of 8": {feed: "legal.xml", gone: []string{legal}},
		"legal notice in 4 of 4": {feed: "legal.xml", items: 4, kept: []string{legal}, keptIn: 4},
		"running story":          {feed: "running-story.xml", gone: []string{"Read more"}, kept: []string{background}, keptIn: 3},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			items := load(t, tt.feed)
			if tt.items > 0 {
				items = items[:tt.items]
			}
			m := new(Model)
			m.Learn(items)
			kept := 0
			for i := range items {
				m.Clean(&items[i])
				for _, s := range tt.gone {
					if strings.Contains(items[i].Text, s) || strings.Contains(items[i].Summary, s) {
						t.Errorf("%s: keeps %q", items[i].Title, s)
					}
				}
				for _, s := range tt.kept {
					if strings.Contains(items[i].Text, s) && strings.Contains(items[i].Summary, s) {
						kept++
					}
				}
			}
			if kept != tt.keptIn*len(tt.kept) {
				t.Errorf("%d items keep %q, want %d", kept, tt.kept, tt.keptIn)
			}
		})
	}
}

// TestCleanNeverEmpties: an item whose every line is boilerplate (a feed
// that puts its tagline in every description) is left as it is.
func TestCleanNeverEmpties(t *testing.T) {
	items := make([]feedloom.Item, 5)
	for i := range items {
		items[i] = feedloom.Item{
			Title:   []string{"Oil prices rise again", "Markets close higher today", "Central bank holds rates", "New port terminal opens", "Car sales rise in April"}[i],
			Summary: "<p>The latest news from Example Daily</p><p>Read more</p>",
			Text:    "The latest news from Example Daily\nRead more",
		}
	}
	m := new(Model)
	m.Learn(items)
	if bp := m.Boilerplate(); !reflect.DeepEqual(bp, []string{"read more", "the latest news from example daily"}) {
		t.Fatalf("Boilerplate() = %q", bp)
	}
	for i := range items {
		orig := items[i]
		m.Clean(&items[i])
		if !reflect.DeepEqual(items[i], orig) {
			t.Errorf("emptied item changed: %+v", items[i])
		}
	}
}

// TestCleanTextOnly: an item with text and no HTML loses the same lines.
func TestCleanTextOnly(t *testing.T) {
	_, _, m := learned(t, "defapress-poll.xml")
	it := feedloom.Item{
		Title: "Drone Exhibition Opens in Tehran",
		Text:  "Drone Exhibition Opens in TehranAn exhibition opened.\nMessage end/\nNews ID: 77399\nPublish Date: 1Jun 2019 - 09:00\nyour comment",
	}
	m.Clean(&it)
	if it.Text != "An exhibition opened." {
		t.Errorf("Text = %q, want %q", it.Text, "An exhibition opened.")
	}
}

// TestCleanKeepsMarkup: removing a block keeps everything around it, and
// the lines on either side of a removed block stay apart.
func TestCleanKeepsMarkup(t *testing.T) {
	_, _, m := learned(t, "defapress-poll.xml")
	tests := map[string]struct{ in, want string }{
		"links and images": {
			`<p>Drills <a href="https://d.example/x">began</a>.</p><figure><img src="https://d.example/a.jpg" alt="radar"/><figcaption>A radar unit</figcaption></figure><div>News ID: 1</div><p>They end on <em>Friday</em>.</p>`,
			`<p>Drills <a href="https://d.example/x" rel="noopener nofollow noreferrer">began</a>.</p><figure><img src="https://d.example/a.jpg" alt="radar"/><figcaption>A radar unit</figcaption></figure><p>They end on <em>Friday</em>.</p>`,
		},
		"block between two lines": {
			`Drills began.<div>Message end/</div>They end on Friday.`,
			`Drills began.<br/>They end on Friday.`,
		},
		"line after a br": {
			`Drills began.<br/>your comment<br/>They end on Friday.`,
			`Drills began.<br/>They end on Friday.`,
		},
		"nested chrome": {
			`<p>Drills began.</p><div><div>Share on Facebook Twitter</div><div>your comment</div></div>`,
			`<p>Drills began.</p>`,
		},
		"chrome in a link": {
			`<p>Drills began.</p><a href="https://d.example/c"><div>your comment</div></a>`,
			`<p>Drills began.</p>`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			it := feedloom.Item{Title: "Air Defense Units Hold Drill", Content: normalize.Sanitize(tt.in, nil)}
			it.Text = normalize.PlainText(it.Content)
			m.Clean(&it)
			if it.Content != tt.want {
				t.Errorf("Content =\n%s\nwant\n%s", it.Content, tt.want)
			}
			if it.Text != normalize.PlainText(tt.want) {
				t.Errorf("Text = %q, want %q", it.Text, normalize.PlainText(tt.want))
			}
		})
	}
}

// TestCleanIdempotent: cleaning a cleaned item changes nothing.
func TestCleanIdempotent(t *testing.T) {
	for name := range feeds {
		t.Run(name, func(t *testing.T) {
			_, once, m := learned(t, name)
			for i := range once {
				twice := once[i]
				m.Clean(&twice)
				if !reflect.DeepEqual(twice, once[i]) {
					t.Errorf("%s: second Clean changed\n%+v\nto\n%+v", once[i].Title, once[i], twice)
				}
			}
		})
	}
}

// TestTextOfMatchesItems: the Text that Clean makes again from Summary and
// Content (normalize.EntryText) is the one Items made, for every normalize
// fixture, so a cleaned item's Text is what normalize would have made of
// its HTML.
func TestTextOfMatchesItems(t *testing.T) {
	for name := range feeds {
		for _, it := range load(t, name) {
			if got := normalize.EntryText(it.Summary, it.Content); got != it.Text {
				t.Errorf("%s %s: EntryText = %q, Items made %q", name, it.Title, got, it.Text)
			}
		}
	}
}

// TestLineBreaksMatchPlainText: the elements Clean takes as lines are the
// ones normalize.PlainText breaks lines at.
func TestLineBreaksMatchPlainText(t *testing.T) {
	tags := []string{"a", "abbr", "address", "article", "aside", "b", "blockquote", "caption", "cite", "code",
		"dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3",
		"h4", "h5", "h6", "header", "i", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q",
		"s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "time", "u", "ul", "var"}
	for _, tag := range tags {
		frag := "<" + tag + ">y</" + tag + ">"
		if tag == "caption" {
			frag = "<table>" + frag + "</table>" // dropped anywhere else
		}
		breaks := strings.Contains(normalize.PlainText("x"+frag+"z"), "\n")
		root := parseForTest(t, frag)
		var el *html.Node
		for d := range root.Descendants() {
			if d.Type == html.ElementNode && d.Data == tag {
				el = d
				break
			}
		}
		if el == nil {
			t.Fatalf("<%s> did not parse", tag)
		}
		if got := blocks(root)[el]; got != breaks {
			t.Errorf("<%s>: Clean takes it as a line: %v; PlainText breaks at it: %v", tag, got, breaks)
		}
	}
	for _, tag := range []string{"br", "hr"} {
		if !strings.Contains(normalize.PlainText("x<"+tag+">z"), "\n") {
			t.Errorf("PlainText no longer breaks at <%s>", tag)
		}
	}
}

// TestCleanKeepsImages: chrome under an image goes; the image stays, even
// with no text left.
func TestCleanKeepsImages(t *testing.T) {
	it := feedloom.Item{Title: "Drone Exhibition Opens in Tehran", Summary: normalize.Sanitize(`<img src="https://d.example/a.jpg"/><div>Read more</div>`, nil)}
	it.Text = normalize.PlainText(it.Summary)
	new(Model).Clean(&it)
	if want := `<img src="https://d.example/a.jpg"/>`; it.Summary != want || it.Text != "" {
		t.Errorf("Summary, Text = %q, %q; want %q, %q", it.Summary, it.Text, want, "")
	}
}
