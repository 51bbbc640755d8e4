package main

import (
	"context"
	"path/filepath"

	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

func openStoreForTamper(dir string) (*sqlstore.Store, error) {
	return sqlite.Open(context.Background(), filepath.Join(dir, "ringfence.db"), sqlstore.Options{})
}
