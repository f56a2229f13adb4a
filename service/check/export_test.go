package check

// The reading limits, for the tests that flood a repository with locks.
const (
	MaxReadsNative  = maxReadsNative
	MaxReadsRestic  = maxReadsRestic
	ReadConcurrency = readConcurrency
	SettleTime      = settleTime
)
