package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/recordsink"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/web"
	"github.com/ringfence/ringfence/workspace"
)

// Handler returns the node's HTTP handler: /healthz (the process answers), /readyz (the store
// answers), the participant API at /participant/, the sign-in and account pages at /ui/
// (package web), SAML, OIDC and emergency sign-in at /ui/sso/ and /ui/emergency (package
// sso), the agent workspace at /ui/workspace/ (package workspace), the agent API at
// /agent/v1/ (package agentapi, docs/agent-api.md) and the
// Connect-compatible API for every other path. reg receives metrics.
func (n *Node) Handler(reg prometheus.Registerer) (http.Handler, error) {
	rt, err := n.runtime()
	if err != nil {
		return nil, err
	}
	participant, err := chat.NewHandler(chat.HandlerConfig{Service: rt.Chat, Logger: n.Config.Logger})
	if err != nil {
		return nil, err
	}
	a, err := api.New(api.Config{
		Contacts: rt.Contacts, Chat: rt.Chat,
		Region: n.Config.Region, AccountID: n.AccountID, Endpoint: n.Endpoint(),
		MaxBodyBytes: n.Config.MaxBodyBytes, RatePerSecond: n.Config.APIRate, Burst: n.Config.APIBurst,
		Store: n.Store, Secrets: n.Secrets, Logger: n.Config.Logger, Registerer: reg,
		Profiles: store.UserProfiles{Store: n.Store}, Hasher: &n.pwHasher,
	})
	if err != nil {
		return nil, err
	}
	pages, err := n.webHandler(rt)
	if err != nil {
		return nil, err
	}
	agents, err := n.agentHandler(rt, a, pages)
	if err != nil {
		return nil, err
	}
	signOn, err := n.ssoHandler(pages)
	if err != nil {
		return nil, err
	}
	desk, err := workspace.New(workspace.Config{CSRFToken: func(r *http.Request) (string, error) {
		tok, err := pages.CSRFToken(r)
		if errors.Is(err, web.ErrSignedOut) {
			return "", workspace.ErrSignedOut
		}
		return tok, err
	}, HSTS: n.Config.HSTS, Logger: n.Config.Logger})
	if err != nil {
		return nil, err
	}
	widgets, err := n.widgetHandler(a)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		err := n.Store.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			_, _, err := tx.Setting(ctx, "account_id")
			return err
		})
		w.Header().Set("Content-Type", "text/plain")
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("store unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("/participant/", participant)
	mux.Handle("/ui/", pages)
	mux.Handle(workspace.Prefix, desk)
	mux.Handle("/ui/sso/", signOn)
	mux.Handle("/ui/emergency", signOn)
	mux.Handle("/agent/v1/", agents)
	mux.Handle("/widget/", widgets)
	mux.Handle("/", a)
	return securityHeaders(mux), nil
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Strict-Transport-Security", "max-age=31536000")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Serve runs the HTTP servers until ctx ends, then shuts down gracefully: it stops accepting
// connections, lets requests in flight finish (up to 15 s) and closes the store. ready, when
// not nil, is called with the bound API address once the listener is open.
func (n *Node) Serve(ctx context.Context, ready func(addr string)) error {
	// Listen first: the pages' default public origin names the bound address.
	ln, err := net.Listen("tcp", n.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", n.Config.HTTPAddr, err)
	}
	defer ln.Close()
	n.boundAddr = ln.Addr().String()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerStoreMetrics(reg, n.Store)
	registerKeyringMetrics(reg, n.Keyring)
	h, err := n.Handler(reg)
	if err != nil {
		return err
	}
	rt, err := n.runtime()
	if err != nil {
		return err
	}
	rtCtx, stopRuntime := context.WithCancel(context.WithoutCancel(ctx))
	rtDone := make(chan struct{})
	go func() { _ = rt.Contacts.Run(rtCtx); close(rtDone) }()
	defer func() { stopRuntime(); <-rtDone }()
	<-rt.Contacts.Ready()
	// Contact records go to the daily JSON Lines files in the data directory; old contacts
	// are deleted after the retention period.
	sinks, err := recordsink.New(recordsink.Config{Store: n.Store, DataDir: n.Config.DataDir, Logger: n.Config.Logger})
	if err != nil {
		return err
	}
	sinkDone := make(chan struct{})
	go func() { _ = sinks.Run(rtCtx); close(sinkDone) }()
	defer func() { stopRuntime(); <-sinkDone }()
	// A KEK version rotated in while the node runs seals new values within one interval.
	watchDone := make(chan struct{})
	go func() { n.watchKeyring(rtCtx); close(watchDone) }()
	defer func() { stopRuntime(); <-watchDone }()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	if !n.Config.InsecureHTTP {
		cert, key := n.Config.TLSCert, n.Config.TLSKey
		if cert == "" {
			cert, key, _, err = ensureSelfSigned(filepath.Join(n.Config.DataDir, "tls"), time.Now())
			if err != nil {
				return err
			}
		}
		srv.TLSConfig, err = tlsConfig(cert, key)
		if err != nil {
			return err
		}
	}
	var msrv *http.Server
	if n.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", n.Config.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", n.Config.MetricsAddr, err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		msrv = &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
	}
	errc := make(chan error, 1)
	// Read once: Serve sets srv.TLSConfig itself (HTTP/2 defaults) on the plain-HTTP path.
	useTLS := srv.TLSConfig != nil
	go func() {
		if useTLS {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	n.Config.Logger.Info("serving", "addr", ln.Addr().String(), "tls", useTLS, "metrics_addr", n.Config.MetricsAddr)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	n.Config.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if msrv != nil {
		_ = msrv.Shutdown(sctx)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
