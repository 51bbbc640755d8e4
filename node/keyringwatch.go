package node

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringfence/ringfence/keyring"
)

// watchKeyring reads the node's key file every Config.KeyringPoll until ctx ends
// (keyring.Local.Watch): after `ringfence keys rotate`, or a rotated key file copied onto a
// cluster node, new values are sealed under the new version within one interval, without a
// restart. A key file that cannot be loaded leaves the keys in use as they are; the failure is
// logged and retried. It returns when ctx ends.
func (n *Node) watchKeyring(ctx context.Context) {
	n.Keyring.Watch(ctx, keyring.WatchOptions{Interval: n.Config.KeyringPoll, Logger: n.Config.Logger})
}

// registerKeyringMetrics exposes ringfence_keyring_current_version (the KEK version new
// values are sealed under: after a rotation, every node should show the new one before
// `ringfence keys rewrap` runs) and ringfence_keyring_reload_failing (1 while the key file
// cannot be loaded and the node goes on with the keys it holds).
func registerKeyringMetrics(reg prometheus.Registerer, kr *keyring.Local) {
	if reg == nil || kr == nil {
		return
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ringfence_keyring_current_version", Help: "Key-encryption-key version new sealed values use."},
			func() float64 {
				v, _ := kr.CurrentVersion(context.Background())
				return float64(v)
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ringfence_keyring_reload_failing", Help: "1 while the key file cannot be loaded again (the keys in use are kept), else 0."},
			func() float64 {
				if kr.ReloadFailing() {
					return 1
				}
				return 0
			}),
	)
}
