package event

import (
	"bufio"
	"os"
	"testing"
	"time"
)

// BenchmarkDecode decodes the valid example of every event type in turn.
func BenchmarkDecode(b *testing.B) {
	f, err := os.Open("testdata/valid.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(lines[i%len(lines)], now); err != nil {
			b.Fatal(err)
		}
	}
}
