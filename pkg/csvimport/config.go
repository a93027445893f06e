package csvimport

import (
	"time"

	"reos.dev/pkg/config"
)

// DefaultFileRetention is IMPORT_FILE_RETENTION's default: an ended
// import's file is kept 30 days.
const DefaultFileRetention = 30 * 24 * time.Hour

// LoadFileRetention reads IMPORT_FILE_RETENTION, how long an ended
// import's file is kept (Config.FileRetention): a Go duration, 0 keeping
// files forever, DefaultFileRetention when unset; a bad value is recorded
// in e naming the variable. Every service that imports CSV reads it so.
func LoadFileRetention(e *config.Env) time.Duration {
	return e.Duration("IMPORT_FILE_RETENTION", DefaultFileRetention)
}
