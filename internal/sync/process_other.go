//go:build !unix

package sync

// processExists cannot tell on this system: the heartbeat alone decides.
func processExists(int) bool { return true }
