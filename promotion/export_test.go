package promotion

// SetMaxCachedReports lowers the report cache bound for a test and returns
// a function restoring it.
func SetMaxCachedReports(n int) (restore func()) {
	old := maxCachedReports
	maxCachedReports = n
	return func() { maxCachedReports = old }
}

// CachedReports returns how many reports p keeps in memory.
func CachedReports(p *Promoter) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reports)
}
