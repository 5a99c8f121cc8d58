package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// stat is min / median / max over rounds.
type stat struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

func statOf(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{Min: s[0], Median: med, Max: s[len(s)-1], N: len(s)}
}

// row summarises one path and framing over the rounds.
type row struct {
	Path    string `json:"path"`
	Label   string `json:"label"`
	Framing string `json:"framing"`
	Kind    kind   `json:"kind"`
	// one way and raw
	Rate      *stat `json:"msgs_per_s,omitempty"`
	CPUPerMsg *stat `json:"recv_cpu_ns_per_msg,omitempty"`
	VolPerK   *stat `json:"recv_voluntary_cs_per_1k_msgs,omitempty"`
	InvolPerK *stat `json:"recv_nonvoluntary_cs_per_1k_msgs,omitempty"`
	// round trips, microseconds
	P50  *stat `json:"rtt_p50_us,omitempty"`
	P99  *stat `json:"rtt_p99_us,omitempty"`
	Mean *stat `json:"rtt_mean_us,omitempty"`
}

// ratio is a quotient of two rows taken within each round.
type ratio struct {
	Name    string `json:"name"`
	Framing string `json:"framing"`
	stat
}

type summary struct {
	rows   []row
	ratios []ratio
}

// pick returns the value of one result.
type pick func(*result) float64

func rate(r *result) float64  { return r.Rate }
func cpu(r *result) float64   { return r.CPUPerMsg }
func p50(r *result) float64   { return r.P50 }
func p99(r *result) float64   { return r.P99 }
func mean(r *result) float64  { return r.Mean }
func vol(r *result) float64   { return float64(r.Vol) * 1000 / float64(max(r.Msgs-1, 1)) }
func invol(r *result) float64 { return float64(r.Invol) * 1000 / float64(max(r.Msgs-1, 1)) }

// ratioDefs are the quotients the table ends with: numerator path and
// value over denominator path and value, same framing, same round.
var ratioDefs = []struct {
	name     string
	num, den string
	value    pick
}{
	{"perl->go / perl->perl msgs/s", "perl-go", "perl-perl", rate},
	{"go->perl / perl->perl msgs/s", "go-perl", "perl-perl", rate},
	{"go->go / perl->perl msgs/s", "go-go", "perl-perl", rate},
	{"go->go / raw TCP msgs/s", "go-go", "raw", rate},
	{"recv CPU/msg go ÷ perl (perl sender)", "perl-go", "perl-perl", cpu},
	{"rtt p50 go / raw", "rtt-go", "rtt-raw", p50},
	{"rtt p99 go / raw", "rtt-go", "rtt-raw", p99},
	{"rtt p99 perl / raw", "rtt-perl", "rtt-raw", p99},
}

func summarise(o *options, todo []path, results []*result) *summary {
	s := &summary{}
	find := func(name, framing string, round int) *result {
		for _, r := range results {
			if r.Path == name && r.Framing == framing && r.Round == round {
				return r
			}
		}
		return nil
	}
	for _, p := range todo {
		for _, f := range o.framings {
			var rs []*result
			for _, r := range results {
				if r.Path == p.name && r.Framing == f {
					rs = append(rs, r)
				}
			}
			if len(rs) == 0 {
				continue
			}
			of := func(v pick) *stat {
				var x []float64
				for _, r := range rs {
					x = append(x, v(r))
				}
				st := statOf(x)
				return &st
			}
			rw := row{Path: p.name, Label: p.label(), Framing: f, Kind: p.kind}
			if p.kind == rtt {
				rw.P50, rw.P99, rw.Mean = of(p50), of(p99), of(mean)
			} else {
				rw.Rate, rw.CPUPerMsg, rw.VolPerK, rw.InvolPerK = of(rate), of(cpu), of(vol), of(invol)
			}
			s.rows = append(s.rows, rw)
		}
	}
	for _, d := range ratioDefs {
		for _, f := range o.framings {
			var x []float64
			for round := 1; round <= o.rounds; round++ {
				num, den := find(d.num, f, round), find(d.den, f, round)
				if num != nil && den != nil && d.value(den) > 0 {
					x = append(x, d.value(num)/d.value(den))
				}
			}
			if len(x) > 0 {
				s.ratios = append(s.ratios, ratio{Name: d.name, Framing: f, stat: statOf(x)})
			}
		}
	}
	return s
}

func (s *summary) print(w io.Writer, env *runEnv) {
	fmt.Fprintf(w, "meshbench: %s\n\n", env.String())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "one way\tframing\tmsgs/s min\tmedian\tmax\trecv CPU µs/msg\tmin..max\tcs/1k msgs vol\tinvol\t")
	for _, r := range s.rows {
		if r.Rate == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f..%.2f\t%.1f\t%.1f\t\n", r.Label, r.Framing,
			si(r.Rate.Min), si(r.Rate.Median), si(r.Rate.Max),
			r.CPUPerMsg.Median/1e3, r.CPUPerMsg.Min/1e3, r.CPUPerMsg.Max/1e3, r.VolPerK.Median, r.InvolPerK.Median)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round trip µs\tframing\tp50 min\tmedian\tmax\tp99 min\tmedian\tmax\tmean median\t")
	for _, r := range s.rows {
		if r.P50 == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", r.Label, r.Framing,
			r.P50.Min, r.P50.Median, r.P50.Max, r.P99.Min, r.P99.Median, r.P99.Max, r.Mean.Median)
	}
	tw.Flush()
	if len(s.ratios) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ratio (within each round)\tframing\tmin\tmedian\tmax\t")
	for _, r := range s.ratios {
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t\n", r.Name, r.Framing, r.Min, r.Median, r.Max)
	}
	tw.Flush()
}

// si prints a rate with a k or M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// brief is the progress line of one result.
func (r *result) brief() string {
	if r.RTTs > 0 {
		return fmt.Sprintf("rtt p50 %.1f µs, p99 %.1f µs, mean %.1f µs", r.P50, r.P99, r.Mean)
	}
	return fmt.Sprintf("%s msgs/s, recv CPU %.2f µs/msg, cs %d vol %d invol over %d msgs",
		si(r.Rate), r.CPUPerMsg/1e3, r.Vol, r.Invol, r.Msgs)
}
