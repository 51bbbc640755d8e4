package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// echoFrame is about the size of an aws/chat frame carrying a short message.
var echoFrame = []byte(`{"topic":"aws/chat","contentType":"application/json","content":"` + strings.Repeat("x", 380) + `"}`)

// echoRate measures the raw WebSocket ceiling of this machine: a trivial echo server on
// loopback (TLS when tls is set, with httptest's certificate) built on the same WebSocket
// library as the node, and conns client sockets each sending a frame and waiting for its
// echo, for d. It returns round trips per second (one round trip is one frame each way).
func echoRate(ctx context.Context, tls bool, conns int, d time.Duration) (float64, error) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, b); err != nil {
				return
			}
		}
	}))
	url := ""
	if tls {
		srv.StartTLS()
		url = "wss" + strings.TrimPrefix(srv.URL, "https")
	} else {
		srv.Start()
		url = "ws" + strings.TrimPrefix(srv.URL, "http")
	}
	defer srv.Close()
	hc := srv.Client()
	var socks []*websocket.Conn
	defer func() {
		for _, c := range socks {
			c.CloseNow()
		}
	}()
	for range conns {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			return 0, err
		}
		socks = append(socks, c)
	}
	var (
		n    atomic.Int64
		wg   sync.WaitGroup
		ferr atomic.Value
	)
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	for _, c := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rctx.Err() == nil {
				if err := c.Write(rctx, websocket.MessageText, echoFrame); err != nil {
					if rctx.Err() == nil {
						ferr.Store(err)
					}
					return
				}
				if _, _, err := c.Read(rctx); err != nil {
					if rctx.Err() == nil {
						ferr.Store(err)
					}
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := ferr.Load().(error); ok {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}
