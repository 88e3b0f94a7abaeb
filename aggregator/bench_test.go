package aggregator_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/store"
)

// benchWords is a vocabulary for synthetic news text.
var benchWords = strings.Fields(`the a of to in and said minister government officials president
talks security defense missile system agreement economy market prices oil gas exports trade
election vote parliament party leader court ruling police attack border military troops navy
ship port city region capital country talks summit meeting week month year report statement
spokesman ministry foreign affairs energy bank rates inflation growth company shares profit
quarter workers strike union protest crowd rain storm flood earthquake damage rescue hospital
health vaccine schools students league match goal season coach players fans record weather`)

// benchFeed writes an RSS document of n new items (unique GUIDs, links and
// texts of about 250 words in paragraphs) to path.
func benchFeed(path string, round, n int, rng *rand.Rand) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title><link>https://bench.example/</link><description>d</description>`)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(round) * time.Hour)
	for i := range n {
		fmt.Fprintf(&b, "<item><guid>r%d-i%d</guid><title>", round, i)
		for range 8 {
			b.WriteString(benchWords[rng.IntN(len(benchWords))] + " ")
		}
		fmt.Fprintf(&b, "%d</title><link>https://bench.example/%d/%d</link><pubDate>%s</pubDate><description><![CDATA[",
			rng.IntN(1000), round, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z))
		for range 5 {
			b.WriteString("<p>")
			for range 50 {
				b.WriteString(benchWords[rng.IntN(len(benchWords))] + " ")
			}
			fmt.Fprintf(&b, "%d.</p>", rng.IntN(100000))
		}
		b.WriteString("]]></description></item>")
	}
	b.WriteString("</channel></rss>")
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// BenchmarkIngest polls a 50-item feed of new items into a store that
// keeps growing, with near-duplicate clustering off and on; items/s is the
// figure to compare (see BENCHMARKS.md).
func BenchmarkIngest(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("cluster=%v", on), func(b *testing.B) {
			dir := b.TempDir()
			st, err := store.Open(filepath.Join(dir, "feedloom.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			path := filepath.Join(dir, "feed.xml")
			src := feedloom.Source{URL: "file://" + path}
			agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{Cluster: on})
			rng := rand.New(rand.NewPCG(1, 2))
			ctx := context.Background()
			var polled time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				if err := benchFeed(path, i, 50, rng); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				r := agg.Poll(ctx, src)
				polled += time.Since(start)
				if r.Err != nil || r.New != 50 {
					b.Fatalf("poll: %v", r)
				}
			}
			b.ReportMetric(float64(50*b.N)/polled.Seconds(), "items/s")
		})
	}
}
