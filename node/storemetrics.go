package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// registerStoreMetrics exposes the store's running totals (sqlstore.Stats) as Prometheus
// counters: ringfence_store_statements_total, ringfence_store_statements_prepared_total,
// ringfence_store_write_batches_total, ringfence_store_write_calls_total,
// ringfence_store_read_transactions_total, ringfence_store_writer_busy_seconds_total,
// ringfence_store_checkpoints_total and ringfence_store_checkpoint_seconds_total.
// Statements per API request and calls per write batch (group commit) follow from them, and
// the busy seconds' rate near 1 says the single writer bounds the write rate. A store
// without these totals registers nothing.
func registerStoreMetrics(reg prometheus.Registerer, st store.Store) {
	s, ok := st.(interface{ Stats() sqlstore.Stats })
	if !ok || reg == nil {
		return
	}
	counter := func(name, help string, v func(sqlstore.Stats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(s.Stats()) })
	}
	reg.MustRegister(
		counter("ringfence_store_statements_total", "SQL statements the store ran (queries, writes, savepoints, audit appends).",
			func(x sqlstore.Stats) float64 { return float64(x.Statements) }),
		counter("ringfence_store_statements_prepared_total", "Statements a transaction had to prepare because the statement cache (SQLite) did not hold them yet.",
			func(x sqlstore.Stats) float64 { return float64(x.Prepared) }),
		counter("ringfence_store_write_batches_total", "Write transactions committed (group commits, one fsync each).",
			func(x sqlstore.Stats) float64 { return float64(x.Batches) }),
		counter("ringfence_store_write_calls_total", "Update, View and Record calls carried by the write transactions.",
			func(x sqlstore.Stats) float64 { return float64(x.Batched) }),
		counter("ringfence_store_read_transactions_total", "Read transactions (View).",
			func(x sqlstore.Stats) float64 { return float64(x.Reads) }),
		counter("ringfence_store_writer_busy_seconds_total", "Time the store's single writer spent running and committing batches, fsync included.",
			func(x sqlstore.Stats) float64 { return x.WriterBusy.Seconds() }),
		counter("ringfence_store_checkpoints_total", "Background checkpoints of the write-ahead log into the database file (SQLite).",
			func(x sqlstore.Stats) float64 { return float64(x.Checkpoints) }),
		counter("ringfence_store_checkpoint_seconds_total", "Time the background checkpoints took, beside the writer.",
			func(x sqlstore.Stats) float64 { return x.CheckpointBusy.Seconds() }),
	)
}
