package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ringfence/ringfence/node"
)

// localNode is a node this process runs on loopback, on a temporary data directory removed
// when it stops.
type localNode struct {
	endpoint string
	pool     *x509.CertPool
	creds    aws.Credentials
	rt       *node.Runtime
	stop     func()
}

// startNode opens a node on a new temporary data directory, bootstraps an operator key and
// serves it on 127.0.0.1 (TLS with the generated local CA unless insecure). The per-key API
// rate limit is lifted: the run's one key starts every chat.
func startNode(ctx context.Context, insecure bool) (*localNode, error) {
	dir, err := os.MkdirTemp("", "chatload-")
	if err != nil {
		return nil, err
	}
	n, err := node.Open(ctx, node.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", InsecureHTTP: insecure,
		APIRate: 1e9, APIBurst: 1 << 30, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cleanup := func() { n.Close(); os.RemoveAll(dir) }
	boot, err := n.Bootstrap(ctx, "chatload")
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	rt, err := n.Runtime()
	if err != nil {
		cleanup()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.Serve(sctx, func(addr string) { addrc <- addr }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		cleanup()
		return nil, fmt.Errorf("serve: %w", err)
	}
	ln := &localNode{creds: aws.Credentials{AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey.Reveal()}, rt: rt,
		stop: func() { cancel(); <-done; cleanup() }}
	if insecure {
		ln.endpoint = "http://" + addr
		return ln, nil
	}
	ln.endpoint = "https://" + addr
	pem, err := os.ReadFile(boot.CACertPath)
	if err != nil {
		ln.stop()
		return nil, fmt.Errorf("local CA: %w", err)
	}
	ln.pool = x509.NewCertPool()
	ln.pool.AppendCertsFromPEM(pem)
	return ln, nil
}
