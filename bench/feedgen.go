package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// gen describes the synthetic feeds. Every body is a pure function of gen,
// the feed's index and its version, so the origins and the gofeed baseline
// produce the same bytes without keeping them.
type gen struct {
	Sources int     `json:"sources"`
	Items   int     `json:"items"`    // items per feed
	PerHost int     `json:"per_host"` // feeds per origin host
	Wire    float64 `json:"wire"`     // share of items that retell a wire story other outlets carry too
	Seed    uint64  `json:"seed"`
	T0      int64   `json:"t0"` // unix seconds; every pubDate is before it
}

// hosts is the number of origin hosts.
func (g gen) hosts() int { return (g.Sources + g.PerHost - 1) / g.PerHost }

// wirePerSlot is how many distinct wire stories run in one hour.
const wirePerSlot = 40

// body renders feed f at version v: items v … v+Items-1 of the feed's
// endless sequence, newest first. A version step puts a new item on top
// and drops the oldest.
func (g gen) body(f, v int) []byte {
	h := f / g.PerHost
	var b strings.Builder
	b.Grow(g.Items * 2200)
	newest := g.Items - 1 + v
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>%s — %s</title>
<link>https://www.outlet%d.example/%s/</link>
<description>The latest %s news from %s.</description>
<language>en</language>
<lastBuildDate>%s</lastBuildDate>
`, outletName(h), section(f), h, strings.ToLower(section(f)), strings.ToLower(section(f)), outletName(h), g.pubDate(f, newest).Format(time.RFC1123Z))
	for j := newest; j >= v; j-- {
		g.item(&b, f, j)
	}
	b.WriteString("</channel>\n</rss>\n")
	return []byte(b.String())
}

// etag is the strong validator of body(f, v).
func (g gen) etag(f, v int) string {
	sum := sha256.Sum256(g.body(f, v))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// pubDate places item j of feed f: an hour apart, the initial newest item
// five hours before T0, so a few new items stay in the past.
func (g gen) pubDate(f, j int) time.Time {
	t0 := time.Unix(g.T0, 0).UTC()
	return t0.Add(-time.Duration(g.Items+4-j)*time.Hour + time.Duration((f*7)%60)*time.Minute)
}

func (g gen) item(b *strings.Builder, f, j int) {
	h := f / g.PerHost
	rng := rand.New(rand.NewPCG(g.Seed^uint64(f)*0x9e3779b97f4a7c15, uint64(j)))
	var title string
	var paras []string
	if rng.Float64() < g.Wire {
		// A wire story: the same text as every outlet carrying it, with
		// the outlet's own dateline and the odd word changed.
		w := j*wirePerSlot + rng.IntN(wirePerSlot)
		wr := rand.New(rand.NewPCG(g.Seed, 1<<40+uint64(w)))
		title = sentence(wr, 8, 12, false)
		paras = paragraphs(wr, 150, 300)
		paras[0] = strings.ToUpper(places[rng.IntN(len(places))]) + " (" + outletName(h) + ") — " + paras[0]
		words := strings.Fields(paras[len(paras)-1])
		words[rng.IntN(len(words))] = content[rng.IntN(len(content))]
		paras[len(paras)-1] = strings.Join(words, " ")
	} else {
		title = sentence(rng, 8, 12, false)
		paras = paragraphs(rng, 150, 300)
	}
	slug := strings.ToLower(strings.Join(strings.Fields(title)[:5], "-"))
	fmt.Fprintf(b, "<item>\n<title>%s</title>\n<link>https://www.outlet%d.example/%s/%d/%s-%d.html</link>\n", title, h, strings.ToLower(section(f)), j/24+1, slug, f*100000+j)
	fmt.Fprintf(b, "<guid isPermaLink=\"false\">outlet%d-%d-%d</guid>\n<pubDate>%s</pubDate>\n", h, f, j, g.pubDate(f, j).Format(time.RFC1123Z))
	fmt.Fprintf(b, "<dc:creator>%s %s</dc:creator>\n<category>%s</category>\n<description><![CDATA[", first[rng.IntN(len(first))], last[rng.IntN(len(last))], section(f))
	for _, p := range paras {
		b.WriteString("<p>")
		b.WriteString(p)
		b.WriteString("</p>")
	}
	fmt.Fprintf(b, "<p>The post appeared first on %s.</p>]]></description>\n</item>\n", outletName(h))
}

// paragraphs returns 3–6 paragraphs of between lo and hi words in all.
func paragraphs(rng *rand.Rand, lo, hi int) []string {
	want := lo + rng.IntN(hi-lo+1)
	per := want / (3 + rng.IntN(4))
	var paras, p []string
	n, inPara := 0, 0
	for n < want {
		s := sentence(rng, 10, 24, true)
		k := strings.Count(s, " ") + 1
		n, inPara = n+k, inPara+k
		p = append(p, s)
		if inPara >= per {
			paras = append(paras, strings.Join(p, " "))
			p, inPara = nil, 0
		}
	}
	if len(p) > 0 {
		paras = append(paras, strings.Join(p, " "))
	}
	return paras
}

// sentence returns lo–hi words of news-like text: function and content
// words, names, places and numbers.
func sentence(rng *rand.Rand, lo, hi int, stop bool) string {
	n := lo + rng.IntN(hi-lo+1)
	w := make([]string, n)
	for i := range w {
		switch r := rng.IntN(100); {
		case r < 40:
			w[i] = function[rng.IntN(len(function))]
		case r < 88:
			w[i] = content[rng.IntN(len(content))]
		case r < 93:
			w[i] = places[rng.IntN(len(places))]
		case r < 97:
			w[i] = last[rng.IntN(len(last))]
		default:
			w[i] = fmt.Sprint(rng.IntN(2000))
		}
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	s := strings.Join(w, " ")
	if stop {
		s += "."
	}
	return s
}

// outletName names host h's outlet, without digits: a number that differs
// between two copies of a wire story would make them different stories.
func outletName(h int) string {
	n := placeOf(h) + " " + outletKinds[(h/len(places))%len(outletKinds)]
	if e := h / (len(places) * len(outletKinds)); e > 0 {
		n += " " + editions[(e-1)%len(editions)]
	}
	return n
}

func placeOf(h int) string { return places[h%len(places)] }

func section(f int) string { return sections[f%len(sections)] }

var outletKinds = []string{"Herald", "Times", "Post", "Gazette", "Tribune", "Courier", "Daily", "Observer", "Chronicle", "Ledger"}

var editions = strings.Fields(`Evening Morning Weekly Online International Metro Sunday Review`)

var sections = strings.Fields(`World Politics Business Economy Markets Energy Science Health Sport Weather
Europe Asia Africa Americas Technology Culture Opinion Local Defense Climate`)

var function = strings.Fields(`the the the a a an of of of to to in in and and on for with at by from as
that which who is was were are be been has have had will would could may said says after before over
under about against between during amid into than more most its their his her this these those not also`)

var content = strings.Fields(`minister government officials president prime talks security defense missile
system agreement economy market prices oil gas exports imports trade election vote parliament party leader
court ruling judge police attack border military troops navy ship port city region capital country summit
meeting week month year report statement spokesman ministry foreign affairs energy bank rates inflation
growth company shares profit quarter workers strike union protest crowd rain storm flood earthquake damage
rescue hospital health vaccine schools students league match goal season coach players fans record weather
investors budget deficit tax reform bill law senate congress cabinet coalition opposition campaign poll
voters turnout ballot results counting fraud observers sanctions embargo tariffs negotiations ceasefire
peace deal accord treaty envoy ambassador embassy diplomats delegation visit talks crisis conflict war
forces soldiers drone strike air defense launch rocket satellite space agency scientists study research
data survey analysts forecast outlook demand supply production output factory plant jobs unemployment wages
pensions housing rents mortgage lenders banks central currency dollar euro yen bonds yields stocks index
futures crude barrel pipeline refinery power grid electricity blackout heatwave drought wildfire fire
firefighters evacuation residents villages district province governor mayor council officials statement
interview press conference announcement decision plan proposal measure policy program funding aid donors
refugees migrants asylum camp shelter food water supplies convoy trucks roads bridge railway airport flights
airline passengers tourism hotels exports farmers harvest wheat corn rice fertilizer prices consumers
retailers sales online platform technology software chips semiconductors artificial intelligence regulators
privacy data breach hackers cyber attack network outage telecom operator licence auction spectrum court
appeal verdict sentence prison trial charges prosecutors investigation inquiry commission evidence
witnesses lawyers defendant suspect arrest raid police officers protesters clashes tear gas curfew
emergency state rally march demonstration capital square streets thousands hundreds dozens millions
billion percent rise fall drop surge jump decline increase cut hike record high low level`)

var places = strings.Fields(`Ankara Berlin Brussels Cairo Delhi Geneva Jakarta Kyiv Lagos Lima London
Madrid Manila Moscow Nairobi Oslo Paris Riyadh Rome Seoul Tehran Tokyo Vienna Warsaw Washington Beijing
Baghdad Beirut Bogota Dhaka Doha Dubai Hanoi Islamabad Istanbul Kabul Karachi Minsk Ottawa Pretoria`)

var first = strings.Fields(`Anna Boris Carlos Dina Elena Farid Grace Hassan Irina James Kenji Leila
Maria Nikolai Olga Pedro Rania Sara Tomas Yusuf`)

var last = strings.Fields(`Ahmadi Brown Chen Dubois Evans Fischer Garcia Hansen Ivanova Jones Kim Lopez
Muller Novak Okafor Petrov Rossi Silva Tanaka Weber`)
