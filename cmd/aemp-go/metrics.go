package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/metrics"
	"github.com/aemp-go/aemp-go/node"
	"github.com/urfave/cli/v2"
)

const metricsFlag = "metrics"

func metricsCLIFlag() cli.Flag {
	return &cli.StringFlag{Name: metricsFlag, EnvVars: []string{"AEMP_GO_METRICS"},
		Usage: `serve Prometheus metrics on http://ADDR/metrics (e.g. 127.0.0.1:9464); overrides the profile's ` +
			compat.KeyMetricsListen + `; "" or "off" turns them off`}
}

// metricsAddr is where run serves metrics: the flag when given, else the
// profile's metrics_listen key; "" means nowhere (the default).
func metricsAddr(c *cli.Context, raw map[string]any) (string, error) {
	addr, from := "", "--"+metricsFlag
	if c.IsSet(metricsFlag) {
		addr = c.String(metricsFlag)
	} else if v, ok := raw[compat.KeyMetricsListen]; ok && v != nil {
		addr, ok = scalarString(v)
		from = "the profile's " + compat.KeyMetricsListen
		if !ok {
			return "", usageErr("%s must be an address such as \"127.0.0.1:9464\", not %s", from, displayArg(v))
		}
	}
	if addr == "off" || addr == "" {
		return "", nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", usageErr("%s: %q is not host:port (e.g. 127.0.0.1:9464): %v", from, addr, err)
	}
	return addr, nil
}

// serveMetrics listens on addr and serves n's metrics on /metrics until
// stop is called. The listener is bound before it returns, so a busy port
// is an error at start.
func serveMetrics(addr string, n *node.Node, log *slog.Logger) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, usageErr("cannot serve metrics on %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(n, metrics.Options{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}, nil
}
