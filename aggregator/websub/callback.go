package websub

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ingestTimeout bounds storing one pushed document.
const ingestTimeout = time.Minute

// Handler answers the hubs at the callbacks: intent verification (GET)
// and content distribution (POST). Mount it at CallbackPath.
func (m *Manager) Handler() http.Handler { return http.HandlerFunc(m.serveHTTP) }

func (m *Manager) serveHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, CallbackPath)
	if !ok || id == "" || strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	loaded := m.loaded
	m.mu.Unlock()
	if !loaded {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	switch r.Method {
	case http.MethodGet:
		m.verify(w, r, id)
	case http.MethodPost:
		m.receive(w, r, id)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify answers a hub's intent verification, or its denial of a
// subscription.
func (m *Manager) verify(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	mode, topic, challenge := q.Get("hub.mode"), q.Get("hub.topic"), q.Get("hub.challenge")
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.byID[id]
	if s == nil || topic != s.Topic {
		http.NotFound(w, r)
		return
	}
	log := m.log.With(slog.String("source", s.Source), slog.String("hub", s.Hub), slog.String("mode", mode))
	now := m.o.Now()
	was := *s
	switch {
	case mode == "subscribe" && challenge != "" && s.State != Unsubscribing && s.State != Denied && !s.Requested.IsZero():
		lease, err := strconv.ParseInt(q.Get("hub.lease_seconds"), 10, 64)
		if err != nil || lease <= 0 {
			lease = int64(m.o.Lease / time.Second)
		}
		lease = min(lease, int64(10*365*24*time.Hour/time.Second))
		d := time.Duration(lease) * time.Second
		s.State, s.Verified, s.LeaseSeconds, s.Expires = Active, now, lease, now.Add(d)
		s.Next = now.Add(d / renewDen * renewNum)
		s.Attempts, s.LastError = 0, ""
		if err := m.save(r.Context(), map[string]*Subscription{s.Source: s}); err != nil {
			*s = was
			log.Error("saving a verified subscription", slog.Any("error", err))
			http.Error(w, "cannot save the subscription", http.StatusInternalServerError)
			return
		}
		if was.State != Active {
			m.pushed(s.Source, true)
		}
		log.Info("subscription verified", slog.Int64("lease_seconds", lease), slog.Time("expires", s.Expires))
		writeChallenge(w, challenge)
	case mode == "unsubscribe" && challenge != "" && s.State == Unsubscribing:
		if err := m.save(r.Context(), map[string]*Subscription{s.Source: nil}); err != nil {
			log.Error("deleting a subscription", slog.Any("error", err))
			http.Error(w, "cannot save the subscription", http.StatusInternalServerError)
			return
		}
		m.forget(s)
		log.Info("unsubscribed")
		writeChallenge(w, challenge)
	case mode == "denied":
		s.State, s.Next = Denied, now.Add(deniedRetry)
		s.LastError = "denied by the hub: " + q.Get("hub.reason")
		if err := m.save(r.Context(), map[string]*Subscription{s.Source: s}); err != nil {
			*s = was
			log.Error("saving a denied subscription", slog.Any("error", err))
			http.Error(w, "cannot save the subscription", http.StatusInternalServerError)
			return
		}
		if was.State == Active {
			m.pushed(s.Source, false)
		}
		log.Warn("the hub denied the subscription", slog.String("reason", q.Get("hub.reason")))
		w.WriteHeader(http.StatusOK)
	default:
		log.Warn("refused a verification that matches no request", slog.String("state", string(s.State)))
		http.NotFound(w, r)
	}
}

func writeChallenge(w http.ResponseWriter, challenge string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, challenge)
}

// receive handles a content distribution request: a signed document is
// stored; anything else is counted and ignored, but answered 2xx all the
// same (see the package documentation).
func (m *Manager) receive(w http.ResponseWriter, r *http.Request, id string) {
	m.mu.Lock()
	s, ok := m.byID[id]
	var sub Subscription
	if ok {
		sub = *s
	}
	src, known := m.sources[sub.Source]
	m.mu.Unlock()
	if !ok || !known {
		m.refused.Add(1) // a forgotten subscription's hub, or a guess
		http.NotFound(w, r)
		return
	}
	log := m.log.With(slog.String("source", sub.Source), slog.String("hub", sub.Hub))
	body, err := io.ReadAll(io.LimitReader(r.Body, m.o.MaxBody+1))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > m.o.MaxBody {
		m.failed.Add(1)
		log.Warn("push refused: body too large", slog.Int64("limit", m.o.MaxBody))
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	sig := r.Header.Get("X-Hub-Signature")
	if !validSignature(sig, body, sub.Secret) {
		m.refused.Add(1)
		reason := "bad signature"
		if sig == "" {
			reason = "unsigned"
		}
		log.Warn("push refused", slog.String("reason", reason), slog.String("remote", r.RemoteAddr))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), ingestTimeout)
	defer cancel()
	res, err := m.ing.Ingest(ctx, src, body, r.Header.Get("Content-Type"), sub.Topic)
	if err != nil {
		m.failed.Add(1)
		log.Warn("push not stored", slog.Any("error", err))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	m.accepted.Add(1)
	log.Info("push stored", slog.Int("new", res.New), slog.Int("updated", res.Updated), slog.Int("unchanged", res.Unchanged))
	w.WriteHeader(http.StatusNoContent)
}

// validSignature checks an X-Hub-Signature header ("sha256=<hex>"; sha1,
// sha384 and sha512 too) against the HMAC of body under secret, in
// constant time.
func validSignature(header string, body []byte, secret string) bool {
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok || secret == "" {
		return false
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return false
	}
	want, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), want)
}
