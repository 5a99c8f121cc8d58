package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// traceGraph collects a trace for `trace --dot`: the mesh as an
// undirected Graphviz graph, since an AEMP connection carries messages
// both ways. An edge is drawn once even though both ends report it.
type traceGraph struct {
	start   string
	nodes   []string           // in the order they were found
	why     map[string]string  // nodes that did not answer: "timeout", "unreachable"
	edges   map[[2]string]bool // drawn, by the pair's sorted IDs
	edgeSeq [][2]string        // as first reported
	began   bool               // the first answer, aemp's "seed -> <start>", was seen
}

func newTraceGraph(start string) *traceGraph {
	return &traceGraph{start: start, why: map[string]string{}, edges: map[[2]string]bool{}}
}

func (g *traceGraph) node(id string) {
	if !slices.Contains(g.nodes, id) {
		g.nodes = append(g.nodes, id)
	}
}

// answer records a node's neighbours. The first answer comes from
// "seed", aemp's pseudo node that names the starting point, which is not
// a node of the mesh.
func (g *traceGraph) answer(from string, neigh []string) {
	if !g.began {
		g.began = true
		g.node(g.start)
		return
	}
	g.node(from)
	for _, nb := range neigh {
		g.node(nb)
		key := [2]string{min(from, nb), max(from, nb)}
		if !g.edges[key] {
			g.edges[key] = true
			g.edgeSeq = append(g.edgeSeq, [2]string{from, nb})
		}
	}
}

func (g *traceGraph) noAnswer(id, why string) {
	g.node(id)
	g.why[id] = why
}

// write prints the graph in the dot language.
func (g *traceGraph) write(w io.Writer) {
	fmt.Fprintln(w, "graph aemp {")
	for _, id := range g.nodes {
		var attrs string
		switch {
		case g.why[id] != "":
			attrs = fmt.Sprintf(" [style=dashed, color=red, label=%s]", dotQuote(id+" ("+g.why[id]+")"))
		case id == g.start:
			attrs = " [style=bold]"
		}
		fmt.Fprintf(w, "  %s%s;\n", dotQuote(id), attrs)
	}
	for _, e := range g.edgeSeq {
		fmt.Fprintf(w, "  %s -- %s;\n", dotQuote(e[0]), dotQuote(e[1]))
	}
	fmt.Fprintln(w, "}")
}

// dotQuote writes a dot string: in double quotes, with " and \ escaped.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
