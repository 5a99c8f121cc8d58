package main

import (
	"fmt"
	"io"
	"maps"
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
	SendCPU   *stat `json:"sender_cpu_ns_per_msg,omitempty"`
	VolPerK   *stat `json:"recv_voluntary_cs_per_1k_msgs,omitempty"`
	InvolPerK *stat `json:"recv_nonvoluntary_cs_per_1k_msgs,omitempty"`
	// -perf counts per 1000 messages
	Perf       map[string]*stat `json:"recv_perf_per_1k_msgs,omitempty"`
	SenderPerf map[string]*stat `json:"sender_perf_per_1k_msgs,omitempty"`
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
func scpu(r *result) float64  { return r.SenderCPUPerMsg }
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
	{"perl sender CPU/msg, to go ÷ to perl", "perl-go", "perl-perl", scpu},
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
				if r.Path == p.key() && r.Framing == f {
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
			rw := row{Path: p.key(), Label: p.label(), Framing: f, Kind: p.kind}
			if p.kind == rtt {
				rw.P50, rw.P99, rw.Mean = of(p50), of(p99), of(mean)
			} else {
				rw.Rate, rw.CPUPerMsg, rw.SendCPU, rw.VolPerK, rw.InvolPerK = of(rate), of(cpu), of(scpu), of(vol), of(invol)
				rw.Perf = perfStats(rs, func(r *result) map[string]float64 { return r.Perf }, of)
				rw.SenderPerf = perfStats(rs, func(r *result) map[string]float64 { return r.SenderPerf }, of)
			}
			s.rows = append(s.rows, rw)
		}
	}
	add := func(name, num, den string, value pick) {
		for _, f := range o.framings {
			var x []float64
			for round := 1; round <= o.rounds; round++ {
				n, d := find(num, f, round), find(den, f, round)
				if n != nil && d != nil && value(d) > 0 {
					x = append(x, value(n)/value(d))
				}
			}
			if len(x) > 0 {
				s.ratios = append(s.ratios, ratio{Name: name, Framing: f, stat: statOf(x)})
			}
		}
	}
	for _, d := range ratioDefs {
		add(d.name, d.num, d.den, d.value)
		for _, v := range o.variants {
			add(d.name+" ["+v.name+"]", d.num+"@"+v.name, d.den, d.value)
		}
	}
	// each variant against this build, row by row
	for _, v := range o.variants {
		for _, p := range todo {
			if p.variant != v {
				continue
			}
			base := p
			base.variant = nil
			if p.kind == rtt {
				add(p.label()+" / this build, rtt p50", p.key(), base.key(), p50)
				add(p.label()+" / this build, rtt p99", p.key(), base.key(), p99)
			} else {
				add(p.label()+" / this build, msgs/s", p.key(), base.key(), rate)
				add(p.label()+" / this build, recv CPU/msg", p.key(), base.key(), cpu)
			}
		}
	}
	return s
}

func (s *summary) print(w io.Writer, env *runEnv) {
	fmt.Fprintf(w, "meshbench: %s\n", env.String())
	var oneway, rtts []row
	for _, r := range s.rows {
		if r.Rate != nil {
			oneway = append(oneway, r)
		} else {
			rtts = append(rtts, r)
		}
	}
	if len(oneway) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "one way\tframing\tmsgs/s min\tmedian\tmax\trecv CPU µs/msg\tmin..max\tcs/1k msgs vol\tinvol\tsender CPU µs/msg\t")
		for _, r := range oneway {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f..%.2f\t%.1f\t%.1f\t%.2f\t\n", r.Label, r.Framing,
				si(r.Rate.Min), si(r.Rate.Median), si(r.Rate.Max),
				r.CPUPerMsg.Median/1e3, r.CPUPerMsg.Min/1e3, r.CPUPerMsg.Max/1e3, r.VolPerK.Median, r.InvolPerK.Median,
				r.SendCPU.Median/1e3)
		}
		tw.Flush()
		s.printPerf(w)
	}
	if len(rtts) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "round trip µs\tframing\tp50 min\tmedian\tmax\tp99 min\tmedian\tmax\tmean median\t")
		for _, r := range rtts {
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", r.Label, r.Framing,
				r.P50.Min, r.P50.Median, r.P50.Max, r.P99.Min, r.P99.Median, r.P99.Max, r.Mean.Median)
		}
		tw.Flush()
	}
	if len(s.ratios) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "ratio (within each round)\tframing\tmin\tmedian\tmax\t")
		for _, r := range s.ratios {
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t\n", r.Name, r.Framing, r.Min, r.Median, r.Max)
		}
		tw.Flush()
	}
}

// perfStats summarises the -perf counts (of the receiver or the sender)
// of results over the rounds.
func perfStats(rs []*result, counts func(*result) map[string]float64, of func(pick) *stat) map[string]*stat {
	var m map[string]*stat
	for _, r := range rs {
		for ev := range counts(r) {
			if m == nil {
				m = map[string]*stat{}
			}
			m[ev] = of(func(r *result) float64 { return counts(r)[ev] })
		}
	}
	return m
}

// printPerf prints the median -perf counts of the receivers and the
// senders.
func (s *summary) printPerf(w io.Writer) {
	s.printPerfOf(w, "receiver", func(r row) map[string]*stat { return r.Perf })
	s.printPerfOf(w, "sender", func(r row) map[string]*stat { return r.SenderPerf })
}

func (s *summary) printPerfOf(w io.Writer, who string, counts func(row) map[string]*stat) {
	events := map[string]bool{}
	for _, r := range s.rows {
		for ev := range counts(r) {
			events[ev] = true
		}
	}
	if len(events) == 0 {
		return
	}
	evs := slices.Sorted(maps.Keys(events))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s, per 1k msgs (median)\tframing\t", who)
	for _, ev := range evs {
		fmt.Fprintf(tw, "%s\t", ev)
	}
	fmt.Fprintln(tw)
	for _, r := range s.rows {
		m := counts(r)
		if m == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t", r.Label, r.Framing)
		for _, ev := range evs {
			if st := m[ev]; st != nil {
				fmt.Fprintf(tw, "%.1f\t", st.Median)
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
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
	s := fmt.Sprintf("%s msgs/s, recv CPU %.2f µs/msg, cs %d vol %d invol over %d msgs",
		si(r.Rate), r.CPUPerMsg/1e3, r.Vol, r.Invol, r.Msgs)
	if r.SenderSeconds > 0 {
		s += fmt.Sprintf(", sender loop %.3fs, CPU %.2f µs/msg", r.SenderSeconds, r.SenderCPUPerMsg/1e3)
	}
	if r.SenderQueued > 0 {
		s += fmt.Sprintf(", %d bytes left in the Perl sender's write buffer", r.SenderQueued)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Perf)) {
		s += fmt.Sprintf(", %s %.1f/1k", k, r.Perf[k])
	}
	return s
}
