package requirements

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// largeFile returns about size bytes of requirements in the shapes real
// files have: pins with hashes on continuation lines, ranges, markers,
// comments and pip-compile annotations.
func largeFile(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "package-%d==1.%d.0 \\\n    --hash=sha256:%064x\n", i, i%97, i)
		case 1:
			fmt.Fprintf(&b, "lib_%d>=2.0,<3 ; python_version >= \"3.8\"\n", i)
		case 2:
			fmt.Fprintf(&b, "# comment %d\n", i)
		case 3:
			fmt.Fprintf(&b, "dep%d==0.%d\n    # via\n    #   package-%d\n", i, i, i-3)
		case 4:
			fmt.Fprintf(&b, "Pkg.%d[extra]~=4.%d\n", i, i%13)
		}
	}
	return b.Bytes()
}

func BenchmarkExtractLarge(b *testing.B) {
	data := largeFile(50 << 20)
	x := New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := x.Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: bytes.NewReader(data)})
		if err != nil || len(pkgs) == 0 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}
