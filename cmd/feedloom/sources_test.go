package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSourcesStates polls an ok, a failing, a moved, a gone source and one
// the parse guard refuses, and checks what feedloom sources shows of each.
func TestSourcesStates(t *testing.T) {
	// One entry an hour old: about 24 a day, so the max-age of 2h is longer.
	doc := rss("Feed", rssItem("1", "One", "https://example.org/1", time.Now().Add(-time.Hour).Format(time.RFC1123Z), "b"))
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=7200")
		fmt.Fprint(w, doc)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, doc) })
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusMovedPermanently) })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	mux.HandleFunc("/deep", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0" xmlns:x="urn:x"><channel><item>`+strings.Repeat("<x:a>", 600)+`</item></channel></rss>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`fetch:
  allow_private_networks: true
sources:
  - {url: %[1]s/ok, name: Fine}
  - {url: %[1]s/fail, name: Failing}
  - {url: %[1]s/old, name: Moved}
  - {url: %[1]s/gone, name: Gone}
  - {url: %[1]s/deep, name: Deep}
  - {url: "%[1]s/ok?never", name: Never, interval: 2h}
`, srv.URL))
	for range 3 {
		if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 {
			t.Fatalf("poll exited %d\n%s%s", code, out, errOut)
		}
	}

	code, out, errOut := run(t, "sources", "-config", cfg)
	if code != 0 {
		t.Fatalf("sources exited %d: %s", code, errOut)
	}
	t.Logf("feedloom sources:\n%s", out)
	for name, want := range map[string][]string{
		"Fine":    {" ok ", " 200 ", " 2h ", "max-age 2h"},
		"Failing": {" failing ", " 502 ", " 3 ", "backoff (3 errors)", "http_5xx: fetch: ", "502 Bad Gateway"},
		"Deep":    {" failing ", " 200 ", " 3 ", "parse/too_deep: normalize: XML nested too deeply"},
		"Moved":   {" moved ", " 200 "},
		"Gone":    {" gone ", " 410 ", "gone", "410 Gone"},
		"Never":   {" ok ", "config"},
	} {
		line := lineOf(out, name+" ")
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q missing from %q", name, w, line)
			}
		}
	}

	_, out, _ = run(t, "sources", "-v", "-config", cfg)
	t.Logf("feedloom sources -v:\n%s", out)
	for _, w := range []string{
		"moved to: " + srv.URL + "/new",
		"retired: ",
		"failing since: ",
		"next poll: ",
		"every 2h: max-age 2h",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("sources -v: %q missing", w)
		}
	}

	_, out, _ = run(t, "sources", "-json", "-config", cfg)
	states := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var s struct {
			Name, State, MovedTo, IntervalReason string
			ErrorClass                           string `json:"error_class"`
			Interval                             int64
		}
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		states[s.Name] = s.State
		if s.ErrorClass != "" {
			states[s.Name] += " " + s.ErrorClass
		}
	}
	want := map[string]string{"Fine": "ok", "Failing": "failing http_5xx", "Moved": "moved", "Gone": "gone http_4xx", "Never": "ok", "Deep": "failing parse/too_deep"}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("sources -json states %v, want %v", states, want)
	}
}

func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestSourcesFullText polls a source with full text whose first item's
// page is an article and whose second item's page is missing, and checks
// that sources -v counts both.
func TestSourcesFullText(t *testing.T) {
	article, err := os.ReadFile("../../aggregator/fulltext/testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	date := time.Now().Add(-time.Hour).Format(time.RFC1123Z)
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, rss("Ledger",
			rssItem("1", "Barrier approved", base+"/barrier", date, "The authority approved a barrier."),
			rssItem("2", "Bakery closes", base+"/bakery", date, "A bakery closes.")))
	})
	mux.HandleFunc("/barrier", func(w http.ResponseWriter, r *http.Request) { w.Write(article) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`fetch:
  allow_private_networks: true
sources:
  - url: %s/feed
    name: Ledger
    fulltext: true
    republish: full
`, srv.URL))
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 {
		t.Fatalf("poll exited %d\n%s%s", code, out, errOut)
	}
	_, out, _ := run(t, "sources", "-v", "-config", cfg)
	t.Logf("feedloom sources -v:\n%s", out)
	if w := "full text: readability; new items: 1 extracted, 1 http_4xx"; !strings.Contains(out, w) {
		t.Errorf("sources -v: %q missing", w)
	}
}
