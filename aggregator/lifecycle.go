package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/schedule"
	"github.com/feedloom/feedloom/store"
	"github.com/mmcdole/gofeed"
)

// ErrGone is the error of a poll of a retired source: it answered 410 Gone
// and is not fetched again.
var ErrGone = errors.New("aggregator: source retired after 410 Gone")

const (
	// movesAfter is how many consecutive polls permanently redirected
	// (301, 308) to the same URL move a source there.
	movesAfter = 3
	// flagAfter is how long a source fails before it is flagged.
	flagAfter = 7 * 24 * time.Hour
)

// metaSchedule names the source meta value holding the schedule hints of
// the source's last document (schedule.Hints as JSON): a 304 brings none.
const metaSchedule = "schedule"

// succeeded records a successful poll in st (resp is a 200 with feed, or a
// 304 with feed nil), decides the next poll and stores st with w.
func (a *Aggregator) succeeded(w *store.Writer, src feedloom.Source, st *feedloom.SourceState, resp *fetch.Response, feed *gofeed.Feed, now time.Time) error {
	var h schedule.Hints
	if feed != nil {
		h = schedule.FromFeed(feed, now)
		b, err := json.Marshal(h)
		if err != nil {
			return err
		}
		if err := w.PutSourceMeta(src.URL, metaSchedule, b); err != nil {
			return err
		}
	} else {
		var err error
		if h, err = loadHints(w, src.URL); err != nil {
			return err
		}
	}
	st.LastPoll, st.LastSuccess, st.LastStatus = now, now, resp.Status
	st.LastError, st.ErrorClass, st.ConsecutiveFails = "", "", 0
	st.FailingSince, st.Flagged = time.Time{}, false
	a.follow(st, src, resp.Redirects)

	sig := schedule.Signals{Hints: h, Config: src.Interval, Pushed: a.push.is(src.URL)}
	sig.MaxAge, sig.Expires = schedule.Lifetime(resp.Header, now)
	st.ItemsPerWeek, _ = h.PerWeek(now)
	a.plan(st, a.policy.Healthy(sig, now), h, now)
	settle(st)
	return w.PutSourceState(*st)
}

// failed records a failed poll and returns the state stored: the error,
// a next poll after a Retry-After or an exponential backoff, and the
// retirement of a source that answered 410. What was stored before stays
// stored.
func (a *Aggregator) failed(ctx context.Context, src feedloom.Source, res Result, now time.Time) feedloom.SourceState {
	var st feedloom.SourceState
	err := a.st.Update(context.WithoutCancel(ctx), func(w *store.Writer) error {
		var err error
		if st, err = w.SourceState(src.URL); err != nil {
			return err
		}
		h, err := loadHints(w, src.URL)
		if err != nil {
			return err
		}
		st.LastPoll, st.LastStatus = now, res.Status
		st.LastError, st.ErrorClass = res.Err.Error(), ErrorClass(res.Err)
		if st.ConsecutiveFails == 0 || st.FailingSince.IsZero() {
			st.FailingSince = now
		}
		st.ConsecutiveFails++
		st.Flagged = now.Sub(st.FailingSince) >= flagAfter
		var se *fetch.StatusError
		switch {
		case errors.As(res.Err, &se) && se.Code == http.StatusGone:
			st.Retired, st.NextPoll = now, time.Time{}
			st.Interval, st.IntervalReason = 0, "gone"
		case errors.As(res.Err, &se) && se.RetryAfter > 0:
			a.plan(&st, a.policy.RetryAfter(se.RetryAfter), h, now)
		default:
			a.plan(&st, a.policy.Backoff(st.ConsecutiveFails), h, now)
		}
		settle(&st)
		return w.PutSourceState(st)
	})
	if err != nil {
		a.o.Logger.Error("recording a failed poll", slog.String("source", src.URL), slog.Any("error", err))
		st.NextPoll = now.Add(a.policy.Backoff(1).Delay(rand.Float64()))
	}
	return st
}

// plan sets st's next poll from d, moved out of the hours and days the
// feed skips.
func (a *Aggregator) plan(st *feedloom.SourceState, d schedule.Decision, h schedule.Hints, now time.Time) {
	st.Interval, st.IntervalReason = d.Interval, d.Reason
	st.NextPoll = now.Add(d.Delay(rand.Float64()))
	if t, moved := h.Skip(st.NextPoll); moved {
		st.NextPoll = t
		st.IntervalReason += ", out of skipHours/skipDays"
	}
}

// follow counts the permanent redirects of a successful poll: after
// movesAfter consecutive polls permanently redirected to the same URL, the
// source is polled there. A temporary redirect (302, 307) anywhere in the
// chain ends the permanent part; a poll without a permanent redirect
// starts the count again.
func (a *Aggregator) follow(st *feedloom.SourceState, src feedloom.Source, hops []fetch.Redirect) {
	to := permanentTarget(hops)
	switch {
	case to == "":
		st.RedirectTo, st.Redirects = "", 0
		return
	case to == st.RedirectTo:
		st.Redirects++
	default:
		st.RedirectTo, st.Redirects = to, 1
	}
	if st.Redirects < movesAfter {
		return
	}
	st.MovedTo = to
	if to == src.URL {
		st.MovedTo = "" // moved back home
	}
	st.RedirectTo, st.Redirects = "", 0
	a.o.Logger.Info("source moved", slog.String("source", src.URL), slog.String("moved_to", to))
}

// permanentTarget is where the leading run of permanent redirects (301,
// 308) of a chain leads, or "" when the chain does not start with one.
func permanentTarget(hops []fetch.Redirect) string {
	to := ""
	for _, h := range hops {
		if h.Status != http.StatusMovedPermanently && h.Status != http.StatusPermanentRedirect {
			break
		}
		to = h.To
	}
	return to
}

// settle sets st.State from the rest of st. It is the one place a state
// is decided.
func settle(st *feedloom.SourceState) {
	switch {
	case !st.Retired.IsZero():
		st.State = feedloom.StateGone
	case st.LastPoll.IsZero():
		st.State = feedloom.StateNew
	case st.ConsecutiveFails > 0:
		st.State = feedloom.StateFailing
	case st.MovedTo != "":
		st.State = feedloom.StateMoved
	default:
		st.State = feedloom.StateOK
	}
}

// loadHints reads the schedule hints of source's last document.
func loadHints(w *store.Writer, source string) (schedule.Hints, error) {
	var h schedule.Hints
	b, err := w.SourceMeta(source, metaSchedule)
	if err != nil || b == nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return schedule.Hints{}, nil // written by another version: learn again
	}
	return h, nil
}
