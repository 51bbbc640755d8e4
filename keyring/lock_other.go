//go:build !unix

package keyring

// lockFile is a no-op where flock(2) is not available; concurrent rotation from two processes
// is then not coordinated.
func lockFile(string) (func(), error) { return func() {}, nil }
