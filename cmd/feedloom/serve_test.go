package main

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/feedloom/feedloom/config"
)

// startServe runs serve with the config file cfgPath on ln (its log to
// stderr; nil discards it) and returns the loaded config and a stop
// function that cancels serve, waits for it and returns its error. Stop
// runs when the test ends at the latest, failing the test if serve failed.
func startServe(t *testing.T, cfgPath string, ln net.Listener, stderr io.Writer) (*config.Config, func() error) {
	t.Helper()
	if stderr == nil {
		stderr = io.Discard
	}
	e := &env{stdout: io.Discard, stderr: stderr, name: "serve", configPath: cfgPath}
	cfg, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, e, cfg, ln) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return cfg, stop
}
