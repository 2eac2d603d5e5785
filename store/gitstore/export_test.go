package gitstore

import (
	"context"
	"fmt"
)

// HoldRefLock takes branch's ref lock file in the repository at dir, as a
// writer does just before it moves the ref, and keeps it until the process
// ends: the crash tests kill a process holding it.
func HoldRefLock(dir, branch string) error {
	r, err := Open(dir, Options{})
	if err != nil {
		return err
	}
	ds, ok := r.st.(*diskStorage)
	if !ok {
		return fmt.Errorf("not on disk")
	}
	_, err = ds.lockRef(context.Background(), refName(branch))
	return err
}
