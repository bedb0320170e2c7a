package helm

import (
	"context"
	"testing"
)

// BenchmarkRenderChart renders testdata/web (a Deployment, a Service, a
// vendored subchart) and maps its objects to their templates: what one
// chart costs a scan, policies aside.
func BenchmarkRenderChart(b *testing.B) {
	in := treeInput(b, "testdata", New().FileRequired)
	p := New()
	b.ReportAllocs()
	for b.Loop() {
		docs, probs := p.Parse(context.Background(), in)
		if len(docs) != 3 || len(probs) != 0 {
			b.Fatalf("%d documents, problems %v", len(docs), probs)
		}
	}
}
