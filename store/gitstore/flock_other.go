//go:build !unix

package gitstore

import "os"

// Without flock, takeLock judges a lock file by its age alone.
func flock(*os.File) error { return nil }

func flocked(string) (bool, error) { return false, nil }
