package report

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

type arrayItem struct {
	Name  string         `json:"name"`
	Tags  []string       `json:"tags"`
	Inner map[string]any `json:"inner,omitempty"`
	Score float64        `json:"score"`
}

type arrayDoc struct {
	Head  string      `json:"head"`
	Nest  any         `json:"nest"`
	Items []arrayItem `json:"items"`
	Tail  []int       `json:"tail"`
}

func arrayItems(n int) []arrayItem {
	items := make([]arrayItem, n)
	for i := range items {
		items[i] = arrayItem{
			Name:  fmt.Sprintf("item %d \"quoted\" \\ <html> & \"items\":[]", i),
			Tags:  []string{"a", strings.Repeat("b", i%7)},
			Score: float64(i) / 3,
		}
		if i%5 == 0 {
			items[i].Inner = map[string]any{"items": []int{}, "x": map[string]any{}}
		}
		if i%11 == 0 {
			items[i].Tags = nil
		}
	}
	return items
}

// The array written in chunks on every core gives the bytes of the whole
// value indented at once, for every chunk boundary case, and an empty list
// is written as the value holds it.
func TestWriteIndentedJSONArrayMatchesWhole(t *testing.T) {
	for _, n := range []int{0, 1, 2, 255, 256, 257, 1000} {
		items := arrayItems(n)
		whole := arrayDoc{Head: `"items":[] in a string`, Nest: map[string]any{"items": nil}, Items: items, Tail: []int{1, 2}}
		if n == 0 {
			whole.Items = []arrayItem{}
		}
		var want, got bytes.Buffer
		if err := writeIndentedJSON(&want, whole); err != nil {
			t.Fatal(err)
		}
		placeholder := whole
		placeholder.Items = []arrayItem{}
		if err := writeIndentedJSONArray(&got, placeholder, "items", items); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("n=%d: chunked output differs from the whole value's:\n got %.300q\nwant %.300q", n, got.String(), want.String())
		}
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

// A failed write or an item that cannot be encoded is the call's error,
// and the workers stop.
func TestWriteIndentedJSONArrayErrors(t *testing.T) {
	doc := arrayDoc{Items: []arrayItem{}}
	err := writeIndentedJSONArray(&failingWriter{after: 2}, doc, "items", arrayItems(5000))
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("write error: got %v", err)
	}
	bad := arrayItems(600)
	bad[300].Score = math.NaN()
	if err := writeIndentedJSONArray(&bytes.Buffer{}, doc, "items", bad); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("encode error: got %v", err)
	}
	if err := writeIndentedJSONArray(&bytes.Buffer{}, doc, "missing", bad); err == nil {
		t.Fatal("no placeholder: no error")
	}
}
