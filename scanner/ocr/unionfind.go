package ocr

// unionFind groups pixel indices into connected components. An entry of -1
// is a pixel not (yet) in any component; a member must be set to its own
// index before it is joined. The root of a component is its smallest index,
// so components come out in reading order.
type unionFind []int32

func newUnionFind(n int) unionFind {
	p := make(unionFind, n)
	for i := range p {
		p[i] = -1
	}
	return p
}

func (p unionFind) find(i int32) int32 {
	for p[i] != i {
		p[i] = p[p[i]]
		i = p[i]
	}
	return i
}

func (p unionFind) union(a, b int32) {
	ra, rb := p.find(a), p.find(b)
	if ra != rb {
		p[max(ra, rb)] = min(ra, rb)
	}
}
