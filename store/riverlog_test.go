package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestRiverLogsGoThroughZerolog(t *testing.T) {
	var buf bytes.Buffer
	l := riverLogger(zerolog.New(&buf).Level(zerolog.InfoLevel))
	l.Error("maintenance: error starting transaction", "error", errors.New("context canceled"))
	l.Error("producer: fetch failed", "error", errors.New("database is locked"), "queue", "default")
	out := buf.String()
	var debug bytes.Buffer
	riverLogger(zerolog.New(&debug).Level(zerolog.DebugLevel)).Debug("noise")
	out += debug.String()
	if strings.Contains(out, "context canceled") || strings.Contains(out, "noise") {
		t.Fatalf("shutdown noise logged at info:\n%s", out)
	}
	if !strings.Contains(out, `"level":"error"`) || !strings.Contains(out, `"component":"river"`) || !strings.Contains(out, `"queue":"default"`) {
		t.Fatalf("real error not logged as JSON:\n%s", out)
	}
}
