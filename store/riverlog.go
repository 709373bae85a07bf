package store

import (
	"context"
	"log/slog"
	"strings"

	"github.com/rs/zerolog"
)

// riverLogger writes river's own log lines through the service's zerolog
// logger, as JSON like every other line, tagged component=river. Errors that
// only say the context was cancelled come from a stopping client and are
// demoted to debug; river's own debug lines are left out.
func riverLogger(log zerolog.Logger) *slog.Logger {
	return slog.New(&zerologHandler{log: log.With().Str("component", "river").Logger()})
}

type zerologHandler struct {
	log   zerolog.Logger
	attrs []slog.Attr
}

func (h *zerologHandler) Enabled(_ context.Context, l slog.Level) bool {
	// River's debug lines are its internals; they stay out even at debug.
	return l >= slog.LevelInfo && h.log.GetLevel() <= zerologLevel(l)
}

func (h *zerologHandler) Handle(_ context.Context, r slog.Record) error {
	level := zerologLevel(r.Level)
	fields := map[string]any{}
	add := func(a slog.Attr) bool {
		v := a.Value.Resolve().Any()
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		if s, ok := v.(string); ok && level >= zerolog.WarnLevel && strings.Contains(s, "context canceled") {
			level = zerolog.DebugLevel
		}
		fields[a.Key] = v
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.log.WithLevel(level).Fields(fields).Msg(r.Message)
	return nil
}

func (h *zerologHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &zerologHandler{log: h.log, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *zerologHandler) WithGroup(string) slog.Handler { return h }

func zerologLevel(l slog.Level) zerolog.Level {
	switch {
	case l >= slog.LevelError:
		return zerolog.ErrorLevel
	case l >= slog.LevelWarn:
		return zerolog.WarnLevel
	case l >= slog.LevelInfo:
		return zerolog.InfoLevel
	}
	return zerolog.DebugLevel
}
