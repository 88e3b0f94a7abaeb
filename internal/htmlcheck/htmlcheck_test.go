package htmlcheck

import "testing"

// TestPage: what Page refuses and accepts that Fragment would judge
// differently.
func TestPage(t *testing.T) {
	const site = "https://loom.example/"
	page := func(head, body string) string {
		return `<!DOCTYPE html><html><head><meta charset="utf-8">` + head + `</head><body>` + body + `</body></html>`
	}
	bad := map[string]string{
		"script in body":       page("", `<script>alert(1)</script>`),
		"meta in body":         page("", `<meta http-equiv="refresh" content="0;url=https://evil.example/">`),
		"link off-site no rel": page("", `<a href="https://evil.example/">x</a>`),
		"link partial rel":     page("", `<a href="https://evil.example/" rel="nofollow">x</a>`),
		"event handler":        page("", `<p onclick="x">x</p>`),
		"relative URL":         page("", `<img src="/x.png">`),
		"unclosed":             page("", `<div>x`),
	}
	for name, s := range bad {
		if Page(s, site) == nil {
			t.Errorf("%s: Page accepted %s", name, s)
		}
	}
	good := page(`<title>t</title><link rel="stylesheet" href="https://loom.example/style.css">`,
		`<a href="https://loom.example/topics/x">site</a> <a href="https://evil.example/" rel="nofollow noopener noreferrer">out</a>`)
	if err := Page(good, site); err != nil {
		t.Errorf("Page(%s) = %v", good, err)
	}
	if Fragment(good) == nil {
		t.Error("Fragment accepted a whole page")
	}
}
