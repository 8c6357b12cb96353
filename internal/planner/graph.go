package planner

import (
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/catalog"
	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/version"
)

// graph is the direct-upgrade graph from one current version: nodes are the
// major and maintenance releases newer than it (patches are reached from
// their own maintenance release, PATH-3), edges are single supported
// upgrades (PATH-1), optionally only those landing on a release that came
// out after the one left (PATH-4).
type graph struct {
	nodes []version.Version // index 0 is the current version; the rest ascending
	adj   [][]int
	// weak[i][k] is set when the edge to adj[i][k] is allowed only because
	// the release order of its ends is unknown.
	weak  [][]bool
	dist  []int // hops from the current version; -1 when unreachable
	index map[version.Version]int
}

// reaches reports whether target is a node with a route to it.
func (g *graph) reaches(target version.Version) bool {
	i, ok := g.index[target]
	return ok && i > 0 && g.dist[i] >= 0
}

func (e *engine) graph(from version.Version, enforceDates bool) *graph {
	if g := e.graphs[enforceDates]; g != nil && g.nodes[0] == from {
		return g
	}
	g := e.buildGraph(from, enforceDates)
	if e.graphs == nil {
		e.graphs = map[bool]*graph{}
	}
	e.graphs[enforceDates] = g
	return g
}

func (e *engine) buildGraph(from version.Version, enforceDates bool) *graph {
	g := &graph{nodes: []version.Version{from}, index: map[version.Version]int{}}
	floor := from.MaintenanceRelease()
	for _, r := range e.releases() {
		v := r.V()
		if v.IsPatch() || e.installOnly(v) || version.Compare(v, floor) <= 0 {
			continue
		}
		g.index[v] = len(g.nodes)
		g.nodes = append(g.nodes, v)
	}
	g.adj = make([][]int, len(g.nodes))
	g.weak = make([][]bool, len(g.nodes))
	for i, u := range g.nodes {
		for j := 1; j < len(g.nodes); j++ {
			w := g.nodes[j]
			if version.Compare(w, u) <= 0 {
				continue
			}
			if _, ok := e.c.DirectBetween(u, w); !ok {
				continue
			}
			ord, _ := e.c.WasReleasedBefore(u, w)
			if enforceDates && ord == catalog.OrderNotBefore {
				continue
			}
			g.adj[i] = append(g.adj[i], j)
			g.weak[i] = append(g.weak[i], ord == catalog.OrderUnknown)
		}
	}
	g.dist = make([]int, len(g.nodes))
	for i := range g.dist {
		g.dist[i] = -1
	}
	g.dist[0] = 0
	queue := []int{0}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, w := range g.adj[u] {
			if g.dist[w] < 0 {
				g.dist[w] = g.dist[u] + 1
				queue = append(queue, w)
			}
		}
	}
	return g
}

// shortest returns the route to target with the fewest hops and, among
// those, at each hop a landing point whose release order is known over one
// where it is a guess, then the newest (PATH-5); nil when target is
// unreachable.
func (g *graph) shortest(target version.Version) []version.Version {
	target.Build = 0
	t, ok := g.index[target]
	if !ok || g.dist[t] < 0 {
		return nil
	}
	// toTarget[i] is the hop count from node i to the target, over nodes
	// that lie on some shortest route.
	toTarget := make([]int, len(g.nodes))
	for i := range toTarget {
		toTarget[i] = -1
	}
	toTarget[t] = 0
	// Nodes are in ascending order and every edge goes up, so one pass from
	// the top settles each node after all its successors.
	for i := t - 1; i >= 0; i-- {
		for _, w := range g.adj[i] {
			if toTarget[w] >= 0 && (toTarget[i] < 0 || toTarget[w]+1 < toTarget[i]) {
				toTarget[i] = toTarget[w] + 1
			}
		}
	}
	route := make([]version.Version, 0, toTarget[0])
	for cur := 0; cur != t; {
		next, nextWeak := -1, false
		for k, w := range g.adj[cur] {
			if toTarget[w] != toTarget[cur]-1 {
				continue
			}
			weak := g.weak[cur][k]
			if next < 0 || nextWeak && !weak || weak == nextWeak && version.Compare(g.nodes[w], g.nodes[next]) > 0 {
				next, nextWeak = w, weak
			}
		}
		route = append(route, g.nodes[next])
		cur = next
	}
	return route
}
