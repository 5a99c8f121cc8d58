package main

import (
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// anyEventEnv reads one of AnyEvent's environment variables. Each can be
// given as PERL_ANYEVENT_<NAME> or as the shorter AE_<NAME>; AnyEvent
// copies AE_ values only into variables that are not set, so the long
// name wins when both are.
func anyEventEnv(name string) (string, bool) {
	if v, ok := os.LookupEnv("PERL_ANYEVENT_" + name); ok {
		return v, true
	}
	return os.LookupEnv("AE_" + name)
}

// defaultVerbose is AnyEvent's default log level, 4 (error).
const defaultVerbose = 4

// levelOff is above every level slog uses: nothing is logged.
const levelOff = slog.Level(100)

// slogLevel maps an AnyEvent::Log level (PERL_ANYEVENT_VERBOSE) to the
// lowest slog level that is logged:
//
//	0        nothing
//	1-4      fatal, alert, critical, error  -> slog.LevelError
//	5        warn                           -> slog.LevelWarn
//	6-7      note, info                     -> slog.LevelInfo
//	8        debug                          -> slog.LevelDebug
//	9        trace                          -> slog.LevelDebug-4
//
// slog has no levels above error, so AnyEvent's four most severe ones
// are one. Values that are not numbers count as Perl numifies them ("5x"
// is 5, "abc" is 0).
func slogLevel(verbose int) slog.Level {
	switch {
	case verbose <= 0:
		return levelOff
	case verbose <= 4:
		return slog.LevelError
	case verbose == 5:
		return slog.LevelWarn
	case verbose <= 7:
		return slog.LevelInfo
	case verbose == 8:
		return slog.LevelDebug
	}
	return slog.LevelDebug - 4
}

// verboseFromEnv returns the AnyEvent log level the environment asks for.
func verboseFromEnv() int {
	v, ok := anyEventEnv("VERBOSE")
	if !ok {
		return defaultVerbose
	}
	return perlInt(v)
}

// perlInt is Perl's numification of a string, truncated to an integer.
func perlInt(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && (s[end] == '-' || s[end] == '+')) {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// newLogger logs to w (stderr) at the level the environment asks for.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slogLevel(verboseFromEnv())}))
}

// traceWriter returns w when PERL_ANYEVENT_MP_TRACE (or AE_MP_TRACE) is
// true in Perl's sense (set, not "" and not "0"), else nil: the node then
// writes Perl's "SND node <- [...]" / "RCV node -> [...]" lines to w.
func traceWriter(w io.Writer) io.Writer {
	v, ok := anyEventEnv("MP_TRACE")
	if !ok || v == "" || v == "0" {
		return nil
	}
	return w
}
