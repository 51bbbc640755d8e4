package keyring

import (
	"context"
	"log/slog"
	"time"
)

// DefaultWatchInterval is how often Watch reads the key file when WatchOptions.Interval is 0:
// a KEK version added by `ringfence keys rotate` seals new values in a running process at
// most this long (plus one read of a file of a few kilobytes) after the new file is in place.
const DefaultWatchInterval = 10 * time.Second

// watchRepeatError is how often Watch logs a failure again while it persists unchanged (it
// retries at every interval, and logs at once when the failure changes or ends).
const watchRepeatError = 5 * time.Minute

// WatchOptions configures Watch.
type WatchOptions struct {
	// Interval is the time between two reads of the key file; 0 means DefaultWatchInterval.
	Interval time.Duration
	// Logger receives what Watch does, identifiers and versions only, never key material:
	// "keyring reloaded" (info: previous and current version, versions added), "key file
	// lacks versions in use" (warn: the versions kept in memory), "key file not loaded"
	// (error: the reason; repeated every 5 minutes while it persists) and "key file loaded
	// again" (info, when a failure ends). Nil discards.
	Logger *slog.Logger
}

// Watch reads the key file every opts.Interval until ctx ends and loads it when it changed
// (Reload), so that a running process seals under a version rotated in by another process
// (`ringfence keys rotate`, or a key file copied in place on a cluster node) without a
// restart; values sealed under older versions keep opening, since a reload never drops a key
// in use. A file that cannot be read, is insecure, does not parse or conflicts with the keys
// in use leaves the keyring as it is: Watch logs the failure (without key material), reports
// it through ReloadFailing, and tries again at the next interval. It returns when ctx ends.
func (l *Local) Watch(ctx context.Context, opts WatchOptions) {
	every := opts.Interval
	if every <= 0 {
		every = DefaultWatchInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var (
		lastErr    string
		lastLogged time.Time
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := l.Reload(ctx)
		if err != nil {
			l.failing.Store(true)
			now := l.now()
			if msg := err.Error(); msg != lastErr || now.Sub(lastLogged) >= watchRepeatError {
				log.Error("key file not loaded; the keys in use are kept", "path", l.path, "error", msg, "retry_every", every.String())
				lastErr, lastLogged = msg, now
			}
			continue
		}
		if l.failing.Swap(false) {
			log.Info("key file loaded again", "path", l.path, "current_version", res.Current)
		}
		lastErr = ""
		if !res.Changed {
			continue
		}
		if len(res.Missing) > 0 {
			log.Warn("key file lacks versions in use; they stay loaded until the process ends", "path", l.path, "versions", res.Missing)
		}
		log.Info("keyring reloaded", "path", l.path, "previous_version", res.Previous, "current_version", res.Current, "added_versions", res.Added)
	}
}

// ReloadFailing reports whether Watch's last attempt to load the key file failed (the
// process goes on with the keys it holds).
func (l *Local) ReloadFailing() bool { return l.failing.Load() }
